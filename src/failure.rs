//! Failed outcomes, one family for notifications and published changes: [`Failure`],
//! [`SubmitError`] (a refused submission), and [`Errors`], the channel of
//! fire-and-forget ones.

use std::fmt;
use std::time::Duration;

use crossbeam_channel::Receiver;
use uuid::Uuid;

use crate::model::Notification;
use crate::Error;

mod sealed {
    /// What a failure or a refusal hands back: a [`Notification`](crate::model::Notification)
    /// or a published [`Change`](crate::publisher::Change). Sealed.
    pub trait Carried: Send + 'static {
        /// How [`Failure`](super::Failure)'s `Display` starts.
        const FAILED: &'static str;
        /// How [`SubmitError`](super::SubmitError)'s `Display` starts.
        const REFUSED: &'static str;
    }
}

pub(crate) use sealed::Carried;

impl Carried for Notification {
    const FAILED: &'static str = "sending a notification failed";
    const REFUSED: &'static str = "submission refused";
}

/// What the client or a publisher accepted and could not deliver: the error, what was
/// sent handed back (`T`: a [`Notification`], or a published change as
/// [`ChangeFailure`](crate::publisher::ChangeFailure) `= Failure<Change>`), which
/// event carried it and how many tries it took.
///
/// The outcome of [`Client::notify`](crate::Client::notify) and
/// [`Promise::wait`](crate::Promise::wait) when sending fails, and what
/// [`Client::errors`](crate::Client::errors) yields for fire-and-forget submissions
/// (the publisher's the same for changes). `?` turns it into an [`Error`] (what was
/// handed back is dropped).
///
/// What a caller may conclude:
///
/// - The receiver did not accept it through the try that failed, unless
///   [`Error::sent`] is [`Sent::NoAnswer`](crate::Sent::NoAnswer): that try went out
///   whole and got no answer, so the receiver may have it.
/// - With [`attempts`](Failure::attempts) over 1, an earlier try may have gone out
///   unanswered too (a retry follows a connection failure or a retryable status).
///   Every try carries the same event id ([`Failure::event_id`]), by which the
///   receiver can tell a repeat if it is sent again.
/// - With 0 attempts (validation, a timeout in the queue, the client closed), nothing
///   was sent.
pub struct Failure<T = Notification>(Box<Inner<T>>);

// Boxed: keeps `Result<Delivery, Failure>` small; only failures pay the allocation.
struct Inner<T> {
    error: Error,
    item: Option<T>,
    event_id: Option<Uuid>,
    attempts: u32,
    coalesced: bool,
}

impl<T> Failure<T> {
    pub(crate) fn new(
        error: Error,
        item: Option<T>,
        event_id: Option<Uuid>,
        attempts: u32,
    ) -> Self {
        Self(Box::new(Inner {
            error,
            item,
            event_id,
            attempts,
            coalesced: false,
        }))
    }

    /// The failure of a change that a newer one of its resource replaced: nothing to
    /// hand back (the newer one is handed back to its own publisher).
    pub(crate) fn coalesced_away(error: Error, event_id: Option<Uuid>, attempts: u32) -> Self {
        let mut failure = Self::new(error, None, event_id, attempts);
        failure.0.coalesced = true;
        failure
    }

    /// Why sending failed.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The id of the event that carried it, when one was made (encoding ran); the
    /// receiver logs events by this id.
    pub fn event_id(&self) -> Option<Uuid> {
        self.0.event_id
    }

    /// POST attempts made, retries included (0 when nothing was posted).
    pub fn attempts(&self) -> u32 {
        self.0.attempts
    }

    /// The error, dropping the rest.
    pub fn into_error(self) -> Error {
        self.0.error
    }

    /// What was handed back.
    pub(crate) fn item(&self) -> Option<&T> {
        self.0.item.as_ref()
    }

    /// Splits into the error and what was handed back.
    pub(crate) fn split(self) -> (Error, Option<T>) {
        (self.0.error, self.0.item)
    }

    /// Whether a newer change of the same resource had replaced it.
    pub(crate) fn was_coalesced(&self) -> bool {
        self.0.coalesced
    }
}

impl Failure<Notification> {
    /// The notification, handed back to retry or inspect. `None` only when
    /// [`Client::close`](crate::Client::close) gave up while a worker was still
    /// sending it (the worker holds it until its request ends).
    pub fn notification(&self) -> Option<&Notification> {
        self.item()
    }

    /// The notification, dropping the rest (see [`Failure::notification`]).
    pub fn into_notification(self) -> Option<Notification> {
        self.split().1
    }

    /// Splits into the error and the notification.
    pub fn into_parts(self) -> (Error, Option<Notification>) {
        self.split()
    }
}

