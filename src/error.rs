//! The crate's one error type, [`Cause`], and [`Sent`]: how far a failed request got.
//!
//! Below the model, which returns [`Error`]: the model's own error types that `Error`
//! holds ([`ValidationError`], [`ResourceIdError`]) are defined here too, and public
//! from `arn_client::model`.

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

mod resource_id;
mod validation;

pub use resource_id::{ResourceIdError, ResourceIdErrorKind};
pub use validation::{Rule, ValidationError};

/// The cause behind an error: an I/O error (whose [`io::ErrorKind`] says what happened,
/// see [`Error::io_kind`]), a TLS error or the crate's own error of a failed request.
/// Shared, so that an error handed to several parties (a promise, the errors channel, a
/// later timeout) keeps it. It dereferences to the error itself, which is what
/// [`source`](std::error::Error::source) returns (so `downcast_ref` finds its type).
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync + 'static>);

impl Cause {
    /// Shares `error` as a cause.
    pub(crate) fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

/// Any error becomes a cause (`Error::Spawn(io_error.into())`).
impl<E: std::error::Error + Send + Sync + 'static> From<E> for Cause {
    fn from(error: E) -> Self {
        Self::new(error)
    }
}

impl std::ops::Deref for Cause {
    type Target = dyn std::error::Error + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// How far a failed request got, which says whether the receiver may have it.
///
/// Only [`Sent::NoAnswer`] leaves it open: the request went out whole and then the
/// connection broke or timed out before the answer, so the receiver may have accepted
/// it. Every try of a notification carries the same event id
/// ([`Failure::event_id`](crate::Failure::event_id)), by which a receiver can tell a
/// repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sent {
    /// The request did not go out whole: the host was not found, the connection was
    /// refused, the TLS handshake failed, or the connection broke while the request was
    /// being written. The receiver cannot have acted on it.
    Never,
    /// The whole request went out and no answer came (the connection was reset or
    /// closed, or timed out waiting): the receiver may or may not have it.
    NoAnswer,
    /// The receiver (or the storage service) answered, with a status other than
    /// success: it did not take the request.
    Answered,
}

