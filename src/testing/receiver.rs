//! A local HTTPS ARN receiver for tests, examples and benchmarks: real TLS (rustls, a
//! certificate generated at start), std `TcpListener`, one thread per connection,
//! HTTP/1.1 keep-alive. It checks the bearer token, inflates `deflate` bodies, checks
//! the event, follows `blobUri`, records every request and every accepted event, and
//! can be scripted to fail.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};

use super::receiver_conn::accept_loop;
use super::receiver_state::{AcceptedEvent, Fault, Inner, Log, ReceivedRequest};
use super::tls::{generate, DEFAULT_NAMES};

/// Builds an [`ArnReceiver`].
#[derive(Debug, Default)]
#[must_use = "a builder does nothing until start() is called"]
pub struct ArnReceiverBuilder {
    token: Option<String>,
    blob_roots: Vec<Vec<u8>>,
    self_trust: bool,
    names: Option<Vec<String>>,
    expired: bool,
}

impl ArnReceiverBuilder {
    /// The bearer token requests must carry. Defaults to `"test-token"`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Trust this root (PEM or DER) when following `https://` blob URLs. Defaults to
    /// the built-in webpki roots (`http://` blob URLs, e.g. Azurite, always work).
    pub fn add_root_certificate(mut self, pem_or_der: impl AsRef<[u8]>) -> Self {
        self.blob_roots.push(pem_or_der.as_ref().to_vec());
        self
    }

    /// Trust this receiver's own certificate for blob URLs (to serve blobs with
    /// [`ArnReceiver::put_blob`]); the built-in roots are then not trusted. Defaults to
    /// `false`.
    pub fn serve_blobs(mut self, on: bool) -> Self {
        self.self_trust = on;
        self
    }

    /// The names (DNS names or IP addresses) the generated certificate is issued for,
    /// e.g. only `localhost`, to test a client that reaches the receiver at a name its
    /// certificate does not cover. Defaults to `localhost` and `127.0.0.1`.
    pub fn certificate_names<S: Into<String>>(
        mut self,
        names: impl IntoIterator<Item = S>,
    ) -> Self {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Serve a certificate that expired long ago (valid in the year 2000 only), to
    /// test that clients reject it. Defaults to `false`.
    pub fn expired_certificate(mut self, expired: bool) -> Self {
        self.expired = expired;
        self
    }

    /// Starts the receiver on `127.0.0.1` with a free port.
    pub fn start(self) -> io::Result<ArnReceiver> {
        let names = self
            .names
            .unwrap_or_else(|| DEFAULT_NAMES.iter().map(|n| n.to_string()).collect());
        let identity = generate(&names, self.expired)?;
        let mut roots = Vec::new();
        if self.self_trust || !self.blob_roots.is_empty() {
            // Our own certificate too, for blobs served by this receiver.
            roots.extend(
                crate::transport::parse_root_certificates(&identity.cert_der)
                    .map_err(|e| io::Error::other(e.to_string()))?,
            );
        }
        for r in &self.blob_roots {
            roots.extend(
                crate::transport::parse_root_certificates(r)
                    .map_err(|e| io::Error::other(e.to_string()))?,
            );
        }
        let blob_agent = crate::transport::build_agent(
            crate::transport::DEFAULT_CONNECT_TIMEOUT,
            crate::transport::DEFAULT_TIMEOUT,
            &roots,
            false,
            &crate::transport::CachingResolver::default(),
            ureq::Proxy::try_from_env(),
        );
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            token: self.token.unwrap_or_else(|| "test-token".into()),
            shutdown: AtomicBool::new(false),
            script: Mutex::default(),
            targeted: Mutex::default(),
            latency_us: AtomicU64::new(0),
            log: Mutex::default(),
            changed: Condvar::new(),
            released: Mutex::new(0),
            release: Condvar::new(),
            conns: Mutex::default(),
            threads: Mutex::default(),
            next_conn: AtomicU64::new(0),
            blob_agent,
            blobs: Mutex::default(),
        });
        let tls = identity.server_config;
        let accept_inner = Arc::clone(&inner);
        let accept = std::thread::Builder::new()
            .name("arn-receiver-accept".into())
            .spawn(move || accept_loop(listener, accept_inner, tls))?;
        log::debug!("local ARN receiver listening on {addr}");
        Ok(ArnReceiver {
            inner,
            addr,
            accept: Some(accept),
            cert_pem: identity.cert_pem,
            cert_der: identity.cert_der,
        })
    }
}

/// A local HTTPS ARN receiver on `127.0.0.1`; stops (and joins its threads) on drop.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let receiver = arn_client::testing::ArnReceiver::start("secret-token")?;
/// assert!(receiver.url().starts_with("https://127.0.0.1:"));
/// # Ok(()) }
/// ```
pub struct ArnReceiver {
    inner: Arc<Inner>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
    cert_pem: String,
    cert_der: Vec<u8>,
}

impl ArnReceiver {
    /// A builder for more options.
    pub fn builder() -> ArnReceiverBuilder {
        ArnReceiverBuilder::default()
    }

    /// Starts a receiver that expects `Authorization: Bearer {token}`.
    pub fn start(token: impl Into<String>) -> io::Result<Self> {
        Self::builder().token(token).start()
    }

