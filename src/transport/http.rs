//! The ureq transport to the ARN receiver (`docs/protocol.md` section 2).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use azure_core::credentials::TokenCredential;
use parking_lot::Mutex;
use ureq::http::header::{ACCEPT, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use ureq::http::{HeaderName, HeaderValue};
use ureq::tls::Certificate;
use ureq::Agent;

use super::cause::transport_error;
use super::progress;
use super::resolver::CachingResolver;
use super::retry::parse_retry_after;
use super::tls::{build_agent, parse_certificates, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use super::{EventPost, EventTransport, Proxy};
use crate::auth::{Cloud, CredentialTokenSource, TokenSource};
use crate::sanitize::{strip_urls, truncate};
use crate::{Error, SecretString};

/// The longest excerpt of an error response body kept in [`Error::Http`].
const BODY_EXCERPT: usize = 256;
/// The most of an error response body that is read (the rest is dropped).
const BODY_READ_LIMIT: u64 = 16 * 1024;
/// The publisher header (`docs/protocol.md` section 2); header names and constant
/// values are made once, not parsed on every request.
const PUBLISHER_INFO: HeaderName = HeaderName::from_static("publisherinfo");
const JSON: HeaderValue = HeaderValue::from_static("application/json");
const DEFLATE: HeaderValue = HeaderValue::from_static("deflate");

/// Where and how to reach the ARN receiver; [`ReceiverConfig::build`] turns it into an
/// [`HttpTransport`].
///
/// Proxies: by default the transport reads `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`
/// and `NO_PROXY` (or their lowercase forms) once, when it is built; every request
/// then goes through a `CONNECT` tunnel to the receiver unless `NO_PROXY` names the
/// receiver's host. [`ReceiverConfig::proxy`] overrides the environment; the rules are
/// in [`Proxy`].
///
/// ```no_run
/// # use std::sync::Arc;
/// # fn demo(credential: Arc<dyn azure_core::credentials::TokenCredential>) -> Result<(), arn_client::Error> {
/// use arn_client::auth::Cloud;
/// use arn_client::transport::ReceiverConfig;
///
/// let transport = ReceiverConfig::new("https://arn.example.net", credential)
///     .cloud(Cloud::AzurePublic)
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a configuration does nothing until it is built or given to Client::builder"]
pub struct ReceiverConfig {
    endpoint: String,
    credential: Arc<dyn TokenCredential>,
    cloud: Option<Cloud>,
    scope: Option<String>,
    allow_http_loopback: bool,
    roots: Vec<Vec<u8>>,
    connect_timeout: Duration,
    timeout: Duration,
    proxy: Proxy,
}

impl ReceiverConfig {
    /// The receiver at `endpoint` (events go to `{endpoint}/arnnotify`), authenticated
    /// with tokens from `credential` (any azure_identity 1.x credential).
    pub fn new(endpoint: impl Into<String>, credential: Arc<dyn TokenCredential>) -> Self {
        Self {
            endpoint: endpoint.into(),
            credential,
            cloud: None,
            scope: None,
            allow_http_loopback: false,
            roots: Vec::new(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            proxy: Proxy::from_env(),
        }
    }

    /// The Azure cloud, which picks the token scope (see [`Cloud::scope`]). Defaults to
    /// none: the scope `https://arg.management.core.windows.net//.default`.
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.cloud = Some(cloud);
        self
    }

    /// An explicit token scope; it overrides [`ReceiverConfig::cloud`]. Defaults to the
    /// cloud's scope.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Allow an `http://` endpoint when its host is loopback (`127.0.0.0/8`, `::1`,
    /// `localhost`), for local tests. Defaults to `false` (`https://` only).
    pub fn allow_http_loopback(mut self, allow: bool) -> Self {
        self.allow_http_loopback = allow;
        self
    }

    /// Trust this root certificate (PEM, possibly several blocks, or DER). ureq cannot
    /// add to its built-in roots, so once any root is added ONLY the added roots are
    /// trusted (for a private receiver or a local test receiver). Defaults to none: the
    /// built-in webpki (Mozilla) roots.
    pub fn add_root_certificate(mut self, pem_or_der: impl AsRef<[u8]>) -> Self {
        self.roots.push(pem_or_der.as_ref().to_vec());
        self
    }

    /// The TCP + TLS connect timeout. Defaults to 10 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The timeout of one whole request (connect, send, response); a notification's
    /// deadline shortens it. Defaults to 60 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The HTTP proxy to the receiver: [`Proxy::url`] (every request through it),
    /// [`Proxy::none`] (direct), or [`Proxy::from_env`] (`HTTPS_PROXY`, `NO_PROXY`, ...
    /// read when the transport is built). Defaults to [`Proxy::from_env`]. The token
    /// requests of the credential do not go through this transport: give the
    /// credential a [`UreqHttpClient`](super::UreqHttpClient) with its own
    /// [`proxy`](super::UreqHttpClientBuilder::proxy).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// The token scope in effect: the explicit scope, else the cloud's.
    pub fn effective_scope(&self) -> String {
        match &self.scope {
            Some(s) => s.clone(),
            None => Cloud::scope_for(self.cloud).to_string(),
        }
    }

    /// Validates the configuration and builds the transport. Changes nothing
    /// process-global.
    pub fn build(self) -> Result<HttpTransport, Error> {
        let url = notify_url(&self.endpoint, self.allow_http_loopback)?;
        let mut roots: Vec<Certificate<'static>> = Vec::new();
        for r in &self.roots {
            roots.extend(parse_certificates(r)?);
        }
        if self.connect_timeout.is_zero() || self.timeout.is_zero() {
            return Err(Error::Config("timeouts must be greater than zero".into()));
        }
        let proxy = self.proxy.to_ureq()?;
        let scope = self.effective_scope();
        let tokens = CredentialTokenSource::new(self.credential, scope);
        let https_only = url.starts_with("https://");
        let lookups = CachingResolver::default();
        log::debug!("ARN receiver transport for {}", strip_urls(&url));
        Ok(HttpTransport {
            agent: build_agent(
                self.connect_timeout,
                self.timeout,
                &roots,
                https_only,
                &lookups,
                proxy,
            ),
            lookups,
            url,
            tokens: Arc::new(tokens),
            timeout: self.timeout,
            authorization: Mutex::new(None),
        })
    }

    /// Same as [`ReceiverConfig::build`], boxed behind the seam trait.
    pub fn into_transport(self) -> Result<Arc<dyn EventTransport>, Error> {
        Ok(Arc::new(self.build()?))
    }
}

impl fmt::Debug for ReceiverConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverConfig")
            .field("endpoint", &strip_urls(&self.endpoint))
            .field("cloud", &self.cloud)
            .field("scope", &self.scope)
            .field("allow_http_loopback", &self.allow_http_loopback)
            .field("roots", &self.roots.len())
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

/// `{endpoint}/arnnotify`, after checking the scheme (https, or http on loopback when
/// allowed).
fn notify_url(endpoint: &str, allow_http_loopback: bool) -> Result<String, Error> {
    let endpoint = endpoint.trim_end_matches('/');
    if endpoint.contains(['?', '#']) {
        return Err(Error::Config(
            "the receiver endpoint must not have a query".into(),
        ));
    }
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or_else(|| Error::Config("the receiver endpoint is not a URL".into()))?;
    let authority = rest.split('/').next().unwrap_or("");
    if authority.is_empty() || authority.contains('@') {
        return Err(Error::Config(
            "the receiver endpoint needs a host (and no user info)".into(),
        ));
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if allow_http_loopback && is_loopback(authority) => {}
        "http" => {
            return Err(Error::Config(
                "the receiver endpoint must be https:// (http:// only on loopback with allow_http_loopback)".into(),
            ))
        }
        _ => return Err(Error::Config("the receiver endpoint must be https://".into())),
    }
    Ok(format!("{endpoint}/arnnotify"))
}

/// Whether an authority (`host[:port]`) names a loopback host.
fn is_loopback(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Posts events to the ARN receiver over HTTPS with ONE shared ureq agent (a
/// keep-alive pool used by every worker).
pub struct HttpTransport {
    agent: Agent,
    url: String,
    tokens: Arc<dyn TokenSource>,
    timeout: Duration,
    /// The last token and its `Authorization` value (marked sensitive): an AAD token
    /// is 1.5 to 2.5 kB, which would otherwise be formatted and checked again on
    /// every request.
    authorization: Mutex<Option<(SecretString, HeaderValue)>>,
    /// The agent's cached host lookups, forgotten when a request fails to connect.
    lookups: CachingResolver,
}

impl HttpTransport {
    /// Replaces the token source (e.g. to share one token cache between transports).
    pub fn with_token_source(mut self, tokens: Arc<dyn TokenSource>) -> Self {
        self.tokens = tokens;
        *self.authorization.get_mut() = None;
        self
    }

    /// `Bearer {token}`, reused while the token stays the same.
    fn authorization(&self, token: SecretString) -> Result<HeaderValue, Error> {
        let mut cached = self.authorization.lock();
        if let Some((last, value)) = &*cached {
            if last.expose() == token.expose() {
                return Ok(value.clone());
            }
        }
        let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose()))
            .map_err(|_| Error::credential("the token is not a valid HTTP header value"))?;
        value.set_sensitive(true);
        *cached = Some((token, value.clone()));
        Ok(value)
    }
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport")
            .field("url", &strip_urls(&self.url))
            .finish_non_exhaustive()
    }
}

impl EventTransport for HttpTransport {
    /// Gets a token for the receiver's scope (from the cache when it has one).
    fn preflight(&self, deadline: Instant) -> Result<(), Error> {
        self.tokens.token(deadline).map(drop)
    }

    fn post(&self, post: &EventPost<'_>) -> Result<(), Error> {
        if Instant::now() >= post.deadline {
            return Err(Error::TIMEOUT);
        }
        let authorization = self.authorization(self.tokens.token(post.deadline)?)?;
        let remaining = post
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(Error::TIMEOUT)?;
        let mut request = self.agent.post(&self.url);
        if remaining < self.timeout {
            // A shorter timeout for this call: the deadline is nearer than the agent's.
            request = request.config().timeout_global(Some(remaining)).build();
        }
        request = request
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, JSON)
            .header(ACCEPT, JSON)
            .header(PUBLISHER_INFO, post.publisher_info);
        if post.compressed {
            request = request.header(CONTENT_ENCODING, DEFLATE);
        }
        progress::start();
        let mut response = match request.send(post.body) {
            Ok(r) => r,
            Err(e) => {
                self.lookups.forget_after(&e);
                let timed_out = matches!(e, ureq::Error::Timeout(_));
                let error = transport_error(e, progress::sent());
                log::debug!("ARN receiver POST failed: {error}");
                if matches!(error, Error::Tls { .. }) {
                    return Err(error);
                }
                if Instant::now() >= post.deadline {
                    // Our own deadline cut the request short: nothing else went wrong.
                    if timed_out {
                        return Err(Error::TIMEOUT);
                    }
                    return Err(Error::timeout_after(error));
                }
                return Err(error);
            }
        };
        let status = response.status().as_u16();
        if status == 200 {
            // Drain so the connection goes back to the pool.
            let _ = response
                .body_mut()
                .with_config()
                .limit(BODY_READ_LIMIT)
                .read_to_vec();
            log::trace!("ARN receiver accepted an event ({} bytes)", post.body.len());
            return Ok(());
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let body = response
            .body_mut()
            .with_config()
            .limit(BODY_READ_LIMIT)
            .read_to_vec()
            .unwrap_or_default();
        log::debug!("ARN receiver answered HTTP {status}");
        Err(Error::Http {
            status,
            body: body_excerpt(&body),
            retry_after,
        })
    }
}

/// A short, printable, secret-free excerpt of an error response body.
fn body_excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_EXCERPT * 4)]);
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate(strip_urls(clean.trim()), BODY_EXCERPT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_rules() {
        assert_eq!(
            notify_url("https://arn.example.net/", false).unwrap(),
            "https://arn.example.net/arnnotify"
        );
        assert!(notify_url("https://arn.example.net/base", false).is_ok());
        assert!(matches!(
            notify_url("http://arn.example.net", true),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            notify_url("http://127.0.0.1:8080", false),
            Err(Error::Config(_))
        ));
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.3.4.5",
            "http://localhost:1",
            "http://[::1]:99",
        ] {
            assert!(notify_url(ok, true).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x",
            "arn.example.net",
            "https://",
            "https://u:p@host",
            "https://h?sig=x",
            "http://10.0.0.1",
            "http://localhost.evil.com",
        ] {
            assert!(
                matches!(notify_url(bad, true), Err(Error::Config(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn body_excerpts_are_short_and_clean() {
        let long = "x".repeat(1000);
        assert_eq!(body_excerpt(long.as_bytes()).len(), BODY_EXCERPT);
        let e = body_excerpt(b"bad\r\nsee https://h/p?sig=SECRET now");
        assert!(!e.contains("SECRET") && !e.contains('\n'), "{e}");
    }

    #[cfg(feature = "testing")]
    #[test]
    fn a_refused_connection_forgets_the_cached_lookups() {
        // A port nobody listens on: bind one, note it, close it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let credential = crate::testing::StaticTokenCredential::new("t");
        let t = ReceiverConfig::new(format!("https://127.0.0.1:{port}"), credential.shared())
            .build()
            .unwrap();
        let body = b"{}";
        let deadline = Instant::now() + Duration::from_secs(10);
        let err = t
            .post(&EventPost::new(body, false, "P", deadline))
            .unwrap_err();
        assert!(matches!(err, Error::Connection { .. }), "{err}");
        assert_eq!(t.lookups.len(), 0, "forgotten after the failure");
        // Without the failure the answer stays: resolve through the agent's cache.
        let uri: ureq::http::Uri = t.url.parse().unwrap();
        let config = ureq::Agent::config_builder().build();
        let timeout = ureq::unversioned::transport::NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: ureq::Timeout::Global,
            per_read: None,
            per_write: None,
        };
        ureq::unversioned::resolver::Resolver::resolve(&t.lookups, &uri, &config, timeout).unwrap();
        assert_eq!(t.lookups.len(), 1);
    }
}
