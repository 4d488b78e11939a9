//! Ready changes waiting to be cut into batches: one list per group key (what must be
//! equal within a notification, and the publisher), in the order they became ready,
//! with the linger deadline of each group.
//!
//! A group is due (goes to the ready queue, for the next free worker to cut a batch
//! from) when it holds more than one batch can take, when its oldest listed change has
//! lingered for its publisher's linger time, or at once while a flush or the close
//! runs. Pure data, kept under the scheduler's lock.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use super::chains::NodeId;
use crate::batch::{GroupKey, Limits};

/// One group's listed changes.
pub(super) struct Group {
    key: Option<GroupKey>,
    pub(super) generation: u64,
    /// Listed nodes (node, generation), oldest first; entries of nodes that left the
    /// group (taken, expired, moved by coalescing) are skipped when cut.
    pub(super) list: VecDeque<(NodeId, u64)>,
    /// Changes listed now, and their bytes (each with its comma).
    pub(super) count: usize,
    pub(super) bytes: usize,
    /// When the oldest listed change was published.
    since: Instant,
    /// In the ready queue now.
    pub(super) queued: bool,
    /// The linger deadline a timer is set for.
    timer: Option<Instant>,
    pub(super) limits: Limits,
    linger: std::time::Duration,
}

impl Group {
    /// More than one batch can take.
    fn full(&self) -> bool {
        self.count >= self.limits.max_resources
            || self.limits.max_bytes.is_some_and(|max| self.bytes > max)
    }

    /// The most bytes a batch may carry (its entries' bytes, each with its comma: its
    /// resources JSON less one).
    pub(super) fn max_bytes(&self) -> usize {
        self.limits.max_bytes.unwrap_or(usize::MAX)
    }
}

/// A group due for cutting, as the ready queue names it.
pub(super) type GroupRef = (usize, u64);

/// What [`Groups::schedule`] did.
pub(super) enum Scheduled {
    /// The group is due: put it in the ready queue.
    Due(GroupRef),
    /// A linger timer earlier than every other was set: an idle worker must sleep less.
    EarliestTimer,
    Nothing,
}

/// The groups.
#[derive(Default)]
pub(super) struct Groups {
    index: HashMap<GroupKey, usize>,
    slots: Vec<Group>,
    free: Vec<usize>,
    timers: BinaryHeap<Reverse<(Instant, usize, u64)>>,
}

impl Groups {
    /// Lists ready node `id` in the group of `key` (opened if needed): its `bytes`,
    /// published at `accepted`. Returns the group's slot.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn list(
        &mut self,
        key: &GroupKey,
        limits: Limits,
        linger: std::time::Duration,
        node: (NodeId, u64),
        bytes: usize,
        accepted: Instant,
    ) -> usize {
        let slot = match self.index.get(key) {
            Some(&slot) => slot,
            None => {
                let group = Group {
                    key: Some(key.clone()),
                    generation: 0,
                    list: VecDeque::new(),
                    count: 0,
                    bytes: 0,
                    since: accepted,
                    queued: false,
                    timer: None,
                    limits,
                    linger,
                };
                let slot = match self.free.pop() {
                    Some(slot) => {
                        let generation = self.slots[slot].generation;
                        self.slots[slot] = Group {
                            generation,
                            ..group
                        };
                        slot
                    }
                    None => {
                        self.slots.push(group);
                        self.slots.len() - 1
                    }
                };
                self.index.insert(key.clone(), slot);
                slot
            }
        };
        let g = &mut self.slots[slot];
        if g.count == 0 || accepted < g.since {
            g.since = accepted;
        }
        g.list.push_back(node);
        g.count += 1;
        g.bytes += bytes;
        slot
    }

    /// A listed change of group `slot` left it (its entry stays in the list, stale).
    pub(super) fn unlist(&mut self, slot: usize, bytes: usize) {
        let g = &mut self.slots[slot];
        g.count -= 1;
        g.bytes -= bytes;
    }

    /// A listed change of group `slot` was replaced by a newer one of `bytes_new`.
    pub(super) fn resize(&mut self, slot: usize, bytes_old: usize, bytes_new: usize) {
        let g = &mut self.slots[slot];
        g.bytes = g.bytes - bytes_old + bytes_new;
    }

    /// Group `slot` if it is still at `generation`.
    pub(super) fn get_mut(&mut self, (slot, generation): GroupRef) -> Option<&mut Group> {
        self.slots
            .get_mut(slot)
            .filter(|g| g.generation == generation && g.key.is_some())
    }

    /// After a change in group `slot`: whether it is now due (then marked queued, and
    /// the caller puts it in the ready queue); otherwise a timer is set for its linger
    /// deadline. An empty group that is not queued is closed.
    pub(super) fn schedule(&mut self, slot: usize, now: Instant, urgent: bool) -> Scheduled {
        let g = &mut self.slots[slot];
        if g.queued {
            return Scheduled::Nothing;
        }
        if g.count == 0 {
            self.close(slot);
            return Scheduled::Nothing;
        }
        let at = g.since + g.linger;
        if urgent || g.full() || at <= now {
            g.queued = true;
            g.timer = None;
            return Scheduled::Due((slot, g.generation));
        }
        if g.timer == Some(at) {
            return Scheduled::Nothing;
        }
        g.timer = Some(at);
        let earliest = self
            .timers
            .peek()
            .is_none_or(|Reverse((first, _, _))| at < *first);
        self.timers.push(Reverse((at, slot, g.generation)));
        if earliest {
            Scheduled::EarliestTimer
        } else {
            Scheduled::Nothing
        }
    }

    /// Group `slot` was taken from the ready queue and cut; the oldest change left in
    /// it (if any) was published at `oldest`.
    pub(super) fn after_cut(&mut self, slot: usize, oldest: Option<Instant>) {
        let g = &mut self.slots[slot];
        g.queued = false;
        if let Some(t) = oldest {
            g.since = t;
        }
    }

    fn close(&mut self, slot: usize) {
        let g = &mut self.slots[slot];
        // Closed once: a cut whose last listed changes were late closes the group as
        // they leave and schedules it again; freeing the slot twice would give it to
        // two groups.
        let Some(key) = g.key.take() else {
            return;
        };
        self.index.remove(&key);
        g.generation = g.generation.wrapping_add(1);
        g.list = VecDeque::new();
        g.timer = None;
        self.free.push(slot);
    }

    /// The groups whose linger deadline is at or before `now`, marked queued.
    pub(super) fn fire(&mut self, now: Instant, out: &mut Vec<GroupRef>) {
        while let Some(&Reverse((at, slot, generation))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let live = self
                .slots
                .get(slot)
                .is_some_and(|g| g.generation == generation && g.timer == Some(at));
            if live {
                self.slots[slot].timer = None;
                if let Scheduled::Due(group) = self.schedule(slot, now, false) {
                    out.push(group);
                }
            }
        }
    }

    /// The earliest linger deadline set.
    pub(super) fn next_timer(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Every group with listed changes that is not queued, marked queued (a flush or
    /// the close started: nothing lingers).
    pub(super) fn all_due(&mut self, out: &mut Vec<GroupRef>) {
        for slot in 0..self.slots.len() {
            let g = &mut self.slots[slot];
            if g.key.is_some() && !g.queued && g.count > 0 {
                g.queued = true;
                g.timer = None;
                out.push((slot, g.generation));
            }
        }
    }

    /// Forgets every group (close gave up).
    pub(super) fn clear(&mut self) {
        for slot in 0..self.slots.len() {
            if self.slots[slot].key.is_some() {
                self.close(slot);
            }
        }
        self.timers.clear();
    }
}
