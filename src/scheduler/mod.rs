//! The scheduler: what the client accepted and which of it may be sent now.
//!
//! # Guarantee
//! Two notifications that share an ordering key (by default: a resource id, compared
//! case-insensitively) are started in the order the client accepted them, and the
//! later one is not started before the earlier one has its outcome. A notification
//! waits for nothing else: ready work goes to whichever worker is free.
//!
//! # Design
//! Every accepted notification becomes a node in a dependency graph ([`Chains`]),
//! linked behind the last pending node of each of its keys; it is ready when all of
//! those have their outcome. Ready nodes go to one FIFO queue that every worker takes
//! from. No worker ever waits for another notification, so no interleaving can
//! deadlock; memory is bounded by what is pending (the client's capacity); a failed
//! notification releases its successors like a successful one.
//!
//! We weighed routing each key to a fixed worker queue (what this crate did before, and
//! what the Go client's order option does): it keeps order only per routing key, so a
//! batch and a single resource about one of its members race; one retrying job stalls
//! its whole queue; and similar names pile onto one worker when the hash is weak.
//! Per-key locks held by workers would let a worker block on another notification and
//! idle while other work is ready. The graph keeps readiness exact and needs one lock.
//!
//! The queue is a `Mutex` + `Condvar` rather than a channel because readiness changes
//! under the graph's lock anyway (a completion releases successors), and because the
//! workers produce ready work themselves: with a channel they would hold senders, and
//! a channel that never disconnects cannot signal shutdown.
//!
//! Flush uses epochs: each accepted node counts in the current epoch; a flush starts a
//! new epoch and waits until every earlier epoch is empty, so it waits only for work
//! accepted before it and holds nothing the workers need.

mod chains;
mod entry;
mod epochs;
mod job;
mod keys;
mod task;

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Sender, TrySendError};
use parking_lot::{Condvar, Mutex, MutexGuard};

pub(crate) use chains::Key;
use chains::{Chains, NodeId};
pub(crate) use job::{Callback, CallbackSlot, Job, Reply, SendError, SendResult};

pub(crate) use entry::Accepted;
use entry::{abandon_handle, expire_due, Abandon, Entry, Pending};
use epochs::Epochs;
use keys::keys_of;
pub(crate) use task::{Done, Task, Ticket};

use crate::config::OrderBy;
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

struct State {
    chains: Chains<Pending>,
    ready: VecDeque<NodeId>,
    /// Deadlines of nodes that were not ready when accepted: (deadline, node,
    /// generation); stale entries are skipped and pruned.
    expiries: BinaryHeap<Reverse<(Instant, NodeId, u64)>>,
    running: usize,
    epochs: Epochs,
    closing: bool,
    abandoned: bool,
    /// Worker threads not yet ended.
    alive: usize,
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
    capacity: usize,
    order_by: OrderBy,
    pub(crate) stats: Arc<StatsInner>,
    errors: Sender<Failure>,
}

thread_local! {
    /// The submitting thread's key buffer, reused (no allocation once warm).
    static KEYS: RefCell<Vec<Key>> = const { RefCell::new(Vec::new()) };
}

impl Scheduler {
    pub(crate) fn new(
        capacity: usize,
        order_by: OrderBy,
        stats: Arc<StatsInner>,
        errors: Sender<Failure>,
    ) -> Self {
        Self {
            state: Mutex::new(State {
                chains: Chains::default(),
                ready: VecDeque::new(),
                expiries: BinaryHeap::new(),
                running: 0,
                epochs: Epochs::default(),
                closing: false,
                abandoned: false,
                alive: 0,
            }),
            work: Condvar::new(),
            room: Condvar::new(),
            progress: Condvar::new(),
            capacity,
            order_by,
            stats,
            errors,
        }
    }

    /// Accepts `job`, waiting for room as `wait` says; hands it back on refusal.
    #[allow(clippy::result_large_err)] // by value, as crossbeam's TrySendError
    pub(crate) fn accept(&self, job: Job, wait: Wait) -> Result<Ticket, (Error, Job)> {
        match self.accept_claiming(job, wait, None)? {
            Accepted::Queued(ticket) => Ok(ticket),
            Accepted::Claimed(_) => unreachable!("nothing is claimed without a limit"),
        }
    }

