//! The scheduler: what the client accepted (notifications, and publishers' changes)
//! and which of it may be sent now.
//!
//! # Guarantee
//! Two entries that share an ordering key (by default: a resource id, compared
//! case-insensitively) are started in the order the client accepted them, and the
//! later one is not started before the earlier one has its outcome. An entry waits
//! for nothing else: ready work goes to whichever worker is free.
//!
//! # Design
//! Every accepted entry stands in one FIFO queue per ordering key ([`Chains`]); it is
//! ready when it heads all of them. A notification has its resources' keys; a
//! published change is an entry of its own, keyed by its one resource. Ready
//! notifications go to one FIFO queue that every worker takes from; ready changes are
//! listed per group (what must be equal within one notification, see
//! `batch::GroupKey`), and a group goes to the same queue when it is due (full,
//! lingered, or a flush or the close runs). The worker that takes a group cuts the
//! batch then, from the changes ready at that moment: a change whose resource is busy
//! (an earlier batch retrying, say) waits alone, and holds up nothing but its own
//! resource. A newer change of a resource whose change still waits replaces it
//! (coalescing), however long it waits.
//!
//! A send whose try failed and will be retried is parked until the retry is due
//! (`Task::park`): its nodes stay busy, so nothing about its resources starts, but its
//! worker goes on with other work, and whichever worker is free when it is due makes
//! the next try.
//!
//! No worker ever waits for another entry, so no interleaving can deadlock; memory is
//! bounded by what is pending (the client's capacity, in entries and estimated
//! bytes); an entry that fails or expires releases its successors like one that
//! succeeds. An entry whose deadline passes while it waits leaves its queues at once.
//!
//! # Waits, and why no wake-up is lost
//! Every state change below happens under the one mutex, and every wait re-checks its
//! condition in a loop after waking, so a wake-up can only be early, never missing, if
//! each change that can make a condition true notifies its condvar:
//! - `work` (workers wait for ready work, a deadline, a linger timer, a parked
//!   task's retry, a free place under the in-flight limit, or the close): notified
//!   for each entry made ready, when a task ends or parks (a place under the limit
//!   frees up) while work is ready or parked, when an earlier deadline, timer or retry
//!   is set, and on close (`notify_all`).
//! - `room` (blocked submitters): `notify_all` whenever capacity frees up (an entry
//!   taken, finished, expired or drained) and on close: every waiter re-checks, so
//!   none can sleep while there is room, whoever else woke.
//! - `progress` (flush and close): `notify_all` when an epoch a flush waits for
//!   empties, when a worker exits, and after a close that gave up handed out every
//!   outcome it drained.
//!
//! Flush uses epochs: each accepted entry counts in the current epoch; a flush starts
//! a new epoch and waits until every earlier epoch is empty, so it waits only for work
//! accepted before it and holds nothing the workers need.

mod chains;
mod close;
mod entry;
mod epochs;
mod groups;
mod job;
mod keys;
mod take;
mod task;

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::Sender;
use parking_lot::{Condvar, Mutex};

pub(crate) use chains::Key;
use chains::{Chains, NodeId};
pub(crate) use entry::Work;
use entry::{note_bytes, Entry, Pending};
use epochs::Epochs;
use groups::{GroupRef, Groups, Scheduled};
use job::Reporter;
pub(crate) use job::{outcome_of, Job, Reply, SendError, SendResult};
pub(crate) use keys::key_of;
use keys::keys_of;
use task::Parked;
pub(crate) use task::{Done, Task, Ticket};

use crate::batch::ChangeJob;
use crate::config::{OnDelivery, OrderBy};
use crate::hook::Hook;
use crate::stats::StatsInner;
use crate::{Error, Failure};

/// How a submission waits for room.
#[derive(Clone, Copy)]
pub(crate) enum Wait {
    /// Fail at once with `Error::QueueFull`.
    No,
    /// Block until there is room, the client closes, or the deadline passes.
    Until(Instant),
}

