//! What a promise slot holds: the outcome of a notification or of a published change,
//! so the client's one promise pool serves both.

use super::change::{ChangeFailure, ChangeOutcome};
use crate::promise::{Outcome, Settle};
use crate::{Error, Failure};

/// A settled outcome in a promise slot.
// `pub` in a private module, like the sealed trait whose associated type it is.
pub enum Settled {
    /// A notification's.
    Sent(Outcome),
    /// A published change's.
    Published(ChangeOutcome),
}

impl Settle for Outcome {
    type Store = Settled;

    fn failed(&self) -> bool {
        self.is_err()
    }

    fn closed() -> Self {
        Err(Failure::new(Error::Closed, None, None, 0))
    }

    fn store(self) -> Settled {
        Settled::Sent(self)
    }

    fn unstore(store: Settled) -> Self {
        match store {
            Settled::Sent(outcome) => outcome,
            Settled::Published(_) => unreachable!("a notification's slot holds its outcome"),
        }
    }
}

impl Settle for ChangeOutcome {
    type Store = Settled;

    fn failed(&self) -> bool {
        self.is_err()
    }

    fn closed() -> Self {
        Err(ChangeFailure::new(Error::Closed, None, None, 0))
    }

    fn store(self) -> Settled {
        Settled::Published(self)
    }

    fn unstore(store: Settled) -> Self {
        match store {
            Settled::Published(outcome) => outcome,
            Settled::Sent(_) => unreachable!("a change's slot holds its outcome"),
        }
    }
}
