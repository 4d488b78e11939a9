//! Published changes as the scheduler holds them, below it: what is published (a
//! [`Change`] in its [`ChangeContext`]) and what comes back; a change waiting for its
//! batch ([`ChangeJob`]), the group it may share a notification with ([`GroupKey`])
//! and the publisher state it reports to ([`PublisherShared`]); the fan-out of a
//! batch's outcome to each of its changes ([`Fanout`]); what a promise slot holds
//! ([`Settled`]); and the publisher's counters.
//!
//! The scheduler stores these and cuts the batches (see `scheduler`); the `publisher`
//! module is the API over both, and re-exports the public types from here.
//!
//! A change is validated once, when published; its batch is sent without validating
//! it again (see [`GroupKey`]): 190 of 93,400 instructions per change (0.2%, the
//! publish row of `scripts/count-instructions.sh`).

mod change;
mod entry;
mod fanout;
mod settled;
mod stats;
#[cfg(test)]
mod validity_tests;

pub(crate) use change::validate;
pub use change::{Change, ChangeContext, ChangeFailure, ChangeOutcome, PublishError, Published};
pub(crate) use entry::Reply as ChangeReply;
pub(crate) use entry::{ChangeJob, GroupKey, Limits, OnChangeDelivery, Options, PublisherShared};
pub(crate) use fanout::Fanout;
pub(crate) use settled::Settled;
pub use stats::{PublisherStats, RESOURCES_BUCKETS};