/// An item of the ready queue.
#[derive(Clone, Copy)]
enum Ready {
    /// A notification (node, generation).
    Note(NodeId, u64),
    /// A group of ready changes to cut a batch from.
    Group(GroupRef),
}

/// What [`Scheduler::accept_claiming`] did with a job.
#[allow(clippy::large_enum_variant)] // boxing the task would allocate per notification
pub(crate) enum Accepted<'a> {
    /// Queued (or waiting for earlier entries about its resources).
    Queued(Ticket),
    /// Ready and handed to the caller to send.
    Claimed(Task<'a>),
}

struct State {
    chains: Chains<Pending>,
    ready: VecDeque<Ready>,
    groups: Groups,
    /// Deadlines of entries that were not ready when accepted: (deadline, node,
    /// generation); stale ones are skipped.
    expiries: BinaryHeap<Reverse<(Instant, NodeId, u64)>>,
    /// Tasks waiting for their next try (earliest first): their nodes are busy, but
    /// they hold no place under the in-flight limit.
    parked: BinaryHeap<Reverse<Parked>>,
    /// Tasks being sent (by workers or blocked callers).
    running: usize,
    /// Graph nodes those tasks carry.
    running_nodes: usize,
    /// Estimated bytes of the entries not being sent.
    bytes: usize,
    epochs: Epochs,
    /// Flushes in progress (groups do not linger meanwhile).
    flushes: usize,
    closing: bool,
    abandoned: bool,
    /// Worker threads not yet ended.
    alive: usize,
    /// Nodes made ready by the last removal (reused buffer).
    released: Vec<NodeId>,
}

impl State {
    /// Entries accepted without an outcome and not being sent.
    fn queued(&self) -> usize {
        self.chains.len() - self.running_nodes
    }

    /// Whether groups are due at once (a flush or the close runs).
    fn urgent(&self) -> bool {
        self.flushes > 0 || self.closing
    }
}

/// The bounds and rules of a scheduler.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    /// Entries not being sent, at most.
    pub(crate) capacity: usize,
    /// Their estimated bytes, at most.
    pub(crate) max_bytes: usize,
    /// Tasks being sent at once, at most (the worker count).
    pub(crate) workers: usize,
    pub(crate) order_by: OrderBy,
}

/// The shared state of a client and its workers.
pub(crate) struct Scheduler {
    state: Mutex<State>,
    /// Workers wait here for ready work, a due deadline or the close.
    work: Condvar,
    /// Blocked submitters wait here for room or the close.
    room: Condvar,
    /// Flush and close wait here for outcomes and exiting workers.
    progress: Condvar,
    limits: Limits,
    pub(crate) stats: Arc<StatsInner>,
    /// Where fire-and-forget outcomes go.
    reporter: Reporter,
}

thread_local! {
    /// The submitting thread's key buffer, reused (no allocation once warm).
    static KEYS: RefCell<Vec<Key>> = const { RefCell::new(Vec::new()) };
}

impl Scheduler {
    pub(crate) fn new(
        limits: Limits,
        stats: Arc<StatsInner>,
        errors: Sender<Failure>,
        on_delivery: Option<Hook<OnDelivery>>,
    ) -> Self {
        Self {
            state: Mutex::new(State {
                chains: Chains::default(),
                ready: VecDeque::new(),
                groups: Groups::default(),
                expiries: BinaryHeap::new(),
                parked: BinaryHeap::new(),
                running: 0,
                running_nodes: 0,
                bytes: 0,
                epochs: Epochs::default(),
                flushes: 0,
                closing: false,
                abandoned: false,
                alive: 0,
                released: Vec::new(),
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            progress: Condvar::new(),
            limits,
            reporter: Reporter::new(Arc::clone(&stats), errors, on_delivery),
            stats,
        }
    }

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
        if !old.same_resource(&change) {
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
    fn list_change(&self, state: &mut State, id: NodeId, now: Instant) {
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
    fn schedule_group(&self, state: &mut State, slot: usize, now: Instant) {
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

    /// Entries accepted without an outcome and not being sent.
    pub(crate) fn queue_depth(&self) -> usize {
        self.state.lock().queued()
    }
}

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
