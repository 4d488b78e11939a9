//! Workers taking work: ready notifications as they are, due groups cut into batches
//! of the changes ready at that moment; deadlines and linger timers on the way; and
//! the release of what a task carried.

use std::cmp::Reverse;
use std::time::Instant;

use parking_lot::MutexGuard;

use super::chains::NodeId;
use super::entry::{Abandon, Entry, Pending, Work};
use super::groups::GroupRef;
use super::job::{outcome_of, Job};
use super::parked::{Nodes, Parked};
use super::state::{Ready, Scheduler, State};
use super::task::{Done, Task};
use crate::batch::ChangeJob;
use crate::hook::each_caught;
use crate::Error;

/// What one look at the state found for a worker.
#[allow(clippy::large_enum_variant)] // returned at once, never stored
enum Step<'a> {
    Task(Task<'a>),
    Again,
    Exit,
    /// Nothing to do until this instant (a deadline or linger timer), or a wake-up.
    Idle(Option<Instant>),
}

/// A batch cut from a group: its nodes and changes, and the changes whose deadline
/// had passed (they get `Timeout`, unsent).
struct Cut {
    nodes: Vec<(NodeId, u64)>,
    items: Vec<ChangeJob>,
    expired: Vec<Work>,
}

impl Scheduler {
    /// Blocks until there is a task for this worker; `None` when the worker should
    /// exit (closed and nothing pending, or close gave up).
    ///
    /// `done`, the worker's previous task, is released under the same lock (one lock
    /// round per notification instead of two).
    pub(crate) fn next(&self, done: Option<Done<'_>>) -> Option<Task<'_>> {
        let mut state = self.state.lock();
        if let Some(mut done) = done {
            if let Some(nodes) = done.nodes.take() {
                self.finish_locked(&mut state, &nodes);
            }
            if let Some(late) = done.parked.take().and_then(|p| self.park(&mut state, p)) {
                MutexGuard::unlocked(&mut state, || self.give_up_parked(late));
            }
        }
        loop {
            match self.step(&mut state) {
                Step::Task(task) => return Some(task),
                Step::Again => {}
                Step::Exit => return None,
                Step::Idle(Some(at)) => {
                    self.work.wait_until(&mut state, at);
                }
                Step::Idle(None) => self.work.wait(&mut state),
            }
        }
    }

    /// What [`Scheduler::next`] would take now, without waiting: `None` when there
    /// is nothing to take (the scheduler model drives workers with it).
    #[cfg(test)]
    pub(crate) fn try_next(&self) -> Option<Task<'_>> {
        let mut state = self.state.lock();
        loop {
            match self.step(&mut state) {
                Step::Task(task) => return Some(task),
                Step::Again => {}
                Step::Exit | Step::Idle(_) => return None,
            }
        }
    }

