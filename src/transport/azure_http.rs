//! A ureq-backed [`azure_core::http::HttpClient`], so the Azure SDK (credentials and
//! blob clients) runs without tokio.
//!
//! with default features off, every SDK client and
//! credential needs a transport; `execute_request` may block because the SDK futures
//! are driven by `futures::executor::block_on` on the caller's (worker) thread. The
//! client reads the status itself (no status-as-error), follows no redirects and never
//! decompresses. It never logs query strings (SAS signatures).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::error::ErrorKind;
use azure_core::http::headers::Headers;
use azure_core::http::{
    AsyncRawResponse, Body, ClientOptions, ExponentialRetryOptions, HttpClient, Request,
    RetryOptions, StatusCode, Transport,
};
use futures::AsyncReadExt;

use super::cause::transport_error;
use super::progress;
use super::resolver::CachingResolver;
use crate::sdk_call::{deadline, remember_failure, DeadlineExceeded, SendFailed};

/// Default time allowed for one HTTP exchange (connect, send, receive).
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default time allowed to establish a connection.
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest response body read into memory.
const MAX_RESPONSE_BODY: u64 = 256 * 1024 * 1024;

/// Builds a [`UreqHttpClient`].
#[derive(Clone)]
#[must_use = "a builder does nothing until build() is called"]
pub struct UreqHttpClientBuilder {
    root_certs: Vec<Vec<u8>>,
    request_timeout: Duration,
    connect_timeout: Duration,
    proxy: super::Proxy,
}

impl fmt::Debug for UreqHttpClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqHttpClientBuilder")
            .field("extra_root_certs", &self.root_certs.len())
            .field("request_timeout", &self.request_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("proxy", &self.proxy)
            .finish()
    }
}

impl UreqHttpClientBuilder {
    /// Trusts this root certificate (PEM, possibly several blocks, or DER). ureq
    /// cannot add to its built-in roots, so once any root is added ONLY the added roots
    /// are trusted (for a local server with a generated certificate). Defaults to
    /// none: the built-in webpki (Mozilla) roots.
    pub fn add_root_certificate(mut self, pem_or_der: impl AsRef<[u8]>) -> Self {
        self.root_certs.push(pem_or_der.as_ref().to_vec());
        self
    }

    /// Limits one HTTP exchange (connect, send the body, receive the response).
    /// Defaults to 30 seconds.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Limits establishing a connection. Defaults to 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The HTTP proxy to Azure Storage or Entra ID: [`Proxy::url`](super::Proxy::url)
    /// (every request through it), [`Proxy::none`](super::Proxy::none) (direct), or
    /// [`Proxy::from_env`](super::Proxy::from_env) (`HTTPS_PROXY`, `NO_PROXY`, ...
    /// read when the client is built). Defaults to the environment; the rules are in
    /// [`Proxy`](super::Proxy).
    pub fn proxy(mut self, proxy: super::Proxy) -> Self {
        self.proxy = proxy;
        self
    }

    /// Builds the client; fails with [`crate::Error::Config`] on an unreadable
    /// certificate, a zero timeout or a proxy URL that is not `http://` or `https://`.
    pub fn build(self) -> Result<UreqHttpClient, crate::Error> {
        if self.request_timeout.is_zero() || self.connect_timeout.is_zero() {
            return Err(crate::Error::Config(
                "HTTP timeouts must be positive".into(),
            ));
        }
        let mut certs = Vec::new();
        for pem in &self.root_certs {
            certs.extend(super::tls::parse_certificates(pem)?);
        }
        let proxy = self.proxy.to_ureq()?;
        // The SDK reads redirects itself: a 3xx is a response, not an error.
        let lookups = CachingResolver::default();
        let agent = super::tls::new_agent(
            super::tls::agent_config(Some(self.connect_timeout), self.request_timeout, &certs)
                .max_redirects(0)
                .max_redirects_will_error(false)
                .https_only(false)
                .proxy(proxy)
                .build(),
            &lookups,
        );
        Ok(UreqHttpClient {
            agent,
            request_timeout: self.request_timeout,
            lookups,
        })
    }
}

/// An [`azure_core::http::HttpClient`] on ureq 3: blocking, no async runtime needed.
///
/// Give it to every Azure SDK client and credential through
/// [`UreqHttpClient::client_options`] (`ClientOptions::transport`).
///
/// Proxies: by default it reads `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and
/// `NO_PROXY` (or their lowercase forms) once, when it is built, as the receiver
/// transport does; [`UreqHttpClientBuilder::proxy`] overrides the environment. The
/// rules are in [`Proxy`](super::Proxy).
#[derive(Clone)]
pub struct UreqHttpClient {
    agent: ureq::Agent,
    request_timeout: Duration,
    /// The agent's cached host lookups, forgotten when a request fails to connect
    /// (the next try looks the name up again).
    lookups: CachingResolver,
}