    /// Accepts `job`; with `claim` (a limit on notifications being sent), a job that
    /// is ready at once, with no other ready work waiting and fewer than `claim` being
    /// sent, is handed back to the caller as a [`Task`] to send on its own thread
    /// (the caller is blocked for the outcome anyway, and a hand-off to a worker would
    /// cost two thread wake-ups).
    #[allow(clippy::result_large_err)] // by value, as crossbeam's TrySendError
    pub(crate) fn accept_claiming(
        &self,
        job: Job,
        wait: Wait,
        claim: Option<usize>,
    ) -> Result<Accepted<'_>, (Error, Job)> {
        KEYS.with(|keys| {
            let mut keys = keys.borrow_mut();
            keys.clear();
            keys_of(&job.notification, self.order_by, &mut keys);
            self.accept_with_keys(job, &keys, wait, claim)
        })
    }

    #[allow(clippy::result_large_err)]
    fn accept_with_keys(
        &self,
        job: Job,
        keys: &[Key],
        wait: Wait,
        claim: Option<usize>,
    ) -> Result<Accepted<'_>, (Error, Job)> {
        let mut state = self.state.lock();
        loop {
            if state.closing {
                return Err((Error::Closed, job));
            }
            if state.chains.len() - state.running < self.capacity {
                break;
            }
            let Wait::Until(deadline) = wait else {
                return Err((Error::QueueFull, job));
            };
            if self.room.wait_until(&mut state, deadline).timed_out()
                && !state.closing
                && state.chains.len() - state.running >= self.capacity
            {
                return Err((Error::TIMEOUT, job));
            }
        }
        let deadline = job.deadline;
        let epoch = state.epochs.accept();
        let pending = Pending {
            entry: Entry::Queued(job),
            epoch,
        };
        let (id, ready) = state.chains.insert(keys, pending);
        let ticket = Ticket {
            id,
            generation: state.chains.generation(id),
        };
        if ready {
            let claimable =
                claim.is_some_and(|limit| state.running < limit && state.ready.is_empty());
            if claimable {
                let pending = state.chains.payload_mut(id).expect("just inserted");
                let Entry::Queued(job) = std::mem::replace(&mut pending.entry, Entry::Expired)
                else {
                    unreachable!("just inserted as queued")
                };
                pending.entry = Entry::Running(abandon_handle(&job.reply));
                state.running += 1;
                return Ok(Accepted::Claimed(Task {
                    scheduler: self,
                    id,
                    generation: ticket.generation,
                    job: Some(job),
                    released: false,
                }));
            }
            state.ready.push_back(id);
            self.work.notify_one();
        } else {
            let generation = state.chains.generation(id);
            let earliest = state
                .expiries
                .peek()
                .is_none_or(|Reverse((d, _, _))| deadline < *d);
            state.expiries.push(Reverse((deadline, id, generation)));
            if state.expiries.len() > 2 * state.chains.len() + 64 {
                let State {
                    chains, expiries, ..
                } = &mut *state;
                expiries.retain(|Reverse((_, id, g))| chains.is_waiting(*id, *g));
            }
            if earliest {
                // An idle worker recomputes how long it may sleep.
                self.work.notify_one();
            }
        }
        Ok(Accepted::Queued(ticket))
    }

    /// Waits until a submission would be accepted without waiting (or the client
    /// closes); `false` if `deadline` passed first.
    pub(crate) fn wait_room(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        while !state.closing && state.chains.len() - state.running >= self.capacity {
            if self.room.wait_until(&mut state, deadline).timed_out() {
                return state.closing || state.chains.len() - state.running < self.capacity;
            }
        }
        true
    }

    /// Gives the accepted notification `ticket` its `Timeout` now if it has not been
    /// started (its caller's deadline passed); it is then never sent. A notification
    /// being sent is left to its worker, whose tries end at the same deadline.
    pub(crate) fn expire(&self, ticket: Ticket) {
        let mut state = self.state.lock();
        if state.abandoned || state.chains.generation(ticket.id) != ticket.generation {
            return;
        }
        let Some(pending) = state.chains.payload_mut(ticket.id) else {
            return;
        };
        if !matches!(pending.entry, Entry::Queued(_)) {
            return;
        }
        let Entry::Queued(job) = std::mem::replace(&mut pending.entry, Entry::Expired) else {
            unreachable!("checked above")
        };
        drop(state);
        self.stats.not_sent();
        job.finish(Err(Error::TIMEOUT.into()), self);
    }

    /// Blocks until there is a job for this worker; `None` when the worker should exit
    /// (closed and nothing pending, or close gave up).
    ///
    /// `done`, the worker's previous task, is released under the same lock (one lock
    /// round per notification instead of two).
    pub(crate) fn next(&self, done: Option<Done<'_>>) -> Option<Task<'_>> {
        let mut state = self.state.lock();
        if let Some(mut done) = done {
            done.released = true;
            self.finish_locked(&mut state, done.id, done.generation);
        }
        loop {
            if state.abandoned {
                return None;
            }
            // The clock is read only when some waiting notification has a deadline.
            let due = state.expiries.peek().and_then(|Reverse((d, _, _))| {
                let now = Instant::now();
                (*d <= now).then_some(now)
            });
            if let Some(now) = due {
                let expired = expire_due(&mut state, now);
                if !expired.is_empty() {
                    MutexGuard::unlocked(&mut state, || {
                        for job in expired {
                            self.stats.not_sent();
                            job.finish(Err(Error::TIMEOUT.into()), self);
                        }
                    });
                    continue;
                }
            }
            if let Some(id) = state.ready.pop_front() {
                let pending = state.chains.payload_mut(id).expect("ready node is live");
                match std::mem::replace(&mut pending.entry, Entry::Expired) {
                    Entry::Queued(job) => {
                        pending.entry = Entry::Running(abandon_handle(&job.reply));
                        state.running += 1;
                        self.room.notify_one();
                        let generation = state.chains.generation(id);
                        return Some(Task {
                            scheduler: self,
                            id,
                            generation,
                            job: Some(job),
                            released: false,
                        });
                    }
                    // Its outcome was given: nothing to send, release its successors.
                    Entry::Expired => self.complete_node(&mut state, id),
                    Entry::Running(_) => unreachable!("a running node is not ready again"),
                }
                continue;
            }
            if state.closing && state.chains.len() == 0 {
                return None;
            }
            match state.expiries.peek() {
                Some(Reverse((d, _, _))) => {
                    let d = *d;
                    self.work.wait_until(&mut state, d);
                }
                None => self.work.wait(&mut state),
            }
        }
    }

    /// Unlinks a node that has its outcome and queues the successors it releases.
    fn complete_node(&self, state: &mut State, id: NodeId) {
        let State {
            chains,
            ready,
            epochs,
            ..
        } = state;
        let mut released = 0;
        let pending = chains.complete(id, |s| {
            ready.push_back(s);
            released += 1;
        });
        // Flushes are woken only when one may pass, not on every outcome (a flush
        // behind 2,000 notifications was woken 2,000 times, each time taking this
        // lock from the workers).
        if pending.is_some_and(|p| epochs.done(p.epoch)) {
            self.progress.notify_all();
        }
        match released {
            0 => {}
            1 => {
                self.work.notify_one();
            }
            _ => {
                self.work.notify_all();
            }
        }
        self.room.notify_one();
        if state.closing && state.chains.len() == 0 {
            self.work.notify_all();
        }
    }

    /// A worker is done with a node (its job already has its outcome).
    fn finish_task(&self, id: NodeId, generation: u64) {
        let mut state = self.state.lock();
        self.finish_locked(&mut state, id, generation);
    }

    fn finish_locked(&self, state: &mut State, id: NodeId, generation: u64) {
        state.running -= 1;
        if !state.abandoned && state.chains.generation(id) == generation {
            self.complete_node(state, id);
        } else {
            self.progress.notify_all();
        }
    }

    /// Puts a failure on the errors channel, or counts it dropped (warning once).
    pub(crate) fn report(&self, failure: Failure) {
        if let Err(TrySendError::Full(_)) = self.errors.try_send(failure) {
            // No logging while unwinding: a panicking logger would abort.
            if self.stats.error_dropped() && !std::thread::panicking() {
                log::warn!("arn-client errors channel is full: dropping failures (counted in Stats::errors_dropped)");
            }
        }
    }

    /// Blocks until every notification accepted before the call has an outcome;
    /// `false` if `deadline` passed first.
    pub(crate) fn flush(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        let epoch = state.epochs.begin_flush();
        loop {
            if state.epochs.passed(epoch) || state.abandoned && state.running == 0 {
                return true;
            }
            if self.progress.wait_until(&mut state, deadline).timed_out() {
                return state.epochs.passed(epoch) || state.abandoned && state.running == 0;
            }
        }
    }

    /// Stops intake (wakes blocked submitters), lets the workers finish what is
    /// pending and waits for them to exit. `true` when they all exited by `deadline`.
    ///
    /// Otherwise gives up: every pending notification not being sent gets
    /// [`Error::Timeout`] now, the promises of those being sent too (their workers'
    /// outcomes are then ignored), and the workers exit once their sends end. A close
    /// after one that gave up only waits for the workers to exit.
    /// `on_abandon` runs under the lock as it gives up (to cancel the sends in flight
    /// before any worker can start another try).
    pub(crate) fn close(&self, deadline: Instant, on_abandon: impl FnOnce()) -> bool {
        let mut state = self.state.lock();
        state.closing = true;
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
        state.abandoned = true;
        on_abandon();
        let drained = state.chains.drain();
        state.ready.clear();
        state.expiries.clear();
        state.epochs.reset();
        self.work.notify_all();
        self.progress.notify_all();
        drop(state);
        for pending in drained {
            match pending.entry {
                Entry::Queued(job) => job.finish(Err(Error::TIMEOUT.into()), self),
                Entry::Running(Abandon::Promise(resolver)) => {
                    resolver.resolve(Err(Failure::new(Error::TIMEOUT, None, None, 0)))
                }
                Entry::Running(Abandon::Callback(slot)) => {
                    slot.run(Err(Failure::new(Error::TIMEOUT, None, None, 0)))
                }
                Entry::Running(Abandon::Nothing) | Entry::Expired => {}
            }
        }
        false
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

    /// Notifications accepted without an outcome and not being sent.
    pub(crate) fn queue_depth(&self) -> usize {
        let state = self.state.lock();
        state.chains.len() - state.running
    }
}

#[cfg(test)]
mod tests;
