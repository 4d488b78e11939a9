//! The shared ureq `Agent`: rustls, a keep-alive pool, explicit timeouts and the
//! trusted roots.
//!
//! ureq 3 cannot add one certificate to its built-in (webpki) roots: an agent trusts
//! either the built-in roots or a given set (ureq 3 has no way to add one root to its defaults). So when
//! extra roots are configured, the agent trusts ONLY those.

use std::time::Duration;

use ureq::config::ConfigBuilder;
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::typestate::AgentScope;
use ureq::Agent;

use crate::Error;

/// The connect timeout used when none is configured.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The whole-request timeout used when none is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Parses one or more certificates given as PEM (any number of `CERTIFICATE` blocks)
/// or as one DER certificate.
pub(crate) fn parse_certificates(bytes: &[u8]) -> Result<Vec<Certificate<'static>>, Error> {
    let looks_pem = bytes
        .windows(b"-----BEGIN".len())
        .any(|w| w == b"-----BEGIN");
    if !looks_pem {
        if bytes.is_empty() {
            return Err(Error::Config("an empty root certificate".into()));
        }
        return Ok(vec![Certificate::from_der(bytes).to_owned()]);
    }
    parse_pem_certificates(bytes)
}

/// Parses the `CERTIFICATE` blocks of a PEM text: at least one, and nothing unreadable.
pub(crate) fn parse_pem_certificates(bytes: &[u8]) -> Result<Vec<Certificate<'static>>, Error> {
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(bytes) {
        match item {
            Ok(PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => return Err(Error::Config(format!("a root certificate: {e}"))),
        }
    }
    if certs.is_empty() {
        return Err(Error::Config(
            "a root certificate PEM holds no CERTIFICATE block".into(),
        ));
    }
    Ok(certs)
}