/// Everything that can go wrong in arn-client.
///
/// `Display` and `Debug` never contain tokens, `Authorization` headers or URL query
/// strings (SAS signatures), nor does any error in the [`source`] chain.
///
/// Errors are [`Clone`]: their causes are shared ([`Cause`]).
///
/// [`source`]: std::error::Error::source
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use arn_client::model::*;
/// # let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse()?;
/// # let arm = ArmResource::new(Activity::Snapshot, &id, "2024-03-01", &serde_json::json!({}))?;
/// # let n = Notification::new("eastus", "Microsoft.Compute", vec![NotificationResource::new(arm, ChangeAction::Update)]);
/// use arn_client::testing::{Behavior, FakeTransport};
/// use arn_client::Error;
///
/// let fake = FakeTransport::new();
/// fake.script_posts([Behavior::Http(400)]);
/// let client = arn_client::Client::with_transports(fake).build()?;
/// match client.notify(n) {
///     Ok(report) => println!("sent as event {}", report.event_id),
///     Err(failure) => match failure.error() {
///         Error::Http { status: 400, .. } => {
///             // Rejected for good: fix the notification, handed back here.
///             let _notification = failure.into_notification();
///         }
///         e if e.is_retryable() => { /* try again later */ }
///         e => return Err(e.to_string().into()),
///     },
/// }
/// # Ok(()) }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The notification breaks a validation rule (`docs/protocol.md` section 4).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A string is not a valid ARM resource id.
    #[error(transparent)]
    ResourceId(#[from] ResourceIdError),
    /// The client configuration is invalid (reported by `build()`).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The client is closed: it accepts no more notifications.
    #[error("the client is closed")]
    Closed,
    /// The submission queue is full (only from the non-blocking `try_` calls).
    #[error("the submission queue is full")]
    QueueFull,
    /// The deadline passed before the operation had an outcome; if the notification
    /// was still queued, nothing was sent.
    #[error("the deadline passed{}", .last_error.as_deref().map(|e| format!("; the last try failed: {e}")).unwrap_or_default())]
    #[non_exhaustive]
    Timeout {
        /// The last failed try's error, when a try was made (an HTTP status, a
        /// connection error, ...): what the retries were waiting out.
        last_error: Option<Box<Error>>,
    },
    /// The resources JSON is too large to go inline and the client has no blob
    /// storage (see [`ClientBuilder::blob_storage`](crate::ClientBuilder::blob_storage));
    /// the notification is handed back (at submission, or in the `Failure` of a
    /// blocking `notify`).
    #[error("the resources JSON is {size} bytes, at or over the inline limit of {threshold} bytes, and the client has no blob storage")]
    #[non_exhaustive]
    TooLarge {
        /// The resources JSON's size in bytes.
        size: usize,
        /// The inline threshold in bytes.
        threshold: usize,
    },
    /// The ARN receiver answered with a status other than 200.
    #[error("the ARN receiver answered HTTP {status}: {body}")]
    #[non_exhaustive]
    Http {
        /// The HTTP status code.
        status: u16,
        /// A short, secret-free excerpt of the response body.
        body: String,
        /// The server's `Retry-After`, if it sent one.
        retry_after: Option<Duration>,
    },
    /// The request could not be sent or no response was read (host not found,
    /// refused, reset, closed, timed out on the socket, a TLS failure that may pass).
    /// Retried. [`Error::sent`] says whether the request went out.
    #[error("connection failed: {message}")]
    #[non_exhaustive]
    Connection {
        /// How far the request got: [`Sent::Never`] or [`Sent::NoAnswer`].
        sent: Sent,
        /// A short, secret-free description (e.g. "connection refused").
        message: String,
        /// The I/O error behind it, when there is one (its kind: [`Error::io_kind`]).
        #[source]
        source: Option<Cause>,
    },
    /// The TLS handshake was refused in a way that trying again cannot fix: the
    /// server's certificate is not trusted, not valid for the host name, expired or not
    /// yet valid, or the server refused the handshake. Never retried; nothing was sent
    /// ([`Sent::Never`]).
    #[error("TLS handshake failed: {reason}")]
    #[non_exhaustive]
    Tls {
        /// Names the reason (e.g. "the server's certificate is not trusted (unknown
        /// issuer)"), prefixed with the operation when it was not the POST itself
        /// (e.g. "token request: ...").
        reason: String,
        /// The TLS error, when there is one.
        #[source]
        source: Option<Cause>,
    },
    /// The HTTP proxy refused to open a tunnel to the server: it answered `CONNECT`
    /// with a 4xx status other than 408 and 429, such as 403 (its policy forbids the
    /// host) or 407 (proxy authentication missing or rejected). Never retried: the proxy
    /// answers the same until its policy or the proxy URL's credentials change. See
    /// [`Proxy`](crate::transport::Proxy).
    #[error("the HTTP proxy refused the tunnel with HTTP {status}{}; not retried", if *.status == 407 { " (proxy authentication required: the proxy URL's user or password is missing or wrong)" } else { "" })]
    #[non_exhaustive]
    ProxyRefused {
        /// The proxy's answer to `CONNECT`.
        status: u16,
    },
    /// The credential could not produce a token.
    #[error("credential error: {message}")]
    #[non_exhaustive]
    Credential {
        /// A short, secret-free description (the credential's error kind and message).
        message: String,
        /// The failed token request's own error ([`Error::Connection`], ...), when the
        /// request got no response.
        #[source]
        source: Option<Cause>,
    },
    /// Blob storage refused or failed an operation.
    #[error("blob storage error{}{}: {message}", .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), .code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    #[non_exhaustive]
    Blob {
        /// The HTTP status, when the service answered.
        status: Option<u16>,
        /// The storage error code (`x-ms-error-code`), when the service sent one.
        code: Option<String>,
        /// The storage request id (`x-ms-request-id`), when the service sent one.
        request_id: Option<String>,
        /// A short, secret-free description.
        message: String,
    },
    /// Encoding the notification failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// A received event (or its blob) could not be parsed back into the model
    /// ([`crate::model::ReceivedEvent`]).
    #[error("decoding a received event failed: {0}")]
    Decode(String),
    /// A transport panicked while handling this notification; the worker lives on.
    #[error("a transport panicked while sending: {0}")]
    Panicked(String),
    /// Starting a thread failed; the cause is the I/O error ([`Error::io_kind`]).
    #[error("spawning a worker thread failed: {0}")]
    Spawn(#[source] Cause),
}

impl Error {
    /// A timeout with no earlier failed try.
    pub(crate) const TIMEOUT: Error = Error::Timeout { last_error: None };

    /// A timeout whose last try failed with `last`.
    pub(crate) fn timeout_after(last: Error) -> Error {
        Error::Timeout {
            last_error: Some(Box::new(last)),
        }
    }

    /// Whether trying again may succeed: [`Error::Connection`], HTTP 408, 429, 500,
    /// 502, 503, 504 from the receiver (`docs/protocol.md` section 2), and blob storage
    /// answers 408, 429 and 5xx. Everything else is final, notably
    /// [`Error::Tls`] (a rejected certificate stays rejected) and [`Error::Timeout`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection { .. } => true,
            Error::Http { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            Error::Blob {
                status: Some(status),
                ..
            } => matches!(status, 408 | 429 | 500..=599),
            _ => false,
        }
    }

    /// A connection error: the request got as far as `sent`.
    pub(crate) fn connection(
        sent: Sent,
        message: impl Into<String>,
        source: Option<Cause>,
    ) -> Error {
        Error::Connection {
            sent,
            message: message.into(),
            source,
        }
    }

    /// A credential error with no cause behind it.
    pub(crate) fn credential(message: impl Into<String>) -> Error {
        Error::Credential {
            message: message.into(),
            source: None,
        }
    }

    /// How far the failed request got, when the error is about a request:
    /// [`Sent::Never`] for a refused TLS handshake or proxy tunnel, the connection
    /// error's own, and
    /// [`Sent::Answered`] for an HTTP status from the receiver or the storage service.
    /// `None` for everything else, [`Error::Timeout`] included (its
    /// `last_error`, if any, is about an earlier try).
    pub fn sent(&self) -> Option<Sent> {
        match self {
            Error::Connection { sent, .. } => Some(*sent),
            Error::Tls { .. } | Error::ProxyRefused { .. } => Some(Sent::Never),
            Error::Http { .. }
            | Error::Blob {
                status: Some(_), ..
            } => Some(Sent::Answered),
            _ => None,
        }
    }

    /// The kind of the first I/O error in the [`source`](std::error::Error::source)
    /// chain (e.g. `ConnectionRefused`, `ConnectionReset`, `TimedOut`), if there is one.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(self);
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<io::Error>() {
                return Some(io.kind());
            }
            next = e.source();
        }
        None
    }

    /// The server's requested delay before a retry, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SubmitError;

    #[test]
    fn error_is_small_and_thread_safe() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
        assert!(std::mem::size_of::<Error>() <= 96);
        assert!(std::mem::size_of::<SubmitError>() <= 128);
    }

    #[test]
    fn retryable_statuses() {
        for s in [408, 429, 500, 502, 503, 504] {
            let e = Error::Http {
                status: s,
                body: String::new(),
                retry_after: None,
            };
            assert!(e.is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404, 501] {
            let e = Error::Http {
                status: s,
                body: String::new(),
                retry_after: None,
            };
            assert!(!e.is_retryable(), "{s}");
        }
        assert!(Error::connection(Sent::NoAnswer, "reset", None).is_retryable());
        let blob = |status| Error::Blob {
            status,
            code: None,
            request_id: None,
            message: String::new(),
        };
        for s in [408, 429, 500, 503, 507] {
            assert!(blob(Some(s)).is_retryable(), "storage {s}");
        }
        for s in [Some(400), Some(403), Some(404), None] {
            assert!(!blob(s).is_retryable(), "storage {s:?}");
        }
        let tls = Error::Tls {
            reason: "unknown issuer".into(),
            source: None,
        };
        assert!(!tls.is_retryable());
        assert!(!Error::TIMEOUT.is_retryable());
    }

    #[test]
    fn timeouts_say_what_the_last_try_got() {
        let e = Error::timeout_after(Error::Http {
            status: 503,
            body: "busy".into(),
            retry_after: None,
        });
        assert_eq!(
            e.to_string(),
            "the deadline passed; the last try failed: the ARN receiver answered HTTP 503: busy"
        );
        assert_eq!(e.clone().to_string(), e.to_string());
        assert_eq!(Error::TIMEOUT.to_string(), "the deadline passed");
        let spawn = Error::Spawn(io::Error::other("no threads").into()).clone();
        assert!(spawn.to_string().contains("no threads"), "{spawn}");
        assert_eq!(spawn.io_kind(), Some(io::ErrorKind::Other));
    }

    #[test]
    fn causes_are_kept_through_the_chain_and_copies() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        let e = Error::connection(Sent::Never, "connection refused", Some(Cause::new(refused)));
        let copy = e.clone();
        for e in [&e, &copy] {
            assert_eq!(e.io_kind(), Some(io::ErrorKind::ConnectionRefused));
            assert_eq!(e.sent(), Some(Sent::Never));
            let source = std::error::Error::source(e).expect("kept");
            assert!(source.downcast_ref::<io::Error>().is_some());
        }
        let credential = Error::Credential {
            message: "token request failed".into(),
            source: Some(Cause::new(e)),
        };
        assert_eq!(credential.io_kind(), Some(io::ErrorKind::ConnectionRefused));
        assert_eq!(credential.sent(), None);
        let answered = Error::Http {
            status: 503,
            body: String::new(),
            retry_after: None,
        };
        assert_eq!(answered.sent(), Some(Sent::Answered));
        assert_eq!(answered.io_kind(), None);
    }
}
