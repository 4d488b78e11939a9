//! Turning Azure SDK errors into [`crate::Error`] without leaking response bodies.
//!
//! the SDK error's `Display` is the whole XML body, so only the status,
//! the `x-ms-error-code` and the request id are kept and logged.

use azure_core::error::ErrorKind;
use azure_core::http::headers::HeaderName;

use crate::sanitize::{strip_urls, truncate};
use crate::sdk_call::{find_cause, DeadlineExceeded, SendFailed};
use crate::{Error, Sent};

/// Longest free-text excerpt kept from an SDK error message.
const MAX_MESSAGE: usize = 200;

/// Maps an SDK error from operation `what` ("upload blob", ...).
///
/// The SDK wraps the cause in context ("retry policy expired ...", "non-transport
/// error ..."), so the cause is looked up in the error chain: a passed deadline is
/// [`Error::Timeout`] with the last failed try, a request that got no response is
/// [`Error::Connection`] or [`Error::Tls`] saying what failed (refused, host not
/// found, the certificate's fault).
pub(crate) fn map_sdk_error(error: azure_core::Error, what: &str) -> Error {
    if let Some(deadline) = find_cause::<DeadlineExceeded>(&error) {
        return Error::Timeout {
            last_error: deadline
                .last
                .as_ref()
                .map(|last| Box::new(in_operation(last.clone(), what))),
        };
    }
    if let Some(SendFailed(failure)) = find_cause::<SendFailed>(&error) {
        return in_operation(failure.clone(), what);
    }
    match error.kind() {
        ErrorKind::HttpResponse {
            status,
            error_code,
            raw_response,
        } => {
            let request_id = raw_response.as_ref().and_then(|r| {
                r.headers()
                    .get_optional_string(&HeaderName::from_static("x-ms-request-id"))
            });
            let status = u16::from(*status);
            log::debug!(
                "blob storage: {what} answered HTTP {status} {}",
                error_code.as_deref().unwrap_or("-")
            );
            Error::Blob {
                status: Some(status),
                code: error_code.clone(),
                request_id,
                message: format!("{what} failed"),
            }
        }
        // Not from the transport (which wraps its failures in `SendFailed`): reading
        // the request's own body failed, before anything was sent.
        ErrorKind::Connection | ErrorKind::Io => Error::connection(
            Sent::Never,
            format!("{what}: {}", excerpt(&error.to_string())),
            None,
        ),
        ErrorKind::Credential => Error::credential(excerpt(&error.to_string())),
        ErrorKind::DataConversion => Error::Blob {
            status: None,
            code: None,
            request_id: None,
            message: format!("{what}: unreadable data: {}", excerpt(&error.to_string())),
        },
        _ => Error::Blob {
            status: None,
            code: None,
            request_id: None,
            message: format!("{what}: {}", excerpt(&error.to_string())),
        },
    }
}

/// `error` (one of the transport's: connection, TLS, storage status) as a failure of
/// operation `what`.
pub(crate) fn in_operation(error: Error, what: &str) -> Error {
    match error {
        Error::Connection {
            sent,
            message,
            source,
        } => Error::Connection {
            sent,
            message: format!("{what}: {message}"),
            source,
        },
        Error::Tls { reason, source } => Error::Tls {
            reason: format!("{what}: {reason}"),
            source,
        },
        Error::Blob {
            status,
            code,
            request_id,
            ..
        } => Error::Blob {
            status,
            code,
            request_id,
            message: format!("{what} failed"),
        },
        other => other,
    }
}

/// The storage error code of an SDK error, if the service sent one.
pub(crate) fn error_code(error: &azure_core::Error) -> Option<&str> {
    match error.kind() {
        ErrorKind::HttpResponse { error_code, .. } => error_code.as_deref(),
        _ => None,
    }
}

/// The first line of `s`, at most [`MAX_MESSAGE`] bytes, without URL query strings or
/// bearer values (the transport's own sanitizer).
fn excerpt(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    truncate(strip_urls(line), MAX_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::http::headers::Headers;
    use azure_core::http::{RawResponse, StatusCode};

    #[test]
    fn http_errors_keep_status_code_and_request_id_but_not_the_body() {
        let mut headers = Headers::new();
        headers.insert("x-ms-request-id", "req-1");
        let body = "<?xml version=\"1.0\"?><Error><Code>AuthorizationFailure</Code><Message>sig=SECRET</Message></Error>";
        let raw = RawResponse::from_bytes(StatusCode::Forbidden, headers, body.as_bytes().to_vec());
        let sdk = azure_core::Error::with_message(
            ErrorKind::HttpResponse {
                status: StatusCode::Forbidden,
                error_code: Some("AuthorizationFailure".into()),
                raw_response: Some(Box::new(raw)),
            },
            body,
        );
        match map_sdk_error(sdk, "upload blob") {
            Error::Blob {
                status,
                code,
                request_id,
                message,
            } => {
                assert_eq!(status, Some(403));
                assert_eq!(code.as_deref(), Some("AuthorizationFailure"));
                assert_eq!(request_id.as_deref(), Some("req-1"));
                assert!(!message.contains("SECRET"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn kinds_map_to_variants() {
        let e = azure_core::Error::with_message(ErrorKind::Connection, "refused");
        assert!(matches!(map_sdk_error(e, "x"), Error::Connection { .. }));
        let e = azure_core::Error::with_message(ErrorKind::Credential, "no token");
        assert!(matches!(map_sdk_error(e, "x"), Error::Credential { .. }));
        let e = azure_core::Error::new(ErrorKind::Other, DeadlineExceeded { last: None });
        assert!(matches!(
            map_sdk_error(e, "x"),
            Error::Timeout { last_error: None }
        ));
    }

    #[test]
    fn causes_are_found_under_the_sdk_context() {
        let wrap = |inner: azure_core::Error| {
            inner.with_context("retry policy expired and the request will no longer be retried")
        };
        let refused = Error::connection(
            Sent::Never,
            "connection refused",
            Some(crate::Cause::new(std::io::Error::from(
                std::io::ErrorKind::ConnectionRefused,
            ))),
        );
        let e = wrap(azure_core::Error::new(
            ErrorKind::Io,
            SendFailed(refused.clone()),
        ));
        let mapped = map_sdk_error(e, "get user delegation key");
        assert_eq!(
            mapped.to_string(),
            "connection failed: get user delegation key: connection refused"
        );
        assert_eq!(mapped.sent(), Some(Sent::Never));
        assert_eq!(
            mapped.io_kind(),
            Some(std::io::ErrorKind::ConnectionRefused)
        );

        let e = wrap(azure_core::Error::new(
            ErrorKind::Other,
            SendFailed(Error::Tls {
                reason: "the server's certificate has expired".into(),
                source: None,
            }),
        ));
        assert!(
            matches!(map_sdk_error(e, "x"), Error::Tls { reason, .. } if reason.contains("expired"))
        );

        let e = wrap(azure_core::Error::new(
            ErrorKind::Other,
            DeadlineExceeded {
                last: Some(refused),
            },
        ));
        match map_sdk_error(e, "upload blob") {
            Error::Timeout {
                last_error: Some(last),
            } => assert_eq!(
                last.to_string(),
                "connection failed: upload blob: connection refused"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn excerpt_drops_query_strings_and_long_text() {
        let s = excerpt("GET https://a/b?sig=SECRET failed\nsecond line");
        assert_eq!(s, "GET https://a/b failed");
        assert!(excerpt(&"x".repeat(1000)).chars().count() <= MAX_MESSAGE + 1);
    }
}
