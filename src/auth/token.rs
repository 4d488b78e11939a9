//! A token cache over an azure_identity credential, driven without an async runtime.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use parking_lot::Mutex;

use crate::sanitize::sanitize_message;
use crate::sdk_call::{find_cause, with_deadline, DeadlineExceeded, SendFailed};
use crate::{Cause, Error, SecretString};

/// Produces bearer tokens (re-exported as `transport::TokenSource`, where the
/// transports take it).
pub trait TokenSource: Send + Sync + 'static {
    /// A valid token, from a cache when it has one.
    fn token(&self, deadline: Instant) -> Result<SecretString, Error>;
}

/// A cached token is refreshed this long before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

#[derive(Clone)]
struct Cached {
    token: SecretString,
    refresh_at: Instant,
    expires_at: Instant,
}

/// A [`TokenSource`] over any [`TokenCredential`] (azure_identity 1.x): calls
/// `get_token` with `futures::executor::block_on` on the calling worker thread, caches
/// the token and reuses it until [`REFRESH_MARGIN`] before it expires.
///
/// The worker's deadline bounds the requests a credential sends through
/// [`UreqHttpClient`](crate::transport::UreqHttpClient) (their failure past it is
/// [`Error::Timeout`]).
///
/// One refresh runs at a time: while it runs, other workers use the cached token if it
/// has not expired yet, else wait for the refresh (until their deadline). The
/// credential's own HTTP timeouts bound a refresh; a worker waiting for another's
/// refresh gives up at its deadline with [`Error::Timeout`].
pub struct CredentialTokenSource {
    credential: Arc<dyn TokenCredential>,
    scope: String,
    cached: Mutex<Option<Cached>>,
    refresh: Mutex<()>,
    /// The last refresh's error, until a refresh succeeds: the cause a worker that
    /// timed out waiting for another's refresh reports.
    last_failure: Mutex<Option<Error>>,
}

impl CredentialTokenSource {
    /// Tokens for `scope` from `credential`.
    pub fn new(credential: Arc<dyn TokenCredential>, scope: impl Into<String>) -> Self {
        Self {
            credential,
            scope: scope.into(),
            cached: Mutex::new(None),
            refresh: Mutex::new(()),
            last_failure: Mutex::new(None),
        }
    }

    /// The scope tokens are requested for.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    fn fresh(&self, now: Instant) -> Option<Cached> {
        self.cached
            .lock()
            .as_ref()
            .filter(|c| now < c.refresh_at)
            .cloned()
    }

    fn unexpired(&self, now: Instant) -> Option<Cached> {
        self.cached
            .lock()
            .as_ref()
            .filter(|c| now < c.expires_at)
            .cloned()
    }

    fn fetch(&self, deadline: Instant) -> Result<Cached, Error> {
        log::debug!("requesting a token for scope {}", self.scope);
        let scopes = [self.scope.as_str()];
        // Requests the credential sends through our ureq HttpClient stop at the
        // deadline.
        let token = with_deadline(Some(deadline), || {
            futures::executor::block_on(self.credential.get_token(&scopes, None))
        })
        .map_err(|e| token_error(&e))?;
        let now = Instant::now();
        let left = token.expires_on - azure_core::time::OffsetDateTime::now_utc();
        let left = Duration::try_from(left).unwrap_or_default();
        Ok(Cached {
            token: SecretString::new(token.token.secret()),
            refresh_at: now + left.saturating_sub(REFRESH_MARGIN),
            expires_at: now + left,
        })
    }
}

/// A failed token request as the crate's error: a passed deadline is
/// [`Error::Timeout`] with the last failed try of the request, a final TLS failure is
/// [`Error::Tls`], anything else [`Error::Credential`] (with the cause when a request
/// got no response).
fn token_error(e: &azure_core::Error) -> Error {
    if let Some(deadline) = find_cause::<DeadlineExceeded>(e) {
        return Error::Timeout {
            last_error: deadline
                .last
                .as_ref()
                .map(|last| Box::new(in_token_request(last))),
        };
    }
    match find_cause::<SendFailed>(e) {
        Some(SendFailed(tls @ Error::Tls { .. })) => in_token_request(tls),
        Some(SendFailed(cause)) => Error::Credential {
            message: format!("{}; cause: {cause}", credential_message(e)),
            source: Some(Cause::new(cause.clone())),
        },
        None => Error::credential(credential_message(e)),
    }
}

