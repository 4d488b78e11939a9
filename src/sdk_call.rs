//! The Azure SDK operation running on this thread: its deadline, the last failed try
//! it saw, and the errors that carry them through the SDK.
//!
//! The SDK futures run on the calling thread under `block_on`, so a thread-local
//! reaches every request they send through
//! [`UreqHttpClient`](crate::transport::UreqHttpClient) (which sets and reads it), and
//! the callers that read the SDK's errors (the token cache, the blob store) find the
//! crate's own error inside them ([`find_cause`]).

use std::cell::{Cell, RefCell};
use std::time::Instant;

thread_local! {
    /// The deadline of the operation running on this thread (see [`with_deadline`]).
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// The last failed try of the operation running on this thread: what a
    /// [`DeadlineExceeded`] reports as the cause of the timeout.
    static LAST_FAILURE: RefCell<Option<crate::Error>> = const { RefCell::new(None) };
}

/// Runs `f` with `deadline` as the limit of every request that a `UreqHttpClient`
/// sends from this thread meanwhile (the SDK futures run on the calling thread under
/// `block_on`, so the limit reaches the requests they send).
pub(crate) fn with_deadline<R>(deadline: Option<Instant>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Instant>, Option<crate::Error>);
    impl Drop for Restore {
        fn drop(&mut self) {
            DEADLINE.with(|d| d.set(self.0));
            LAST_FAILURE.with(|l| *l.borrow_mut() = self.1.take());
        }
    }
    let _restore = Restore(
        DEADLINE.with(|d| d.replace(deadline)),
        LAST_FAILURE.with(|l| l.borrow_mut().take()),
    );
    f()
}

/// Remembers `failure` as the last failed try of this thread's operation.
pub(crate) fn remember_failure(failure: &crate::Error) {
    LAST_FAILURE.with(|l| *l.borrow_mut() = Some(failure.clone()));
}

/// The deadline of this thread's operation, if one is set.
pub(crate) fn deadline() -> Option<Instant> {
    DEADLINE.with(Cell::get)
}

/// The error inside an `azure_core::Error` when a request could not start or finish
/// before the deadline set with [`with_deadline`]; it keeps the last failed try of the
/// operation (a refused connection, an HTTP 503, ...) when there was one.
#[derive(Debug, thiserror::Error)]
#[error("the operation's deadline passed")]
pub(crate) struct DeadlineExceeded {
    pub(crate) last: Option<crate::Error>,
}

impl DeadlineExceeded {
    /// A passed deadline, with this thread's last failed try.
    pub(crate) fn now() -> Self {
        Self {
            last: LAST_FAILURE.with(|l| l.borrow_mut().take()),
        }
    }
}

/// The error inside an `azure_core::Error` when a request failed without a response:
/// [`crate::Error::Connection`] (the SDK retries it) or [`crate::Error::Tls`] (it does
/// not: the error kind is `Other`).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct SendFailed(pub(crate) crate::Error);

/// The first error of type `T` in the chain of `error` (the SDK wraps errors in
/// context such as "retry policy expired", which hides the cause from `downcast_ref`).
pub(crate) fn find_cause<T: std::error::Error + 'static>(error: &azure_core::Error) -> Option<&T> {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_is_scoped_to_the_closure() {
        let d = Instant::now();
        with_deadline(Some(d), || {
            assert_eq!(deadline(), Some(d));
            with_deadline(None, || assert_eq!(deadline(), None));
            assert_eq!(deadline(), Some(d));
        });
        assert_eq!(deadline(), None);
    }
}
