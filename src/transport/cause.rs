//! A failed request as the crate's error: a TLS rejection (final) or a connection
//! failure (retried) that says how far the request got, each with its typed cause and
//! a secret-free message.

use std::io;

use crate::error::Cause;
use crate::sanitize::{sanitize_message, strip_urls, truncate};
use crate::{Error, Sent};

/// A failed request (no response read) as the crate's error: [`Error::Tls`] when the
/// TLS handshake was refused for good (see [`tls_rejection`]), else
/// [`Error::Connection`] (retryable) that got as far as `sent`. Each keeps its cause;
/// neither holds the request URL.
pub(crate) fn transport_error(e: ureq::Error, sent: Sent) -> Error {
    if let Some(refused) = super::proxy::refusal(&e) {
        return refused;
    }
    if let Some(reason) = tls_rejection(&e) {
        return Error::Tls {
            reason,
            source: rustls_error(&e).map(|r| Cause::new(r.clone())),
        };
    }
    let message = connection_message(&e);
    Error::connection(sent, message, cause(e))
}

/// The rustls error behind a failure, if any.
fn rustls_error(e: &ureq::Error) -> Option<&rustls::Error> {
    match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>(),
        _ => None,
    }
}

/// The typed cause of a connection failure, free of secrets: the I/O error (an OS
/// error as it is; one wrapping a rustls error with a copy of it; any other with its
/// kind and a sanitized message), a timeout as an I/O error of kind `TimedOut`, a
/// rustls error. `None` when ureq has nothing typed (host not found, ...).
fn cause(e: ureq::Error) -> Option<Cause> {
    let io = match e {
        ureq::Error::Io(io) => match io.get_ref() {
            None => io,
            Some(inner) => match inner.downcast_ref::<rustls::Error>() {
                Some(r) => io::Error::new(io.kind(), r.clone()),
                None => io::Error::new(io.kind(), sanitize_message(&inner.to_string())),
            },
        },
        ureq::Error::Timeout(t) => {
            io::Error::new(io::ErrorKind::TimedOut, format!("timed out ({t})"))
        }
        ureq::Error::Rustls(r) => return Some(Cause::new(r)),
        _ => return None,
    };
    Some(Cause::new(io))
}

/// Why the TLS handshake failed, when trying again cannot help: the server's
/// certificate was rejected, or the server refused the handshake (an alert about
/// certificates, versions or access), or no TLS version or cipher is shared.
///
/// With rustls, ureq 3 reports a handshake failure as `Error::Io` of kind
/// `InvalidData` wrapping the `rustls::Error` (rustls' stream adapter), sometimes as
/// `Error::Rustls`, and a host name rustls cannot use as `Error::Tls`.
pub(crate) fn tls_rejection(e: &ureq::Error) -> Option<String> {
    if let ureq::Error::Tls(m) = e {
        return Some(format!("TLS cannot be set up: {m}"));
    }
    rejection_reason(rustls_error(e)?)
}

/// The secret-free reason for a final handshake failure; `None` for a failure that may
/// pass (corrupted records, an internal error on the server).
fn rejection_reason(e: &rustls::Error) -> Option<String> {
    use rustls::AlertDescription as A;
    use rustls::CertificateError as C;
    let reason = match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the server's certificate is not trusted (unknown issuer)".into(),
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the server's certificate is not valid for the host name (wrong name)".into()
            }
            C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired".into(),
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet".into()
            }
            C::Revoked => "the server's certificate is revoked".into(),
            C::BadSignature => "the server's certificate has a bad signature".into(),
            C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                "the server's certificate is not for server authentication".into()
            }
            other => format!("the server's certificate was rejected ({other})"),
        },
        rustls::Error::NoCertificatesPresented => "the server presented no certificate".into(),
        rustls::Error::PeerIncompatible(why) => {
            format!("no TLS version or cipher suite in common with the server ({why:?})")
        }
        rustls::Error::AlertReceived(alert) => match alert {
            A::HandshakeFailure
            | A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied
            | A::ProtocolVersion
            | A::InsufficientSecurity
            | A::UnrecognisedName
            | A::CertificateRequired => format!("the server refused the handshake ({alert:?})"),
            _ => return None,
        },
        _ => return None,
    };
    Some(sanitize_message(&reason))
}