/// The configuration every agent of the crate starts from: TLS trusting `roots` (empty
/// means the built-in webpki roots; otherwise ONLY `roots`), every HTTP status read as
/// a response, `timeout` for a whole request and `connect_timeout` (when given) for
/// connecting. Callers add their own redirect, scheme and pool rules.
pub(crate) fn agent_config(
    connect_timeout: Option<Duration>,
    timeout: Duration,
    roots: &[Certificate<'static>],
) -> ConfigBuilder<AgentScope> {
    let root_certs = if roots.is_empty() {
        RootCerts::WebPki
    } else {
        RootCerts::new_with_certs(roots)
    };
    let tls = TlsConfig::builder().root_certs(root_certs).build();
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .tls_config(tls);
    match connect_timeout {
        Some(t) => config.timeout_connect(Some(t)),
        None => config,
    }
}

/// Builds the one agent shared by all workers. `roots` empty means the built-in
/// webpki roots; otherwise only `roots` are trusted. No redirects (a 3xx is an error).
/// `proxy`: see [`super::Proxy`] (`None` connects directly).
pub(crate) fn build_agent(
    connect_timeout: Duration,
    timeout: Duration,
    roots: &[Certificate<'static>],
    https_only: bool,
    lookups: &super::resolver::CachingResolver,
    proxy: Option<ureq::Proxy>,
) -> Agent {
    new_agent(
        agent_config(Some(connect_timeout), timeout, roots)
            .proxy(proxy)
            .https_only(https_only)
            .max_redirects(0)
            .max_idle_connections(256)
            .max_idle_connections_per_host(256)
            .build(),
        lookups,
    )
}

/// An agent for `config` whose host lookups are cached (see
/// [`super::resolver`]): without it ureq resolves, on a new thread, before every
/// request.
pub(crate) fn new_agent(
    config: ureq::config::Config,
    lookups: &super::resolver::CachingResolver,
) -> Agent {
    Agent::with_parts(
        config,
        ureq::unversioned::transport::DefaultConnector::new(),
        lookups.clone(),
    )
}

/// A failed request (no response read) as the crate's error: [`Error::ProxyRefused`]
/// when the proxy refused the tunnel, [`Error::Tls`] when the
/// TLS handshake was refused for good (see [`tls_rejection`]), else
/// [`Error::Connection`] (retryable). Neither holds the request URL.
pub(crate) fn transport_error(e: &ureq::Error) -> Error {
    if let Some(refused) = super::proxy::refusal(e) {
        return refused;
    }
    match tls_rejection(e) {
        Some(reason) => Error::Tls(reason),
        None => Error::Connection(connection_message(e)),
    }
}

/// Why the TLS handshake failed, when trying again cannot help: the server's
/// certificate was rejected, or the server refused the handshake (an alert about
/// certificates, versions or access), or no TLS version or cipher is shared.
///
/// With rustls, ureq 3 reports a handshake failure as `Error::Io` of kind
/// `InvalidData` wrapping the `rustls::Error` (rustls' stream adapter), sometimes as
/// `Error::Rustls`, and a host name rustls cannot use as `Error::Tls`.
pub(crate) fn tls_rejection(e: &ureq::Error) -> Option<String> {
    let rustls_error = match e {
        ureq::Error::Rustls(r) => r,
        ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>()?,
        ureq::Error::Tls(m) => return Some(format!("TLS cannot be set up: {m}")),
        _ => return None,
    };
    rejection_reason(rustls_error)
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

fn io_kind(kind: std::io::ErrorKind) -> &'static str {
    use std::io::ErrorKind::*;
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

/// Removes query strings from anything that looks like a URL, and the value after
/// every `Bearer` (any case). A word made only of lowercase letters after "bearer" is
/// prose ("wrong bearer token"), not a credential, and is kept.
pub(crate) fn strip_urls(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_bearer = false;
    for (i, word) in s.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let bare = word.trim_end_matches(|c: char| c.is_ascii_punctuation());
        if after_bearer && !is_prose(bare) && !bare.is_empty() {
            out.push_str("<redacted>");
            out.push_str(&word[bare.len()..]);
        } else if word.contains("://") || word.contains('?') {
            out.push_str(crate::secret::strip_query(word));
        } else {
            out.push_str(word);
        }
        let tail = word.rsplit(|c: char| !c.is_ascii_alphabetic()).next();
        after_bearer = tail.is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
    }
    out
}

/// A plain lowercase word of at most 12 letters: English, not a token.
fn is_prose(word: &str) -> bool {
    word.len() <= 12 && word.bytes().all(|b| b.is_ascii_lowercase())
}

/// A message safe for errors and logs: no URL query strings, no bearer values, at
/// most 256 bytes.
pub(crate) fn sanitize_message(s: &str) -> String {
    truncate(strip_urls(s), 256)
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(crate) fn truncate(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_query_strings_and_bearer() {
        let s = strip_urls("GET https://a.blob/c?sig=SECRET failed; Bearer abc.def");
        assert!(!s.contains("SECRET") && !s.contains("abc.def"), "{s}");
        assert!(s.contains("https://a.blob/c"));
        let s = strip_urls("Authorization: Bearer SENTINEL-TOKEN-7f3a9, bearer=x");
        assert!(!s.contains("SENTINEL"), "{s}");
        assert!(s.contains("Bearer <redacted>,"), "{s}");
    }

    #[test]
    fn keeps_prose_after_bearer() {
        let body = r#"{"error":"missing or wrong bearer token"}"#;
        assert_eq!(strip_urls(body), body);
        assert_eq!(strip_urls("no bearer"), "no bearer");
    }

    #[test]
    fn truncates_on_char_boundary() {
        assert_eq!(truncate("ééé".into(), 3), "é");
        assert_eq!(truncate("abc".into(), 10), "abc");
    }

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
            let e = transport_error(&io(rustls::Error::InvalidCertificate(cert)));
            assert!(
                matches!(&e, Error::Tls(m) if m.contains(want)),
                "{e:?} lacks {want}"
            );
            assert!(!e.is_retryable());
        }
        let refused = ureq::Error::Rustls(rustls::Error::AlertReceived(
            rustls::AlertDescription::UnknownCA,
        ));
        assert!(matches!(transport_error(&refused), Error::Tls(_)));
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
            let mapped = transport_error(&e);
            assert!(mapped.is_retryable(), "{e:?} -> {mapped:?}");
        }
        let refused = transport_error(&ureq::Error::Io(
            std::io::ErrorKind::ConnectionRefused.into(),
        ));
        assert!(
            refused.to_string().contains("connection refused"),
            "{refused}"
        );
        let dns = transport_error(&ureq::Error::HostNotFound);
        assert!(dns.to_string().contains("host not found"), "{dns}");
        let lookup = std::io::Error::other(
            "failed to lookup address information: Name or service not known",
        );
        let dns = transport_error(&ureq::Error::Io(lookup));
        assert!(dns.to_string().contains("host not found"), "{dns}");
    }

    #[test]
    fn rejects_bad_certificates() {
        assert!(parse_certificates(b"").is_err());
        assert!(parse_certificates(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
        assert_eq!(parse_certificates(&[0x30, 0x03, 1, 2, 3]).unwrap().len(), 1);
    }
}