    /// The endpoint to configure (`https://127.0.0.1:{port}`, without `/arnnotify`).
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server certificate (PEM), for clients to trust.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The server certificate (DER), for clients to trust.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// Appends scripted answers for the next requests.
    pub fn script(&self, faults: impl IntoIterator<Item = Fault>) {
        self.inner.script.lock().extend(faults);
    }

    /// Appends scripted answers for the next requests whose (inflated) body contains
    /// `needle`, e.g. a resource name; these go before the general script.
    pub fn script_for(&self, needle: &str, faults: impl IntoIterator<Item = Fault>) {
        let mut targeted = self.inner.targeted.lock();
        match targeted.iter_mut().find(|(n, _)| n == needle) {
            Some((_, queue)) => queue.extend(faults),
            None => targeted.push((needle.to_string(), faults.into_iter().collect())),
        }
    }

    /// Adds this latency before every answer. Defaults to none.
    pub fn set_latency(&self, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.inner.latency_us.store(us, Ordering::Relaxed);
    }

    /// Serves `body` at `GET /blobs/{name}` (any query string), like a blob behind a
    /// SAS URL, and returns that URL with `query` appended (e.g. `sv=...&sig=...`).
    /// Following such URLs needs the receiver to trust itself: build it with
    /// [`ArnReceiverBuilder::add_root_certificate`] (any root) or [`ArnReceiverBuilder::serve_blobs`].
    pub fn put_blob(&self, name: &str, body: Vec<u8>, query: &str) -> String {
        self.inner.blobs.lock().insert(name.to_string(), body);
        format!("{}/blobs/{name}?{query}", self.url())
    }

    /// Releases every request stalled so far by [`Fault::Stall`].
    pub fn release_stalled(&self) {
        *self.inner.released.lock() += 1;
        self.inner.release.notify_all();
    }

    /// The number of TCP connections accepted so far (each request may reuse one;
    /// a client that fails the TLS handshake opens one and sends no request).
    pub fn connection_count(&self) -> u64 {
        self.inner.next_conn.load(Ordering::Relaxed)
    }

    /// The number of requests received so far (including rejected ones).
    pub fn request_count(&self) -> usize {
        self.inner.log.lock().requests.len()
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.inner.log.lock().requests.clone()
    }

    /// Every accepted event so far, in order.
    pub fn events(&self) -> Vec<AcceptedEvent> {
        self.inner.log.lock().events.clone()
    }

    /// Waits until at least `n` events were accepted or `timeout` passed; returns the
    /// events accepted by then.
    pub fn wait_for_events(&self, n: usize, timeout: Duration) -> Vec<AcceptedEvent> {
        self.wait_for(timeout, |log| log.events.len() >= n)
            .events
            .clone()
    }

    /// Waits until at least `n` requests arrived (and were answered, reset or stalled)
    /// or `timeout` passed; returns the number of requests by then.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> usize {
        self.wait_for(timeout, |log| log.requests.len() >= n)
            .requests
            .len()
    }

    /// Waits until `n` requests are being held by [`Fault::Stall`] or `timeout` passed.
    pub fn wait_for_stalled(&self, n: usize, timeout: Duration) -> usize {
        self.wait_for(timeout, |log| log.stalled >= n).stalled
    }

    /// Waits until `done` holds for the log or `timeout` passed, woken by every change
    /// to the log; returns the log, locked, either way.
    fn wait_for(&self, timeout: Duration, done: impl Fn(&Log) -> bool) -> MutexGuard<'_, Log> {
        let deadline = Instant::now() + timeout;
        let mut log = self.inner.log.lock();
        while !done(&log) {
            if self
                .inner
                .changed
                .wait_until(&mut log, deadline)
                .timed_out()
            {
                break;
            }
        }
        log
    }
}

impl std::fmt::Debug for ArnReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArnReceiver")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Drop for ArnReceiver {
    fn drop(&mut self) {
        self.inner.shutdown.store(true, Ordering::SeqCst);
        self.release_stalled();
        // Unblock accept().
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        for (_, conn) in self.inner.conns.lock().drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
        let threads = std::mem::take(&mut *self.inner.threads.lock());
        for t in threads {
            let _ = t.join();
        }
        log::debug!("local ARN receiver on {} stopped", self.addr);
    }
}

/// A [`BlobStore`](crate::transport::BlobStore) that "uploads" to an [`ArnReceiver`]'s
/// own blob server (see [`ArnReceiver::put_blob`]), so blob notifications can be tested
/// without Azure. Build the receiver with [`ArnReceiverBuilder::serve_blobs`].
#[derive(Clone, Debug)]
pub struct ReceiverBlobStore(Arc<ArnReceiver>);

impl ReceiverBlobStore {
    /// A store on `receiver`.
    pub fn new(receiver: Arc<ArnReceiver>) -> Self {
        Self(receiver)
    }
}

impl crate::transport::BlobStore for ReceiverBlobStore {
    fn upload(
        &self,
        resources: &[u8],
        _deadline: Instant,
    ) -> Result<crate::SecretUrl, crate::Error> {
        let name = format!("{}.txt", uuid::Uuid::new_v4());
        let url = self.0.put_blob(
            &name,
            resources.to_vec(),
            "sv=2024-01-01&sr=b&sp=r&sig=local-test",
        );
        Ok(crate::SecretUrl::new(url))
    }
}
