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
//! Every accepted entry stands in one FIFO queue per ordering key
//! ([`Chains`](chains::Chains)); it is ready when it heads all of them. A notification
//! has its resources' keys; a published change is an entry of its own, keyed by its one
//! resource. Ready notifications go to one FIFO queue that every worker takes from;
//! ready changes are listed per group (what must be equal within one notification, see
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

mod accept;
mod chains;
mod close;
mod entry;
mod epochs;
mod groups;
mod job;
mod keys;
mod parked;
mod state;
mod take;
mod task;

pub(crate) use accept::{Accepted, Wait};
pub(crate) use job::{outcome_of, Job, Reply, SendError, SendResult};
pub(crate) use state::{Limits, Scheduler};
pub(crate) use task::Ticket;

#[cfg(test)]
mod model_tests;
#[cfg(test)]
mod tests;
