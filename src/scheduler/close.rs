//! Flush, close and the early outcomes: a blocked caller's expired notification, a
//! closing publisher's changes, and everything when a close gives up.

use std::sync::Arc;
use std::time::Instant;

use super::entry::{give_up, Abandon, Entry, Pending, Work};
use super::parked::Parked;
use super::state::{Ready, Scheduler, State};
use super::task::Ticket;
use crate::batch::PublisherShared;
use crate::hook::each_caught;
use crate::Error;

/// What a close that gives up takes out under the lock, to hand out outcomes to
/// after: the graph's entries, and the tasks waiting for a retry.
pub(super) struct Drained {
    pending: Vec<Pending>,
    parked: Vec<Parked>,
}

impl Scheduler {
    /// Gives the accepted notification `ticket` its `Timeout` now if it has not been
    /// started (its caller's deadline passed); it is then never sent. A notification
    /// being sent is left to its worker, whose tries end at the same deadline.
    pub(crate) fn expire(&self, ticket: Ticket) {
        let mut state = self.state.lock();
        if state.abandoned {
            return;
        }
        let Some(work) = self.remove_queued(&mut state, ticket.id, ticket.generation) else {
            return;
        };
        drop(state);
        self.time_out(vec![work]);
    }

    /// Gives every queued change of `publisher` (not being sent) `Timeout` now,
    /// unsent: its close gave up. Returns how many.
    pub(crate) fn expire_changes(&self, publisher: &Arc<PublisherShared>) -> usize {
        let mut state = self.state.lock();
        let ids: Vec<_> = state
            .chains
            .live_nodes()
            .filter(|(_, _, p)| {
                matches!(&p.entry, Entry::Queued(Work::Change(c)) if Arc::ptr_eq(&c.publisher, publisher))
            })
            .map(|(id, generation, _)| (id, generation))
            .collect();
        let expired: Vec<Work> = ids
            .into_iter()
            .filter_map(|(id, generation)| self.remove_queued(&mut state, id, generation))
            .collect();
        drop(state);
        let n = expired.len();
        self.time_out(expired);
        n
    }

    /// Puts every group with listed changes in the ready queue (a flush or the close
    /// started: nothing lingers).
    fn queue_all_groups(&self, state: &mut State) {
        let mut due = Vec::new();
        state.groups.all_due(&mut due);
        if !due.is_empty() {
            state.ready.extend(due.into_iter().map(Ready::Group));
            self.work.notify_all();
        }
    }

    /// Blocks until every entry accepted before the call has an outcome; `false` if
    /// `deadline` passed first. Groups do not linger while it waits.
    pub(crate) fn flush(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        let epoch = state.epochs.begin_flush();
        state.flushes += 1;
        self.queue_all_groups(&mut state);
        let passed = loop {
            if state.epochs.passed(epoch) {
                break true;
            }
            if self.progress.wait_until(&mut state, deadline).timed_out() {
                break state.epochs.passed(epoch);
            }
        };
        state.flushes -= 1;
        passed
    }

