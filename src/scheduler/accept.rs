//! Accepting work: a notification (handed back to its blocked caller to send itself
//! when it can go at once) or a publisher's change (replacing the queued change of its
//! resource when its publisher coalesces), each waiting for room as its caller says;
//! and listing ready changes in their groups.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::time::Instant;

use super::chains::{Key, NodeId};
use super::entry::{note_bytes, Entry, Pending, Work};
use super::groups::Scheduled;
use super::job::Job;
use super::keys::{key_of, keys_of};
use super::state::{Ready, Scheduler, State};
use super::task::{Task, Ticket};
use crate::batch::ChangeJob;
use crate::Error;

/// How a submission waits for room.
#[derive(Clone, Copy)]
pub(crate) enum Wait {
    /// Fail at once with `Error::QueueFull`.
    No,
    /// Block until there is room, the client closes, or the deadline passes.
    Until(Instant),
}

/// What [`Scheduler::accept_claiming`] did with a job.
#[allow(clippy::large_enum_variant)] // boxing the task would allocate per notification
pub(crate) enum Accepted<'a> {
    /// Queued (or waiting for earlier entries about its resources).
    Queued(Ticket),
    /// Ready and handed to the caller to send.
    Claimed(Task<'a>),
}

thread_local! {
    /// The submitting thread's key buffer, reused (no allocation once warm).
    static KEYS: RefCell<Vec<Key>> = const { RefCell::new(Vec::new()) };
}

impl Scheduler {
    /// Accepts `job`, waiting for room as `wait` says; hands it back on refusal.
    #[allow(clippy::result_large_err)] // by value, as crossbeam's TrySendError
    pub(crate) fn accept(&self, job: Job, wait: Wait) -> Result<Ticket, (Error, Job)> {
        match self.accept_claiming(job, wait, false)? {
            Accepted::Queued(ticket) => Ok(ticket),
            Accepted::Claimed(_) => unreachable!("nothing is claimed unasked"),
        }
    }

