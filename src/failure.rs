//! Failed outcomes: [`Failure`], [`SubmitError`] (a refused submission), and [`Errors`],
//! the channel of fire-and-forget ones.

use std::fmt;
use std::time::Duration;

use crossbeam_channel::Receiver;
use uuid::Uuid;

use crate::model::Notification;
use crate::Error;

/// A notification that the client accepted and could not deliver: the error, the
/// notification handed back, and which event carried it.
///
/// The outcome of [`Client::notify`](crate::Client::notify) and
/// [`Promise::wait`](crate::Promise::wait) when sending fails, and what
/// [`Client::errors`](crate::Client::errors) yields for fire-and-forget submissions.
/// `?` turns it into an [`Error`] (the notification is dropped).
///
/// What a caller may conclude:
///
/// - The receiver did not accept the notification through the try that failed, unless
///   [`Error::sent`] is [`Sent::NoAnswer`](crate::Sent::NoAnswer): that try went out
///   whole and got no answer, so the receiver may have it.
/// - With [`attempts`](Failure::attempts) over 1, an earlier try may have gone out
///   unanswered too (a retry follows a connection failure or a retryable status).
///   Every try carries the same event id ([`Failure::event_id`]), by which the
///   receiver can tell a repeat if the notification is sent again.
/// - With 0 attempts (validation, a timeout in the queue, the client closed), nothing
///   was sent.
pub struct Failure(Box<Inner>);

// Boxed: keeps `Result<Delivery, Failure>` small; only failures pay the allocation.
struct Inner {
    error: Error,
    notification: Option<Notification>,
    event_id: Option<Uuid>,
    attempts: u32,
}

impl Failure {
    pub(crate) fn new(
        error: Error,
        notification: Option<Notification>,
        event_id: Option<Uuid>,
        attempts: u32,
    ) -> Self {
        Self(Box::new(Inner {
            error,
            notification,
            event_id,
            attempts,
        }))
    }

    /// Why sending failed.
    pub fn error(&self) -> &Error {
        &self.0.error
    }

    /// The notification, handed back to retry or inspect. `None` only when
    /// [`Client::close`](crate::Client::close) gave up while a worker was still
    /// sending it (the worker holds it until its request ends).
    pub fn notification(&self) -> Option<&Notification> {
        self.0.notification.as_ref()
    }

    /// The id of the event that carried the notification, when one was made (encoding
    /// ran); the receiver logs events by this id.
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

    /// The notification, dropping the rest (see [`Failure::notification`]).
    pub fn into_notification(self) -> Option<Notification> {
        self.0.notification
    }

    /// Splits into the error and the notification.
    pub fn into_parts(self) -> (Error, Option<Notification>) {
        (self.0.error, self.0.notification)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Failure")
            .field("error", &self.0.error)
            .field(
                "resources",
                &self.0.notification.as_ref().map(|n| n.resources.len()),
            )
            .field("event_id", &self.0.event_id)
            .field("attempts", &self.0.attempts)
            .finish()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sending a notification failed: {}", self.0.error)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.error)
    }
}

/// `?` on an outcome: keeps the error.
impl From<Failure> for Error {
    fn from(f: Failure) -> Self {
        f.0.error
    }
}

/// A submission that was refused; it hands the notification back, as crossbeam's
/// `TrySendError` hands back the message.
pub struct SubmitError {
    error: Error,
    // Boxed: keeps `Result<_, SubmitError>` small (clippy `result_large_err`); only
    // refusals pay the allocation.
    notification: Box<Notification>,
}

impl SubmitError {
    pub(crate) fn new(error: Error, notification: Notification) -> Self {
        Self {
            error,
            notification: Box::new(notification),
        }
    }

    /// The refused notification.
    pub fn notification(&self) -> &Notification {
        &self.notification
    }

    /// Why the submission was refused ([`Error::Closed`], [`Error::QueueFull`],
    /// [`Error::Invalid`], ...).
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The refused notification, to retry or inspect.
    pub fn into_notification(self) -> Notification {
        *self.notification
    }

    /// Splits into the error and the notification.
    pub fn into_parts(self) -> (Error, Notification) {
        (self.error, *self.notification)
    }
}

impl fmt::Debug for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubmitError")
            .field("error", &self.error)
            .field("resources", &self.notification.resources.len())
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "submission refused: {}", self.error)
    }
}

/// `?` on a submission: keeps the error, drops the handed-back notification.
impl From<SubmitError> for Error {
    fn from(e: SubmitError) -> Self {
        e.into_parts().0
    }
}

impl std::error::Error for SubmitError {
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
