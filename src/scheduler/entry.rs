//! What the graph holds for each pending entry: a notification or a published change,
//! and what close can still do for it once it is being sent.

use super::job::{Job, Reply};
use crate::batch::{ChangeJob, ChangeOutcome};
use crate::model::Notification;
use crate::promise::Resolver;

/// What was accepted: a notification (sent as it is) or one resource's change (cut
/// into a batch with other ready changes of its group when a worker takes work).
#[allow(clippy::large_enum_variant)] // boxing would allocate per notification
pub(crate) enum Work {
    /// A notification from `notify`, `send_async` or `submit`.
    Note(Job),
    /// A change from a [`Publisher`](crate::publisher::Publisher).
    Change(ChangeJob),
}

/// What close can still do for an entry being sent when it gives up.
pub(super) enum Abandon {
    /// Nothing: its failure is reported when the worker's send ends.
    Nothing,
    /// Resolve its promise.
    Promise(Resolver),
    /// Resolve the promises of a batch's changes.
    Changes(Vec<Resolver<ChangeOutcome>>),
}

impl Abandon {
    /// What close may do for `reply` once its notification is being sent.
    pub(super) fn of(reply: &Reply) -> Self {
        match reply {
            Reply::Promise(r) => Abandon::Promise(r.handle()),
            Reply::Batch(fanout) => Abandon::Changes(fanout.handles()),
            Reply::Errors => Abandon::Nothing,
        }
    }
}

/// A pending entry's state.
#[allow(clippy::large_enum_variant)] // boxing would allocate per notification
pub(super) enum Entry {
    /// Waiting for predecessors, or ready and not taken yet.
    Queued(Work),
    /// Taken by a worker (or a blocked caller); the handle lets close give up on it.
    Running(Abandon),
}

/// A node of the graph.
pub(super) struct Pending {
    pub(super) entry: Entry,
    /// The flush epoch it counts in.
    pub(super) epoch: u64,
    /// Its estimated bytes, counted against the pending-bytes bound while queued.
    pub(super) bytes: usize,
    /// The batch group a ready change is listed in.
    pub(super) listed: Option<usize>,
}

/// Estimated bytes of a notification's resources, for the pending-bytes bound: each
/// resource's serialized properties and ids plus a fixed allowance for the rest (no
/// serialization on the submitting thread).
pub(super) fn note_bytes(n: &Notification) -> usize {
    n.resources
        .iter()
        .map(|r| {
            let props = r.arm_resource.properties().map_or(0, str::len);
            props + 2 * r.arm_resource.id().as_str().len() + 256
        })
        .sum()
}

/// The resolvers of `abandon`, resolved with `Timeout` (close gave up on the send).
pub(super) fn give_up(abandon: Abandon) {
    use crate::batch::ChangeFailure;
    use crate::{Error, Failure};
    match abandon {
        Abandon::Promise(r) => r.resolve(Err(Failure::new(Error::TIMEOUT, None, None, 0))),
        Abandon::Changes(rs) => {
            for r in rs {
                r.resolve(Err(ChangeFailure::new(Error::TIMEOUT, None, None, 0)));
            }
        }
        Abandon::Nothing => {}
    }
}