impl fmt::Debug for UreqHttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqHttpClient")
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl UreqHttpClient {
    /// A builder with the defaults (built-in roots, 30 s per request, 10 s connect).
    pub fn builder() -> UreqHttpClientBuilder {
        UreqHttpClientBuilder {
            root_certs: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            proxy: super::Proxy::from_env(),
        }
    }

    /// `ClientOptions` whose transport is this client, for SDK option structs
    /// (`BlobServiceClientOptions { client_options, .. }`,
    /// `ClientSecretCredentialOptions { client_options }`, ...). The SDK's own retries
    /// are kept but bounded (3 retries, 200 ms initial delay, 10 s in all).
    pub fn client_options(self: &Arc<Self>) -> ClientOptions {
        ClientOptions {
            transport: Some(Transport::new(self.clone())),
            retry: RetryOptions::exponential(ExponentialRetryOptions {
                max_retries: 3,
                initial_delay: azure_core::time::Duration::milliseconds(200),
                max_total_elapsed: azure_core::time::Duration::seconds(10),
                max_delay: azure_core::time::Duration::seconds(2),
            }),
            ..ClientOptions::default()
        }
    }

    /// Sends one request and reads the whole response (blocking).
    fn send(&self, request: &Request, body: Vec<u8>) -> azure_core::Result<AsyncRawResponse> {
        let mut timeout = self.request_timeout;
        if let Some(deadline) = deadline() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(azure_core::Error::new(
                    ErrorKind::Other,
                    DeadlineExceeded::now(),
                ));
            }
            timeout = timeout.min(left);
        }
        let method = ureq::http::Method::from_bytes(request.method().as_ref().as_bytes())
            .map_err(|e| azure_core::Error::new(ErrorKind::DataConversion, e))?;
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(request.url().as_str());
        for (name, value) in request.headers().iter() {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let http_request = builder
            .body(body)
            .map_err(|e| azure_core::Error::new(ErrorKind::DataConversion, e))?;
        let http_request = self
            .agent
            .configure_request(http_request)
            .timeout_global(Some(timeout))
            .build();
        log::trace!(
            "azure http {} {}",
            request.method().as_ref(),
            crate::secret::strip_query(request.url().as_str())
        );
        progress::start();
        let response = match self.agent.run(http_request) {
            Ok(r) => r,
            Err(e) => {
                self.lookups.forget_after(&e);
                return Err(map_ureq_error(e));
            }
        };
        let status = StatusCode::from(response.status().as_u16());
        let mut headers = Headers::new();
        for (name, value) in response.headers() {
            if let Ok(v) = value.to_str() {
                headers.insert(name.as_str().to_owned(), v.to_owned());
            }
        }
        if RETRIED_STATUSES.contains(&u16::from(status)) {
            let header = |name: &'static str| {
                headers
                    .get_optional_string(&azure_core::http::headers::HeaderName::from_static(name))
            };
            remember_failure(&crate::Error::Blob {
                status: Some(status.into()),
                code: header("x-ms-error-code"),
                request_id: header("x-ms-request-id"),
                message: format!("the service answered HTTP {}", u16::from(status)),
            });
        }
        let bytes = response
            .into_body()
            .into_with_config()
            .limit(MAX_RESPONSE_BODY)
            .read_to_vec()
            .map_err(map_ureq_error)?;
        Ok(AsyncRawResponse::from_bytes(status, headers, bytes))
    }
}

#[async_trait::async_trait]
impl HttpClient for UreqHttpClient {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let body = match request.body() {
            Body::Bytes(bytes) => bytes.to_vec(),
            Body::SeekableStream(stream) => {
                let mut stream = stream.clone();
                stream.reset().await?;
                let mut buf = Vec::new();
                stream
                    .read_to_end(&mut buf)
                    .await
                    .map_err(|e| azure_core::Error::new(ErrorKind::Io, e))?;
                buf
            }
        };
        self.send(request, body)
    }
}

/// The statuses the SDK's retry policy retries (its default set): a timeout after one
/// of them reports it as the last failed try.
const RETRIED_STATUSES: [u16; 6] = [408, 429, 500, 502, 503, 504];

