//! The channel of fire-and-forget change failures.

use std::fmt;
use std::time::Duration;

use crossbeam_channel::Receiver;

use super::ChangeFailure;

/// The failures of [`Publisher::submit`](super::Publisher::submit)ted changes, each
/// with its change handed back when the publisher had it. Bounded: drops when full
/// (counted in [`PublisherStats::errors_dropped`](super::PublisherStats)).
#[derive(Clone)]
pub struct ChangeErrors(pub(crate) Receiver<ChangeFailure>);

impl ChangeErrors {
    /// The next failure, blocking; `None` once the publisher is gone and nothing is
    /// left.
    pub fn recv(&self) -> Option<ChangeFailure> {
        self.0.recv().ok()
    }

    /// The next failure if there is one now.
    pub fn try_recv(&self) -> Option<ChangeFailure> {
        self.0.try_recv().ok()
    }

    /// The next failure, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<ChangeFailure> {
        self.0.recv_timeout(timeout).ok()
    }

    /// Every failure there is now, without blocking.
    pub fn try_iter(&self) -> impl Iterator<Item = ChangeFailure> + '_ {
        self.0.try_iter()
    }
}

impl fmt::Debug for ChangeErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangeErrors")
            .field("len", &self.0.len())
            .finish()
    }
}