/// A failed try of a token request, naming the token request (its cause kept).
fn in_token_request(e: &Error) -> Error {
    let mut e = e.clone();
    match &mut e {
        Error::Tls { reason: m, .. } | Error::Connection { message: m, .. } => {
            *m = format!("token request: {m}");
        }
        _ => {}
    }
    e
}

/// The credential error's message, with URL query strings and bearer values removed
/// and shortened.
fn credential_message(e: &azure_core::Error) -> String {
    let msg = sanitize_message(&e.to_string());
    format!("{}: {msg}", e.kind())
}

impl TokenSource for CredentialTokenSource {
    fn token(&self, deadline: Instant) -> Result<SecretString, Error> {
        if let Some(c) = self.fresh(Instant::now()) {
            return Ok(c.token);
        }
        // Someone else may be refreshing: use the still-valid token rather than wait.
        let guard = match self.refresh.try_lock() {
            Some(g) => g,
            None => {
                if let Some(c) = self.unexpired(Instant::now()) {
                    return Ok(c.token);
                }
                self.refresh.try_lock_until(deadline).ok_or_else(|| {
                    let last = self.last_failure.lock();
                    Error::Timeout {
                        last_error: last.as_ref().map(|e| Box::new(e.clone())),
                    }
                })?
            }
        };
        // The refresh we waited for may have succeeded.
        if let Some(c) = self.fresh(Instant::now()) {
            return Ok(c.token);
        }
        match self.fetch(deadline) {
            Ok(c) => {
                *self.cached.lock() = Some(c.clone());
                *self.last_failure.lock() = None;
                drop(guard);
                Ok(c.token)
            }
            Err(e) => {
                *self.last_failure.lock() = Some(e.clone());
                Err(e)
            }
        }
    }
}

impl fmt::Debug for CredentialTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialTokenSource")
            .field("scope", &self.scope)
            .field("cached", &self.cached.lock().is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::error::ErrorKind;

    #[test]
    fn token_errors_keep_their_cause() {
        let deadline = azure_core::Error::new(
            ErrorKind::Other,
            DeadlineExceeded {
                last: Some(Error::connection(
                    crate::Sent::Never,
                    "connection refused",
                    Some(crate::Cause::new(std::io::Error::from(
                        std::io::ErrorKind::ConnectionRefused,
                    ))),
                )),
            },
        )
        .with_context("non-transport error occurred which will not be retried");
        match token_error(&deadline) {
            Error::Timeout {
                last_error: Some(last),
            } => {
                assert_eq!(
                    last.to_string(),
                    "connection failed: token request: connection refused"
                );
                assert_eq!(last.io_kind(), Some(std::io::ErrorKind::ConnectionRefused));
            }
            other => panic!("{other:?}"),
        }

        let tls = azure_core::Error::new(
            ErrorKind::Other,
            SendFailed(Error::Tls {
                reason: "the server's certificate has expired".into(),
                source: None,
            }),
        );
        assert!(
            matches!(token_error(&tls), Error::Tls { reason, .. } if reason.starts_with("token request"))
        );
        let refused = azure_core::Error::new(
            ErrorKind::Io,
            SendFailed(Error::connection(
                crate::Sent::Never,
                "connection refused",
                Some(crate::Cause::new(std::io::Error::from(
                    std::io::ErrorKind::ConnectionRefused,
                ))),
            )),
        );
        let e = token_error(&refused);
        assert!(matches!(e, Error::Credential { .. }), "{e:?}");
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::ConnectionRefused));

        let plain = azure_core::Error::with_message(ErrorKind::Credential, "no identity");
        assert!(matches!(token_error(&plain), Error::Credential { .. }));
    }
}