/// A socket/TLS failure as a message without the request URL (no query strings).
fn connection_message(e: &ureq::Error) -> String {
    let msg = match e {
        // std's resolver (getaddrinfo) reports an unknown host as an uncategorized
        // I/O error with this text.
        ureq::Error::Io(io) if io.to_string().contains("failed to lookup address") => {
            format!("host not found: {}", strip_urls(&io.to_string()))
        }
        ureq::Error::Io(io) => format!("{}: {}", io_kind(io.kind()), strip_urls(&io.to_string())),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Tls(m) => format!("TLS: {m}"),
        ureq::Error::BadUri(_) => "bad URI".to_string(),
        other => strip_urls(&other.to_string()),
    };
    truncate(msg, 256)
}

fn io_kind(kind: io::ErrorKind) -> &'static str {
    use io::ErrorKind::*;
    match kind {
        ConnectionRefused => "connection refused",
        ConnectionReset => "connection reset",
        ConnectionAborted => "connection aborted",
        UnexpectedEof => "connection closed",
        BrokenPipe => "broken pipe",
        TimedOut => "timed out",
        InvalidData => "invalid data",
        _ => "I/O error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_failures_are_final_and_named() {
        let io = |e: rustls::Error| {
            ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e))
        };
        let cases = [
            (
                rustls::CertificateError::UnknownIssuer,
                "not trusted (unknown issuer)",
            ),
            (
                rustls::CertificateError::NotValidForName,
                "not valid for the host name",
            ),
            (rustls::CertificateError::Expired, "has expired"),
        ];
        for (cert, want) in cases {
            let e = transport_error(io(rustls::Error::InvalidCertificate(cert)), Sent::Never);
            assert!(
                matches!(&e, Error::Tls { reason, .. } if reason.contains(want)),
                "{e:?} lacks {want}"
            );
            assert!(!e.is_retryable());
            let source = std::error::Error::source(&e).expect("the rustls error is kept");
            assert!(
                source.downcast_ref::<rustls::Error>().is_some(),
                "{source:?}"
            );
        }
        let refused = ureq::Error::Rustls(rustls::Error::AlertReceived(
            rustls::AlertDescription::UnknownCA,
        ));
        assert!(matches!(
            transport_error(refused, Sent::Never),
            Error::Tls { .. }
        ));
    }

    #[test]
    fn other_failures_stay_retryable_connection_errors() {
        let cases = [
            ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                rustls::Error::DecryptError,
            )),
            ureq::Error::Rustls(rustls::Error::AlertReceived(
                rustls::AlertDescription::InternalError,
            )),
            ureq::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
            ureq::Error::HostNotFound,
        ];
        for e in cases {
            let mapped = transport_error(e, Sent::Never);
            assert!(mapped.is_retryable(), "{mapped:?}");
        }
        let refused = transport_error(
            ureq::Error::Io(std::io::ErrorKind::ConnectionRefused.into()),
            Sent::Never,
        );
        assert_eq!(refused.io_kind(), Some(io::ErrorKind::ConnectionRefused));
        assert_eq!(refused.sent(), Some(Sent::Never));
        assert!(
            refused.to_string().contains("connection refused"),
            "{refused}"
        );
        let dns = transport_error(ureq::Error::HostNotFound, Sent::Never);
        assert!(dns.to_string().contains("host not found"), "{dns}");
        let lookup = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        let dns = transport_error(ureq::Error::Io(lookup), Sent::Never);
        assert!(dns.to_string().contains("host not found"), "{dns}");
    }

    #[test]
    fn causes_are_typed_and_secret_free() {
        let timeout = transport_error(
            ureq::Error::Timeout(ureq::Timeout::RecvResponse),
            Sent::NoAnswer,
        );
        assert_eq!(timeout.io_kind(), Some(io::ErrorKind::TimedOut));
        assert_eq!(timeout.sent(), Some(Sent::NoAnswer));
        let leaky = io::Error::new(
            io::ErrorKind::ConnectionReset,
            "reset by https://a.blob/c?sig=SECRET",
        );
        let e = transport_error(ureq::Error::Io(leaky), Sent::NoAnswer);
        assert_eq!(e.io_kind(), Some(io::ErrorKind::ConnectionReset));
        let mut chain = format!("{e} {e:?}");
        let mut next = std::error::Error::source(&e);
        while let Some(s) = next {
            chain.push_str(&format!(" {s} {s:?}"));
            next = s.source();
        }
        assert!(!chain.contains("SECRET"), "{chain}");
    }
}