impl<T> fmt::Debug for Failure<T> {
    // What was handed back is not printed: it carries the resources' properties.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("error", &self.0.error)
            .field("handed_back", &self.0.item.is_some())
            .field("event_id", &self.0.event_id)
            .field("attempts", &self.0.attempts)
            .field("coalesced", &self.0.coalesced)
            .finish()
    }
}

impl<T: Carried> fmt::Display for Failure<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", T::FAILED, self.0.error)
    }
}

impl<T: Carried> std::error::Error for Failure<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

/// `?` on an outcome: keeps the error.
impl<T> From<Failure<T>> for Error {
    fn from(f: Failure<T>) -> Self {
        f.0.error
    }
}

/// A submission that was refused at once; it hands back what was submitted (a
/// [`Notification`], or a change as
/// [`PublishError`](crate::publisher::PublishError) `= SubmitError<Change>`), as
/// crossbeam's `TrySendError` hands back the message.
pub struct SubmitError<T = Notification> {
    error: Error,
    // Boxed: keeps `Result<_, SubmitError>` small (clippy `result_large_err`); only
    // refusals pay the allocation.
    item: Box<T>,
}

impl<T> SubmitError<T> {
    pub(crate) fn new(error: Error, item: T) -> Self {
        Self {
            error,
            item: Box::new(item),
        }
    }

    /// Why the submission was refused ([`Error::Closed`], [`Error::QueueFull`],
    /// [`Error::Invalid`], ...).
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// What was refused.
    pub(crate) fn item(&self) -> &T {
        &self.item
    }

    /// Splits into the error and what was refused.
    pub(crate) fn split(self) -> (Error, T) {
        (self.error, *self.item)
    }
}

impl SubmitError<Notification> {
    /// The refused notification.
    pub fn notification(&self) -> &Notification {
        self.item()
    }

    /// The refused notification, to retry or inspect.
    pub fn into_notification(self) -> Notification {
        self.split().1
    }

    /// Splits into the error and the notification.
    pub fn into_parts(self) -> (Error, Notification) {
        self.split()
    }
}

impl<T> fmt::Debug for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubmitError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<T: Carried> fmt::Display for SubmitError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", T::REFUSED, self.error)
    }
}

/// `?` on a submission: keeps the error, drops what was handed back.
impl<T> From<SubmitError<T>> for Error {
    fn from(e: SubmitError<T>) -> Self {
        e.error
    }
}

impl<T: Carried> std::error::Error for SubmitError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// The failures of fire-and-forget submissions: from
/// [`Client::errors`](crate::Client::errors) (`Errors<Failure>`, counted in
/// [`Stats::errors_dropped`](crate::Stats::errors_dropped) when dropped) and from
/// [`Publisher::errors`](crate::publisher::Publisher::errors)
/// (`Errors<ChangeFailure>`). A bounded channel that drops failures when full. Every
/// handle sees the same queue: each failure is received once. Nobody has to read it.
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use arn_client::model::*;
/// # let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse()?;
/// # let arm = ArmResource::new(Activity::Snapshot, &id, "2024-03-01", &serde_json::json!({}))?;
/// # let n = Notification::new("eastus", "Microsoft.Compute", vec![NotificationResource::new(arm, ChangeAction::Update)]);
/// use std::time::{Duration, Instant};
/// use arn_client::testing::{Behavior, FakeTransport};
///
/// let fake = FakeTransport::new();
/// fake.script_posts([Behavior::Http(400)]);
/// let client = arn_client::Client::with_transports(fake).build()?;
/// client.submit(n)?;
/// client.flush(Instant::now() + Duration::from_secs(10))?;
/// let failure = client.errors().try_recv().expect("the 400 was reported");
/// assert!(matches!(failure.error(), arn_client::Error::Http { status: 400, .. }));
/// let back = failure.into_notification().expect("handed back");
/// # let _ = back;
/// # Ok(()) }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
pub struct Errors<T = Failure>(pub(crate) Receiver<T>);

impl<T> Clone for Errors<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T> Errors<T> {
    /// The next failure, blocking until there is one; `None` once the client and its
    /// workers are gone and nothing is left.
    pub fn recv(&self) -> Option<T> {
        self.0.recv().ok()
    }

    /// The next failure if there is one now.
    pub fn try_recv(&self) -> Option<T> {
        self.0.try_recv().ok()
    }

    /// The next failure, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<T> {
        self.0.recv_timeout(timeout).ok()
    }

    /// The failures as they come, blocking for each; ends once the client and its
    /// workers are gone and nothing is left.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        self.0.iter()
    }

    /// Every failure there is now, without blocking.
    pub fn try_iter(&self) -> impl Iterator<Item = T> + '_ {
        self.0.try_iter()
    }

    /// Failures waiting to be received.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no failure is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T> fmt::Debug for Errors<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Errors").field("len", &self.len()).finish()
    }
}