    /// Accepts `job`; with `claim`, a job that is ready at once, with no other ready
    /// work waiting and fewer tasks being sent than there are workers, is handed back
    /// to the caller as a [`Task`] to send on its own thread (the caller is blocked
    /// for the outcome anyway, and a hand-off to a worker would cost two thread
    /// wake-ups). It counts against the same in-flight limit as the workers' tasks.
    #[allow(clippy::result_large_err)] // by value, as crossbeam's TrySendError
    pub(crate) fn accept_claiming(
        &self,
        job: Job,
        wait: Wait,
        claim: bool,
    ) -> Result<Accepted<'_>, (Error, Job)> {
        KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            keys.clear();
            keys_of(&job.notification, self.limits.order_by, &mut keys);
            self.accept_with_keys(job, &mut keys, wait, claim)
        })
    }

    /// [`Scheduler::accept_claiming`] with `job`'s ordering `keys`.
    #[allow(clippy::result_large_err)]
    fn accept_with_keys(
        &self,
        job: Job,
        keys: &mut Vec<Key>,
        wait: Wait,
        claim: bool,
    ) -> Result<Accepted<'_>, (Error, Job)> {
        let bytes = note_bytes(&job.notification);
        let mut state = self.state.lock();
        if let Err(error) = self.wait_for_room(&mut state, wait) {
            return Err((error, job));
        }
        let deadline = job.deadline;
        let (id, generation, ready) =
            self.insert(&mut state, keys, Work::Note(job), bytes, deadline);
        let ticket = Ticket { id, generation };
        if !ready {
            return Ok(Accepted::Queued(ticket));
        }
        if claim && state.running < self.limits.workers && state.ready.is_empty() {
            let task = self.take_note(&mut state, id, generation);
            return Ok(Accepted::Claimed(task.expect("just inserted, queued")));
        }
        state.ready.push_back(Ready::Note(id, generation));
        self.work.notify_one();
        Ok(Accepted::Queued(ticket))
    }

    /// Accepts a publisher's `change`, waiting for room as `wait` says: a newer state
    /// of a resource whose change is still queued (not being sent) replaces that
    /// change when its publisher coalesces (`Ok(true)`); otherwise it becomes an entry
    /// of its own (`Ok(false)`). Hands it back on refusal.
    #[allow(clippy::result_large_err)]
    pub(crate) fn accept_change(
        &self,
        change: ChangeJob,
        wait: Wait,
    ) -> Result<bool, (Error, ChangeJob)> {
        let key = key_of(&change.resource, self.limits.order_by);
        let mut state = self.state.lock();
        if let Err(error) = self.wait_for_room(&mut state, wait) {
            return Err((error, change));
        }
        let change = match self.coalesce(&mut state, key, change) {
            Ok(()) => return Ok(true),
            Err(change) => change,
        };
        let (deadline, bytes) = (change.deadline, change.bytes);
        let (id, _, ready) = KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            keys.clear();
            keys.push(key);
            self.insert(&mut state, &mut keys, Work::Change(change), bytes, deadline)
        });
        if ready {
            self.list_change(&mut state, id, Instant::now());
        }
        Ok(false)
    }

    /// Adds `work` (its estimated `bytes`) to the graph behind the entries sharing its
    /// `keys`, counted in the current flush epoch; keeps its `deadline` if it has to
    /// wait. Returns its node, the node's generation and whether it is ready.
    fn insert(
        &self,
        state: &mut State,
        keys: &mut Vec<Key>,
        work: Work,
        bytes: usize,
        deadline: Instant,
    ) -> (NodeId, u64, bool) {
        let epoch = state.epochs.accept();
        let pending = Pending {
            entry: Entry::Queued(work),
            epoch,
            bytes,
            listed: None,
        };
        state.bytes += bytes;
        let (id, ready) = state.chains.insert(keys, pending);
        let generation = state.chains.generation(id);
        if !ready {
            self.add_expiry(state, deadline, id, generation);
        }
        (id, generation, ready)
    }

    /// Replaces the queued change of `change`'s resource, if it is the last entry of
    /// its key (so nothing accepted after it is overtaken); hands `change` back if not.
    #[allow(clippy::result_large_err)] // handed back by value, moved once
    fn coalesce(&self, state: &mut State, key: Key, change: ChangeJob) -> Result<(), ChangeJob> {
        if !change.publisher.coalesce() {
            return Err(change);
        }
        let Some(id) = state.chains.tail(key) else {
            return Err(change);
        };
        let generation = state.chains.generation(id);
        let waiting = state.chains.is_waiting(id, generation);
        let Some(pending) = state.chains.get_mut(id, generation) else {
            return Err(change);
        };
        let Entry::Queued(Work::Change(old)) = &mut pending.entry else {
            return Err(change);
        };
        if !old.replaceable_by(&change) {
            return Err(change);
        }
        let (old_bytes, new_bytes, deadline) = (old.bytes, change.bytes, change.deadline);
        let moved = old.group != change.group;
        let older = std::mem::replace(old, change);
        old.absorb(older);
        pending.bytes = new_bytes;
        let listed = pending.listed;
        state.bytes = state.bytes - old_bytes + new_bytes;
        let now = Instant::now();
        match listed {
            Some(slot) if moved => {
                state.groups.unlist(slot, old_bytes);
                self.schedule_group(state, slot, now);
                self.list_change(state, id, now);
            }
            Some(slot) => {
                state.groups.resize(slot, old_bytes, new_bytes);
                self.schedule_group(state, slot, now);
            }
            None if waiting => self.add_expiry(state, deadline, id, generation),
            None => {}
        }
        Ok(())
    }

    /// Waits, as `wait` says, until there is room for one more entry.
    fn wait_for_room(
        &self,
        state: &mut parking_lot::MutexGuard<'_, State>,
        wait: Wait,
    ) -> Result<(), Error> {
        loop {
            if state.closing {
                return Err(Error::Closed);
            }
            if self.has_room(state) {
                return Ok(());
            }
            let Wait::Until(deadline) = wait else {
                return Err(Error::QueueFull);
            };
            if self.room.wait_until(state, deadline).timed_out()
                && !state.closing
                && !self.has_room(state)
            {
                return Err(Error::TIMEOUT);
            }
        }
    }

    /// Whether one more entry fits under the capacity and the pending-bytes bound.
    fn has_room(&self, state: &State) -> bool {
        state.queued() < self.limits.capacity && state.bytes < self.limits.max_bytes
    }

    /// Keeps `deadline` for waiting node `id`, waking a worker to sleep less if it is
    /// the earliest.
    fn add_expiry(&self, state: &mut State, deadline: Instant, id: NodeId, generation: u64) {
        let earliest = state
            .expiries
            .peek()
            .is_none_or(|Reverse((d, _, _))| deadline < *d);
        state.expiries.push(Reverse((deadline, id, generation)));
        if state.expiries.len() > 2 * state.chains.len() + 64 {
            let State {
                chains, expiries, ..
            } = state;
            expiries.retain(|Reverse((_, id, g))| chains.is_waiting(*id, *g));
        }
        if earliest {
            self.work.notify_one();
        }
    }

    /// Lists ready change node `id` in its group, and queues the group if due.
    pub(super) fn list_change(&self, state: &mut State, id: NodeId, now: Instant) {
        let generation = state.chains.generation(id);
        let State { chains, groups, .. } = state;
        let pending = chains.get_mut(id, generation).expect("a live node");
        let Entry::Queued(Work::Change(change)) = &pending.entry else {
            unreachable!("only queued changes are listed")
        };
        let options = change.publisher.batching();
        let slot = groups.list(
            &change.group,
            options.0,
            options.1,
            (id, generation),
            change.bytes,
            change.accepted,
        );
        pending.listed = Some(slot);
        self.schedule_group(state, slot, now);
    }

    /// Queues group `slot` if it is due.
    pub(super) fn schedule_group(&self, state: &mut State, slot: usize, now: Instant) {
        let urgent = state.urgent();
        match state.groups.schedule(slot, now, urgent) {
            Scheduled::Due(group) => {
                state.ready.push_back(Ready::Group(group));
                self.work.notify_one();
            }
            Scheduled::EarliestTimer => {
                self.work.notify_one();
            }
            Scheduled::Nothing => {}
        }
    }
}
