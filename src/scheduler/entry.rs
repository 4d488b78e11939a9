//! What the graph holds for each pending notification, and the deadline sweep.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::Instant;

use super::{CallbackSlot, Job, Reply, State, Task, Ticket};
use crate::promise::Resolver;

/// What close can still do for a notification being sent when it gives up.
pub(super) enum Abandon {
    /// Nothing: its failure is reported when the worker's send ends.
    Nothing,
    /// Resolve its promise.
    Promise(Resolver),
    /// Run its callback.
    Callback(Arc<CallbackSlot>),
}

/// What close may do for `reply` once its notification is being sent.
pub(super) fn abandon_handle(reply: &Reply) -> Abandon {
    match reply {
        Reply::Promise(r) => Abandon::Promise(r.handle()),
        Reply::Callback(slot) => Abandon::Callback(Arc::clone(slot)),
        Reply::Errors => Abandon::Nothing,
    }
}

/// What [`Scheduler::accept_claiming`](super::Scheduler::accept_claiming) did with a job.
#[allow(clippy::large_enum_variant)] // boxing the task would allocate per notification
pub(crate) enum Accepted<'a> {
    /// Queued (or waiting for earlier notifications about its resources).
    Queued(Ticket),
    /// Ready and handed to the caller to send.
    Claimed(Task<'a>),
}

/// A pending notification in the graph.
#[allow(clippy::large_enum_variant)] // boxing the job would allocate per notification
pub(super) enum Entry {
    /// Waiting for predecessors, or in the ready queue.
    Queued(Job),
    /// Taken by a worker; the handle lets close give up on its promise.
    Running(Abandon),
    /// Its outcome was given without sending (its deadline passed while it waited);
    /// it stays in the graph until its predecessors are done, to keep their order.
    Expired,
}

pub(super) struct Pending {
    pub(super) entry: Entry,
    pub(super) epoch: u64,
}

/// Gives the outcome `Timeout` to every waiting node whose deadline passed; returns
/// their jobs (to finish outside the lock).
pub(super) fn expire_due(state: &mut State, now: Instant) -> Vec<Job> {
    let mut expired = Vec::new();
    while let Some(Reverse((d, id, generation))) = state.expiries.peek().copied() {
        if d > now {
            break;
        }
        state.expiries.pop();
        if state.chains.generation(id) != generation {
            continue;
        }
        if let Some(pending) = state.chains.payload_mut(id) {
            if let Entry::Queued(_) = pending.entry {
                if let Entry::Queued(job) = std::mem::replace(&mut pending.entry, Entry::Expired) {
                    expired.push(job);
                }
            }
        }
    }
    expired
}
