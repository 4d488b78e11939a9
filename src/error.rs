//! The crate's one error type.

use std::fmt;
use std::time::Duration;

use crate::model::{Notification, ResourceIdError, ValidationError};

/// Everything that can go wrong in arn-client.
///
/// `Display` and `Debug` never contain tokens, `Authorization` headers or URL query
/// strings (SAS signatures).
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
#[derive(Debug, thiserror::Error)]
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
    /// The request could not be sent or no response was read (refused, host not
    /// found, reset, timeout on the socket, a TLS failure that may pass). Retried.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The TLS handshake was refused in a way that trying again cannot fix: the
    /// server's certificate is not trusted, not valid for the host name, expired or not
    /// yet valid, or the server refused the handshake. Never retried. The message names
    /// the reason (e.g. "the server's certificate is not trusted (unknown issuer)").
    #[error("TLS handshake failed: {0}")]
    Tls(String),
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
    #[error("credential error: {0}")]
    Credential(String),
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
    /// Starting a worker thread failed.
    #[error("spawning a worker thread failed: {0}")]
    Spawn(#[source] std::io::Error),
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
            Error::Connection(_) => true,
            Error::Http { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
            Error::Blob {
                status: Some(status),
                ..
            } => matches!(status, 408 | 429 | 500..=599),
            _ => false,
        }
    }

    /// A copy, for reporting one failure in two places (e.g. as a later timeout's
    /// last error). An I/O error is copied as its kind and message.
    pub(crate) fn duplicate(&self) -> Error {
        match self {
            Error::Invalid(e) => Error::Invalid(e.clone()),
            Error::ResourceId(e) => Error::ResourceId(e.clone()),
            Error::Config(m) => Error::Config(m.clone()),
            Error::Closed => Error::Closed,
            Error::QueueFull => Error::QueueFull,
            Error::Timeout { last_error } => Error::Timeout {
                last_error: last_error.as_deref().map(|e| Box::new(e.duplicate())),
            },
            Error::TooLarge { size, threshold } => Error::TooLarge {
                size: *size,
                threshold: *threshold,
            },
            Error::Http {
                status,
                body,
                retry_after,
            } => Error::Http {
                status: *status,
                body: body.clone(),
                retry_after: *retry_after,
            },
            Error::Connection(m) => Error::Connection(m.clone()),
            Error::Tls(m) => Error::Tls(m.clone()),
            Error::ProxyRefused { status } => Error::ProxyRefused { status: *status },
            Error::Credential(m) => Error::Credential(m.clone()),
            Error::Blob {
                status,
                code,
                request_id,
                message,
            } => Error::Blob {
                status: *status,
                code: code.clone(),
                request_id: request_id.clone(),
                message: message.clone(),
            },
            Error::Encode(m) => Error::Encode(m.clone()),
            Error::Decode(m) => Error::Decode(m.clone()),
            Error::Panicked(m) => Error::Panicked(m.clone()),
            Error::Spawn(e) => Error::Spawn(std::io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// The server's requested delay before a retry, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(Error::Connection("reset".into()).is_retryable());
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
        assert!(!Error::Tls("unknown issuer".into()).is_retryable());
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
        assert_eq!(e.duplicate().to_string(), e.to_string());
        assert_eq!(Error::TIMEOUT.to_string(), "the deadline passed");
        let spawn = Error::Spawn(std::io::Error::other("no threads")).duplicate();
        assert!(spawn.to_string().contains("no threads"), "{spawn}");
    }
}
