//! Flush epochs: each accepted notification counts in the current epoch; a flush
//! starts a new one and waits until every earlier epoch is empty, so it waits only for
//! work accepted before it.

use std::collections::VecDeque;

/// Accepted nodes counted per flush epoch.
#[derive(Clone, Default)]
pub(super) struct Epochs {
    /// The epoch of `counts[0]`.
    base: u64,
    counts: VecDeque<usize>,
}

impl Epochs {
    fn current(&mut self) -> u64 {
        if self.counts.is_empty() {
            self.counts.push_back(0);
        }
        self.base + self.counts.len() as u64 - 1
    }

    pub(super) fn accept(&mut self) -> u64 {
        let e = self.current();
        *self.counts.back_mut().expect("current made one") += 1;
        e
    }

    /// Counts one node of `epoch` done; `true` when that emptied an epoch a flush
    /// waits for (one before the current), the only time a flush can pass.
    pub(super) fn done(&mut self, epoch: u64) -> bool {
        let Some(i) = epoch.checked_sub(self.base).map(|i| i as usize) else {
            return false;
        };
        let last = self.counts.len().saturating_sub(1);
        let Some(count) = self.counts.get_mut(i) else {
            return false;
        };
        *count -= 1;
        let emptied = *count == 0 && i < last;
        while self.counts.len() > 1 && self.counts.front() == Some(&0) {
            self.counts.pop_front();
            self.base += 1;
        }
        emptied
    }

    /// Starts a new epoch; returns the last one a flush must wait for.
    pub(super) fn begin_flush(&mut self) -> u64 {
        let e = self.current();
        self.counts.push_back(0);
        e
    }

    /// Whether every epoch up to `e` is empty.
    pub(super) fn passed(&self, e: u64) -> bool {
        let upto = (e + 1).saturating_sub(self.base) as usize;
        self.counts.iter().take(upto).all(|&c| c == 0)
    }

    pub(super) fn reset(&mut self) {
        self.base += self.counts.len() as u64;
        self.counts.clear();
    }
}
