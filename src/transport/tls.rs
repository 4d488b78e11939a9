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
use ureq::unversioned::transport::{Connector, DefaultConnector};
use ureq::Agent;

use super::progress::Progress;
use super::resolver::CachingResolver;
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
    lookups: &CachingResolver,
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
/// [`super::resolver`]: without it ureq resolves, on a new thread, before every
/// request) and whose connections note how far each request got
/// ([`super::progress`]).
pub(crate) fn new_agent(config: ureq::config::Config, lookups: &CachingResolver) -> Agent {
    Agent::with_parts(
        config,
        DefaultConnector::new().chain(Progress),
        lookups.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_certificates() {
        assert!(parse_certificates(b"").is_err());
        assert!(parse_certificates(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
        assert_eq!(parse_certificates(&[0x30, 0x03, 1, 2, 3]).unwrap().len(), 1);
    }

    #[test]
    fn agents_resolve_through_the_cache_and_track_progress() {
        let lookups = CachingResolver::default();
        let agent = build_agent(
            Duration::from_secs(1),
            Duration::from_secs(1),
            &[],
            true,
            &lookups,
            None,
        );
        let debug = format!("{agent:?}");
        assert!(debug.contains("CachingResolver"), "{debug}");
        assert!(debug.contains("Progress"), "{debug}");
    }
}