/// Maps a ureq error to an SDK error holding a [`SendFailed`]: connection-level
/// failures (a proxy that cannot reach the server too) get the kinds
/// `Connection`/`Io` (which the SDK retries), a final TLS failure
/// ([`crate::Error::Tls`]) or a proxy's refusal ([`crate::Error::ProxyRefused`]) the
/// kind `Other` (which it does not retry); a
/// passed deadline becomes [`DeadlineExceeded`].
fn map_ureq_error(e: ureq::Error) -> azure_core::Error {
    let past_deadline = deadline().is_some_and(|d| Instant::now() >= d);
    let kind = match &e {
        ureq::Error::Timeout(_) if past_deadline => {
            return azure_core::Error::new(ErrorKind::Other, DeadlineExceeded::now());
        }
        // The URI may carry a SAS: never put it in a message.
        ureq::Error::BadUri(_) => {
            return azure_core::Error::with_message(
                ErrorKind::DataConversion,
                "invalid request URL",
            );
        }
        ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::ConnectProxyFailed(_) => ErrorKind::Connection,
        ureq::Error::Io(_) | ureq::Error::Timeout(_) | ureq::Error::Protocol(_) => ErrorKind::Io,
        _ => ErrorKind::Other,
    };
    let failure = transport_error(e, progress::sent());
    let kind = if matches!(
        failure,
        crate::Error::Tls { .. } | crate::Error::ProxyRefused { .. }
    ) {
        ErrorKind::Other
    } else {
        kind
    };
    log::debug!("azure http request failed: {failure}");
    remember_failure(&failure);
    azure_core::Error::new(kind, SendFailed(failure))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdk_call::{find_cause, with_deadline};

    #[test]
    fn zero_timeouts_are_config_errors() {
        for b in [
            UreqHttpClient::builder().request_timeout(Duration::ZERO),
            UreqHttpClient::builder().connect_timeout(Duration::ZERO),
        ] {
            assert!(matches!(b.build(), Err(crate::Error::Config(_))));
        }
        assert!(UreqHttpClient::builder().build().is_ok());
    }

    #[test]
    fn past_deadline_fails_before_sending() {
        let client = UreqHttpClient::builder().build().unwrap();
        let req = Request::new(
            azure_core::http::Url::parse("https://127.0.0.1:9/x?sig=secret").unwrap(),
            azure_core::http::Method::Get,
        );
        let past = Instant::now() - Duration::from_secs(1);
        let err = with_deadline(Some(past), || client.send(&req, Vec::new())).unwrap_err();
        assert!(find_cause::<DeadlineExceeded>(&err).is_some());
    }

    #[test]
    fn refused_connection_is_a_connection_error() {
        // Port 9 (discard) on loopback is closed on CI machines.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let client = UreqHttpClient::builder().build().unwrap();
        let req = Request::new(
            azure_core::http::Url::parse(&format!("http://127.0.0.1:{port}/x")).unwrap(),
            azure_core::http::Method::Get,
        );
        let err = client.send(&req, Vec::new()).unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::Connection | ErrorKind::Io),
            "{err:?}"
        );
        // The host's cached lookup is forgotten: the next try resolves it again.
        assert_eq!(client.lookups.len(), 0);
    }

    #[cfg(feature = "testing")]
    #[test]
    fn a_deadline_reports_the_last_retried_status_of_its_operation() {
        use crate::testing::{ArnReceiver, Fault};
        let receiver = ArnReceiver::start("t").unwrap();
        receiver.script([Fault::Status(503)]);
        let client = UreqHttpClient::builder()
            .add_root_certificate(receiver.certificate_pem())
            .build()
            .unwrap();
        let url = format!("{}/arnnotify", receiver.url());
        let req = Request::new(
            azure_core::http::Url::parse(&url).unwrap(),
            azure_core::http::Method::Post,
        );
        let far = Instant::now() + Duration::from_secs(60);
        let last = with_deadline(Some(far), || {
            let response = client.send(&req, Vec::new()).unwrap();
            assert_eq!(u16::from(response.status()), 503);
            DeadlineExceeded::now().last
        });
        match last {
            Some(crate::Error::Blob {
                status: Some(503), ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // The record belongs to that operation only.
        assert!(DeadlineExceeded::now().last.is_none());
    }

    #[test]
    fn bad_uri_errors_do_not_repeat_the_uri() {
        let e = map_ureq_error(ureq::Error::BadUri("https://h/b?sig=SECRET".into()));
        assert!(!format!("{e} {e:?}").contains("SECRET"));
    }

    #[test]
    fn bad_root_cert_is_config_error() {
        let err = UreqHttpClient::builder()
            .add_root_certificate(
                "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
            )
            .build()
            .unwrap_err();
        assert!(matches!(err, crate::Error::Config(_)));
    }
}