    /// Stops intake (wakes blocked submitters), lets the workers finish what is
    /// pending and waits for them to exit. `true` when they all exited by `deadline`.
    ///
    /// Otherwise gives up: every pending entry not being sent gets
    /// [`Error::Timeout`] now, the promises of those being sent too (their workers'
    /// outcomes are then ignored), and the workers exit once their sends end. A close
    /// after one that gave up only waits for the workers to exit. Flushes pass only
    /// once every drained outcome was handed out.
    /// `on_abandon` runs under the lock as it gives up (to cancel the sends in flight
    /// before any worker can start another try).
    pub(crate) fn close(&self, deadline: Instant, on_abandon: impl FnOnce()) -> bool {
        let mut state = self.state.lock();
        state.closing = true;
        self.queue_all_groups(&mut state);
        self.room.notify_all();
        self.work.notify_all();
        while state.alive > 0 {
            if self.progress.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        if state.alive == 0 {
            return true;
        }
        if state.abandoned {
            return false;
        }
        let drained = self.abandon(&mut state, on_abandon);
        drop(state);
        self.hand_out(drained);
        false
    }

    /// Gives up on everything pending (under the lock): intake and the workers stop,
    /// the graph is drained. Flushes still wait: see [`Scheduler::hand_out`].
    fn abandon(&self, state: &mut State, on_abandon: impl FnOnce()) -> Drained {
        state.abandoned = true;
        on_abandon();
        let parked: Vec<Parked> = state.parked.drain().map(|p| p.0).collect();
        for p in &parked {
            // The parked task itself gets the outcome (its notification handed back),
            // not the promise handles its nodes keep for a send in flight.
            for &(id, generation) in p.nodes.as_slice() {
                if let Some(pending) = state.chains.get_mut(id, generation) {
                    pending.entry = Entry::Running(Abandon::Nothing);
                }
            }
        }
        let pending = state.chains.drain();
        state.ready.clear();
        state.expiries.clear();
        state.groups.clear();
        state.running_nodes = 0;
        state.bytes = 0;
        self.work.notify_all();
        self.room.notify_all();
        Drained { pending, parked }
    }

    /// Gives every drained entry `Timeout` (the promises of those being sent too,
    /// and the parked tasks with their last try's error), then lets flushes pass: only
    /// now has every drained entry its outcome.
    fn hand_out(&self, drained: Drained) {
        let Drained { pending, parked } = drained;
        /// One drained item: parked tasks first (they hold their whole job).
        enum Item {
            Parked(Parked),
            Pending(Pending),
        }
        let items = parked
            .into_iter()
            .map(Item::Parked)
            .chain(pending.into_iter().map(Item::Pending));
        let handed_out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            each_caught(items, |item| match item {
                Item::Parked(p) => self.give_up_parked(p),
                Item::Pending(p) => match p.entry {
                    Entry::Queued(Work::Note(job)) => {
                        job.finish(Err(Error::TIMEOUT.into()), &self.reporter)
                    }
                    Entry::Queued(Work::Change(change)) => {
                        change.publisher.dequeued();
                        change.fail(Error::TIMEOUT);
                    }
                    Entry::Running(abandon) => give_up(abandon),
                },
            })
        }));
        let mut state = self.state.lock();
        state.epochs.reset();
        self.progress.notify_all();
        drop(state);
        if let Err(panic) = handed_out {
            std::panic::resume_unwind(panic);
        }
    }

    /// Whether a close gave up on pending work.
    pub(crate) fn gave_up(&self) -> bool {
        self.state.lock().abandoned
    }

    /// Counts a worker thread alive (before it is spawned).
    pub(crate) fn worker_started(&self) {
        self.state.lock().alive += 1;
    }

    /// Counts a worker thread ended (or its spawn failed).
    pub(crate) fn worker_exited(&self) {
        let mut state = self.state.lock();
        state.alive -= 1;
        self.progress.notify_all();
    }

    /// Whether every worker has exited.
    #[cfg(test)]
    pub(crate) fn all_exited(&self) -> bool {
        self.state.lock().alive == 0
    }
}

/// What the scheduler model drives without threads: a flush's two halves and a close
/// that gives up, split where another thread could look in between.
#[cfg(test)]
impl Scheduler {
    /// Starts a flush (nothing lingers while it runs); returns the epoch it waits for.
    pub(crate) fn flush_begin(&self) -> u64 {
        let mut state = self.state.lock();
        let epoch = state.epochs.begin_flush();
        state.flushes += 1;
        self.queue_all_groups(&mut state);
        epoch
    }

    /// Whether a flush that began at `epoch` would return now.
    pub(crate) fn flush_passed(&self, epoch: u64) -> bool {
        self.state.lock().epochs.passed(epoch)
    }

    /// The first half of a close that gives up: intake stops, the graph is drained.
    pub(super) fn give_up_drain(&self) -> Drained {
        let mut state = self.state.lock();
        state.closing = true;
        self.queue_all_groups(&mut state);
        self.abandon(&mut state, || {})
    }

    /// The second half: the drained entries get their outcomes.
    pub(super) fn give_up_hand_out(&self, drained: Drained) {
        self.hand_out(drained);
    }
}