    /// One look at the state for a worker: a task to send, work done meanwhile
    /// (deadlines, a cut of only expired changes) and another look due, the exit, or
    /// nothing until the earliest deadline or linger timer.
    fn step<'a>(&'a self, state: &mut MutexGuard<'_, State>) -> Step<'a> {
        if state.abandoned {
            return Step::Exit;
        }
        // The clock is read only when some deadline, linger timer or retry is set.
        let timed = !state.expiries.is_empty()
            || state.groups.next_timer().is_some()
            || !state.parked.is_empty();
        let now = timed.then(Instant::now);
        if let Some(now) = now {
            let expired = self.expire_due(state, now);
            if !expired.is_empty() {
                MutexGuard::unlocked(state, || self.time_out(expired));
                return Step::Again;
            }
            let mut due = Vec::new();
            state.groups.fire(now, &mut due);
            state.ready.extend(due.into_iter().map(Ready::Group));
        }
        let free = state.running < self.limits.workers;
        if free {
            // A due retry goes first: it was taken before anything now ready.
            let due = |Reverse(p): &Reverse<Parked>| now.is_some_and(|now| p.at <= now);
            if state.parked.peek().is_some_and(due) {
                let Some(Reverse(parked)) = state.parked.pop() else {
                    unreachable!("peeked")
                };
                state.running += 1;
                return Step::Task(Task {
                    scheduler: self,
                    nodes: Some(parked.nodes),
                    job: Some(parked.job),
                    resend: Some(parked.resend),
                });
            }
            match state.ready.pop_front() {
                Some(Ready::Note(id, generation)) => {
                    return match self.take_note(state, id, generation) {
                        Some(task) => Step::Task(task),
                        None => Step::Again,
                    };
                }
                Some(Ready::Group(group)) => {
                    let cut = self.cut(state, group);
                    if cut.items.is_empty() && cut.expired.is_empty() {
                        return Step::Again;
                    }
                    // The batch is built, and the late changes told, outside the lock.
                    return MutexGuard::unlocked(state, || {
                        let task = (!cut.items.is_empty()).then(|| Task {
                            scheduler: self,
                            nodes: Some(Nodes::Many(cut.nodes)),
                            job: Some(Job::batch(cut.items)),
                            resend: None,
                        });
                        // Every late change gets its outcome even if a logger panics
                        // on the way; the panic goes no further than this.
                        let expired = cut.expired;
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            self.time_out(expired)
                        }));
                        task.map_or(Step::Again, Step::Task)
                    });
                }
                None => {}
            }
        }
        if state.closing && state.chains.len() == 0 {
            return Step::Exit;
        }
        let expiry = state.expiries.peek().map(|Reverse((d, _, _))| *d);
        // A due retry with no free place waits for a task to end (which wakes one).
        let retry = free.then(|| state.parked.peek().map(|Reverse(p)| p.at));
        let timers = [expiry, state.groups.next_timer(), retry.flatten()];
        Step::Idle(timers.into_iter().flatten().min())
    }

    /// Takes ready notification `id` to send, unless it left the graph meanwhile.
    pub(super) fn take_note(
        &self,
        state: &mut State,
        id: NodeId,
        generation: u64,
    ) -> Option<Task<'_>> {
        let pending = state.chains.get_mut(id, generation)?;
        if !matches!(pending.entry, Entry::Queued(Work::Note(_))) {
            return None;
        }
        let Entry::Queued(Work::Note(job)) =
            std::mem::replace(&mut pending.entry, Entry::Running(Abandon::Nothing))
        else {
            unreachable!("checked above")
        };
        pending.entry = Entry::Running(Abandon::of(&job.reply));
        state.bytes -= pending.bytes;
        state.running += 1;
        state.running_nodes += 1;
        self.room.notify_all();
        Some(Task {
            scheduler: self,
            nodes: Some(Nodes::One((id, generation))),
            job: Some(job),
            resend: None,
        })
    }

    /// Cuts a batch from `group`: its listed changes, oldest first, up to its
    /// publisher's limits (count and bytes); changes past their deadline are taken
    /// out for `Timeout` instead. What is left is queued again when due.
    fn cut(&self, state: &mut State, group: GroupRef) -> Cut {
        let now = Instant::now();
        let mut cut = Cut {
            nodes: Vec::new(),
            items: Vec::new(),
            expired: Vec::new(),
        };
        let mut late = Vec::new();
        let mut handles = Vec::new();
        let State {
            chains,
            groups,
            bytes: pending_bytes,
            running_nodes,
            ..
        } = state;
        let Some(g) = groups.get_mut(group) else {
            return cut;
        };
        let (max_resources, max_bytes) = (g.limits.max_resources, g.max_bytes());
        let mut bytes = 0;
        let mut oldest = None;
        while let Some(&(id, generation)) = g.list.front() {
            let Some(pending) = chains.get_mut(id, generation) else {
                g.list.pop_front();
                continue;
            };
            let listed_here = pending.listed == Some(group.0);
            let Entry::Queued(Work::Change(change)) = &pending.entry else {
                g.list.pop_front();
                continue;
            };
            if !listed_here {
                g.list.pop_front();
                continue;
            }
            if change.deadline <= now {
                g.list.pop_front();
                late.push((id, generation));
                continue;
            }
            let full = cut.items.len() >= max_resources || bytes + pending.bytes > max_bytes;
            if !cut.items.is_empty() && full {
                oldest = Some(change.accepted);
                break;
            }
            g.list.pop_front();
            g.count -= 1;
            g.bytes -= pending.bytes;
            bytes += pending.bytes;
            *pending_bytes -= pending.bytes;
            *running_nodes += 1;
            pending.listed = None;
            let Entry::Queued(Work::Change(change)) =
                std::mem::replace(&mut pending.entry, Entry::Running(Abandon::Nothing))
            else {
                unreachable!("checked above")
            };
            change.promise_handles(&mut handles);
            change.publisher.dequeued();
            cut.nodes.push((id, generation));
            cut.items.push(change);
        }
        groups.after_cut(group.0, oldest);
        if let Some(&(id, generation)) = cut.nodes.first() {
            let first = chains.get_mut(id, generation).expect("just taken");
            first.entry = Entry::Running(Abandon::Changes(handles));
            state.running += 1;
            if let Some(publisher) = cut.items.first().map(|c| &c.publisher) {
                let waited = cut.items.iter().map(|c| c.accepted).min();
                publisher.built(cut.items.len(), waited.map(|t| now - t));
            }
        }
        for (id, generation) in late {
            cut.expired
                .extend(self.remove_queued(state, id, generation));
        }
        self.schedule_group(state, group.0, now);
        self.room.notify_all();
        cut
    }

    /// Gives `Timeout` to every waiting entry whose deadline passed (they leave the
    /// graph now); returns them, to be handed their outcome outside the lock.
    fn expire_due(&self, state: &mut State, now: Instant) -> Vec<Work> {
        let mut expired = Vec::new();
        while let Some(&Reverse((d, id, generation))) = state.expiries.peek() {
            if d > now {
                break;
            }
            state.expiries.pop();
            let due = state
                .chains
                .get_mut(id, generation)
                .is_some_and(|p| matches!(&p.entry, Entry::Queued(w) if w.deadline() <= now));
            if due {
                expired.extend(self.remove_queued(state, id, generation));
            }
        }
        expired
    }

    /// Removes queued entry `id` (its outcome is given without sending) from its
    /// queues, its group, the bounds and its epoch.
    pub(super) fn remove_queued(
        &self,
        state: &mut State,
        id: NodeId,
        generation: u64,
    ) -> Option<Work> {
        let pending = state.chains.get_mut(id, generation)?;
        if !matches!(pending.entry, Entry::Queued(_)) {
            return None;
        }
        let (bytes, listed) = (pending.bytes, pending.listed);
        state.bytes -= bytes;
        if let Some(slot) = listed {
            state.groups.unlist(slot, bytes);
            self.schedule_group(state, slot, Instant::now());
        }
        match self.remove_node(state, id)?.entry {
            Entry::Queued(work) => {
                if let Work::Change(c) = &work {
                    c.publisher.dequeued();
                }
                Some(work)
            }
            Entry::Running(_) => unreachable!("checked above"),
        }
    }

    /// Takes node `id` out of the graph: its epoch counts it done, and the entries it
    /// put at the head of all their queues become ready.
    fn remove_node(&self, state: &mut State, id: NodeId) -> Option<Pending> {
        let mut released = std::mem::take(&mut state.released);
        let pending = state.chains.remove(id, |n| released.push(n));
        if pending.as_ref().is_some_and(|p| state.epochs.done(p.epoch)) {
            // Flushes are woken only when one may pass, not on every outcome.
            self.progress.notify_all();
        }
        if !released.is_empty() {
            let now = Instant::now();
            for n in released.drain(..) {
                self.on_ready(state, n, now);
            }
        }
        state.released = released;
        self.room.notify_all();
        if state.closing && state.chains.len() == 0 {
            self.work.notify_all();
        }
        pending
    }

    /// Node `id` heads all its queues now: a notification joins the ready queue, a
    /// change its group.
    fn on_ready(&self, state: &mut State, id: NodeId, now: Instant) {
        let generation = state.chains.generation(id);
        let is_note = match state.chains.get_mut(id, generation).map(|p| &p.entry) {
            Some(Entry::Queued(Work::Note(_))) => true,
            Some(Entry::Queued(Work::Change(_))) => false,
            _ => unreachable!("a released node is queued"),
        };
        if is_note {
            state.ready.push_back(Ready::Note(id, generation));
            self.work.notify_one();
        } else {
            self.list_change(state, id, now);
        }
    }

    /// Gives each entry `Timeout`, unsent (its deadline passed while it waited).
    pub(super) fn time_out(&self, expired: Vec<Work>) {
        each_caught(expired, |work| match work {
            Work::Note(job) => {
                self.stats.not_sent();
                job.finish(Err(Error::TIMEOUT.into()), &self.reporter);
            }
            Work::Change(change) => change.fail(Error::TIMEOUT),
        });
    }

    /// A task is done (its job already has its outcome).
    pub(super) fn finish_task(&self, nodes: Nodes) {
        let mut state = self.state.lock();
        self.finish_locked(&mut state, &nodes);
    }

    fn finish_locked(&self, state: &mut State, nodes: &Nodes) {
        state.running -= 1;
        for &(id, generation) in nodes.as_slice() {
            if !state.abandoned && state.chains.generation(id) == generation {
                state.running_nodes -= 1;
                self.remove_node(state, id);
            }
        }
        if state.abandoned {
            self.progress.notify_all();
        }
        if !state.ready.is_empty() || !state.parked.is_empty() {
            // A place under the in-flight limit freed up.
            self.work.notify_one();
        }
    }

    /// Keeps `parked` until its retry is due (its place under the in-flight limit
    /// frees up now); hands it back when a close gave up meanwhile (its drain could not
    /// see it): it is then to be given up, outside the lock.
    fn park(&self, state: &mut State, parked: Parked) -> Option<Parked> {
        state.running -= 1;
        if state.abandoned {
            self.progress.notify_all();
            return Some(parked);
        }
        let earliest = state
            .parked
            .peek()
            .is_none_or(|Reverse(p)| parked.at < p.at);
        state.parked.push(Reverse(parked));
        if earliest || !state.ready.is_empty() {
            self.work.notify_one();
        }
        None
    }

    /// [`Scheduler::park`] for a [`Done`] dropped before it reached `next`.
    pub(super) fn park_task(&self, parked: Parked) {
        let mut state = self.state.lock();
        if let Some(late) = self.park(&mut state, parked) {
            drop(state);
            self.give_up_parked(late);
        }
    }

    /// Ends a parked task's tries now (a close gave up): `Timeout` with the last
    /// try's error, the notification handed back.
    pub(super) fn give_up_parked(&self, parked: Parked) {
        let Parked {
            job, mut resend, ..
        } = parked;
        let error = resend.event.tries.give_up();
        let sent_bytes = resend.body.len();
        let result = outcome_of(&self.stats, resend.event, sent_bytes, Err(error));
        job.finish(result, &self.reporter);
    }
}

impl Work {
    /// The deadline of the notification or change.
    pub(super) fn deadline(&self) -> Instant {
        match self {
            Work::Note(job) => job.deadline,
            Work::Change(change) => change.deadline,
        }
    }
}
