//! A local HTTPS ARN receiver for tests, examples and benchmarks: real TLS (rustls, a
//! certificate generated at start), std `TcpListener`, one thread per connection,
//! HTTP/1.1 keep-alive. It checks the bearer token, inflates `deflate` bodies, checks
//! the event, follows `blobUri`, records every request and every accepted event, and
//! can be scripted to fail.

use std::collections::{HashMap, VecDeque};
use std::io::{self, BufReader, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use serde_json::Value;

use crate::model::{Notification, ReceivedEvent};

use super::event_check::{check_envelope, check_resources, fetch_blob};
use super::tls::generate;
use super::wire::{read_request, write_response, Request};

/// How long a stalled request is held at most when nobody releases it.
const STALL_LIMIT: Duration = Duration::from_secs(30);

/// A scripted answer to one `POST /arnnotify`, taken from the queue in order; once the
/// queue is empty every request is handled normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (200 means: handle normally).
    Status(u16),
    /// Answer with this status and a `Retry-After` header value.
    StatusRetryAfter(u16, String),
    /// Close the connection without a response (after reading the request).
    Reset,
    /// Hold the connection without answering until [`ArnReceiver::release_stalled`],
    /// the receiver's drop or 30 s, then close it without a response.
    Stall,
}

/// One request as it arrived (every request, accepted or not).
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    /// 0-based arrival order among all requests.
    pub order: u64,
    /// The request path.
    pub path: String,
    /// The status answered; `None` for a reset or stalled request.
    pub status: Option<u16>,
    /// The body as sent (compressed when `compressed`).
    pub body: Vec<u8>,
    /// Whether `Content-Encoding: deflate` was set.
    pub compressed: bool,
    /// The `publisherinfo` header.
    pub publisher_info: Option<String>,
}

/// An event the receiver accepted (answered 200).
#[derive(Clone, Debug)]
pub struct AcceptedEvent {
    /// 0-based order among accepted events.
    pub order: u64,
    /// The order of the request that carried it (see [`ReceivedRequest::order`]).
    pub request: u64,
    /// When it arrived.
    pub arrived: Instant,
    /// The `publisherinfo` header.
    pub publisher_info: String,
    /// Whether the body was zlib-compressed.
    pub compressed: bool,
    /// Whether the resources were inline (`false`: fetched from `blobUri`).
    pub inline: bool,
    /// The event JSON (inflated).
    pub event: Value,
    /// The resources: inline, or fetched from the blob.
    pub resources: Vec<Value>,
    /// The notification, parsed and validated with the crate's model
    /// ([`ReceivedEvent::into_validated`]).
    pub notification: Notification,
}

impl AcceptedEvent {
    /// The `resourceId` of each resource, in order.
    pub fn resource_ids(&self) -> Vec<String> {
        self.resources
            .iter()
            .map(|r| r["resourceId"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

#[derive(Default)]
struct Log {
    requests: Vec<ReceivedRequest>,
    events: Vec<AcceptedEvent>,
    stalled: usize,
}

struct Inner {
    token: String,
    shutdown: AtomicBool,
    script: Mutex<VecDeque<Fault>>,
    targeted: Mutex<Vec<(String, VecDeque<Fault>)>>,
    latency_us: AtomicU64,
    log: Mutex<Log>,
    changed: Condvar,
    released: Mutex<u64>,
    release: Condvar,
    conns: Mutex<HashMap<u64, TcpStream>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    next_conn: AtomicU64,
    blob_agent: ureq::Agent,
    blobs: Mutex<HashMap<String, Vec<u8>>>,
}

/// Builds an [`ArnReceiver`].
#[derive(Debug, Default)]
pub struct ArnReceiverBuilder {
    token: Option<String>,
    blob_roots: Vec<Vec<u8>>,
    self_trust: bool,
}

impl ArnReceiverBuilder {
    /// The bearer token requests must carry. Defaults to `"test-token"`.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Trust this root (PEM or DER) when following `https://` blob URLs. Defaults to
    /// the built-in webpki roots (`http://` blob URLs, e.g. Azurite, always work).
    pub fn trust_blob_root(mut self, pem_or_der: impl AsRef<[u8]>) -> Self {
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

    /// Starts the receiver on `127.0.0.1` with a free port.
    pub fn start(self) -> io::Result<ArnReceiver> {
        let identity = generate()?;
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
    /// [`ArnReceiverBuilder::trust_blob_root`] (any root) or [`ArnReceiverBuilder::serve_blobs`].
    pub fn put_blob(&self, name: &str, body: Vec<u8>, query: &str) -> String {
        self.inner.blobs.lock().insert(name.to_string(), body);
        format!("{}/blobs/{name}?{query}", self.url())
    }

    /// Releases every request stalled so far by [`Fault::Stall`].
    pub fn release_stalled(&self) {
        *self.inner.released.lock() += 1;
        self.inner.release.notify_all();
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
        let deadline = Instant::now() + timeout;
        let mut log = self.inner.log.lock();
        while log.events.len() < n {
            if self
                .inner
                .changed
                .wait_until(&mut log, deadline)
                .timed_out()
            {
                break;
            }
        }
        log.events.clone()
    }

    /// Waits until at least `n` requests arrived (and were answered, reset or stalled)
    /// or `timeout` passed; returns the number of requests by then.
    pub fn wait_for_requests(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut log = self.inner.log.lock();
        while log.requests.len() < n {
            if self
                .inner
                .changed
                .wait_until(&mut log, deadline)
                .timed_out()
            {
                break;
            }
        }
        log.requests.len()
    }

    /// Waits until `n` requests are being held by [`Fault::Stall`] or `timeout` passed.
    pub fn wait_for_stalled(&self, n: usize, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        let mut log = self.inner.log.lock();
        while log.stalled < n {
            if self
                .inner
                .changed
                .wait_until(&mut log, deadline)
                .timed_out()
            {
                break;
            }
        }
        log.stalled
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

fn accept_loop(listener: TcpListener, inner: Arc<Inner>, tls: Arc<rustls::ServerConfig>) {
    for stream in listener.incoming() {
        if inner.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let id = inner.next_conn.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            inner.conns.lock().insert(id, clone);
        }
        let conn_inner = Arc::clone(&inner);
        let tls = Arc::clone(&tls);
        let spawned = std::thread::Builder::new()
            .name(format!("arn-receiver-conn-{id}"))
            .spawn(move || {
                serve(stream, &conn_inner, tls);
                conn_inner.conns.lock().remove(&id);
            });
        match spawned {
            Ok(handle) => {
                let mut threads = inner.threads.lock();
                threads.retain(|t| !t.is_finished());
                threads.push(handle);
            }
            Err(_) => {
                inner.conns.lock().remove(&id);
            }
        }
    }
}

/// What to do after answering a request.
enum Next {
    KeepAlive,
    Close,
}

fn serve(stream: TcpStream, inner: &Inner, tls: Arc<rustls::ServerConfig>) {
    let Ok(conn) = rustls::ServerConnection::new(tls) else {
        return;
    };
    let tcp = stream.try_clone().ok();
    let mut reader = BufReader::new(rustls::StreamOwned::new(conn, stream));
    while !inner.shutdown.load(Ordering::SeqCst) {
        let request = match read_request(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let _ = write_response(
                    reader.get_mut(),
                    400,
                    None,
                    "{\"error\":\"bad request\"}",
                    true,
                );
                break;
            }
            Err(_) => break,
        };
        match handle(&request, reader.get_mut(), inner) {
            Next::KeepAlive if !request.wants_close() => {}
            _ => break,
        }
    }
    let stream = reader.into_inner();
    if let Some(tcp) = tcp {
        let _ = tcp.shutdown(Shutdown::Both);
    }
    drop(stream);
}

fn handle(req: &Request, w: &mut impl io::Write, inner: &Inner) -> Next {
    let latency = Duration::from_micros(inner.latency_us.load(Ordering::Relaxed));
    let compressed = req
        .header("content-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("deflate"));
    let publisher_info = req.header("publisherinfo").map(str::to_string);
    let fault = if req.path == "/arnnotify" {
        next_fault(inner, &req.body, compressed)
    } else {
        None
    };
    let record = |status: Option<u16>| -> u64 {
        let mut log = inner.log.lock();
        let order = log.requests.len() as u64;
        log.requests.push(ReceivedRequest {
            order,
            path: req.path.clone(),
            status,
            body: req.body.clone(),
            compressed,
            publisher_info: publisher_info.clone(),
        });
        inner.changed.notify_all();
        order
    };
    if !latency.is_zero() {
        std::thread::sleep(latency);
    }
    let (status, retry_after) = match fault {
        Some(Fault::Reset) => {
            record(None);
            return Next::Close;
        }
        Some(Fault::Stall) => {
            stall(inner);
            record(None);
            return Next::Close;
        }
        Some(Fault::Status(s)) if s != 200 => (s, None),
        Some(Fault::StatusRetryAfter(s, after)) => (s, Some(after)),
        _ => (0, None),
    };
    if status != 0 {
        record(Some(status));
        let body = format!("{{\"error\":\"scripted HTTP {status}\"}}");
        return answer(w, status, retry_after.as_deref(), &body);
    }
    if req.method == "GET" && req.path.starts_with("/blobs/") {
        let name = req.path["/blobs/".len()..].split('?').next().unwrap_or("");
        let blob = inner.blobs.lock().get(name).cloned();
        return match blob {
            Some(bytes) => answer_bytes(w, &bytes),
            None => answer(w, 404, None, "{\"error\":\"no such blob\"}"),
        };
    }
    if req.path != "/arnnotify" {
        record(Some(404));
        return answer(w, 404, None, "{\"error\":\"not found\"}");
    }
    if req.method != "POST" {
        record(Some(405));
        return answer(w, 405, None, "{\"error\":\"method not allowed\"}");
    }
    let authorized = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == inner.token);
    if !authorized {
        record(Some(401));
        return answer(
            w,
            401,
            None,
            "{\"error\":\"missing or wrong bearer token\"}",
        );
    }
    match accept(
        req,
        compressed,
        publisher_info.as_deref().unwrap_or(""),
        inner,
    ) {
        Ok((event, resources, inline, notification)) => {
            let mut log = inner.log.lock();
            let request = log.requests.len() as u64;
            log.requests.push(ReceivedRequest {
                order: request,
                path: req.path.clone(),
                status: Some(200),
                body: req.body.clone(),
                compressed,
                publisher_info: publisher_info.clone(),
            });
            let order = log.events.len() as u64;
            log.events.push(AcceptedEvent {
                order,
                request,
                arrived: Instant::now(),
                publisher_info: publisher_info.unwrap_or_default(),
                compressed,
                inline,
                event,
                resources,
                notification,
            });
            inner.changed.notify_all();
            drop(log);
            answer(w, 200, None, "{}")
        }
        Err(msg) => {
            record(Some(400));
            let body = serde_json::json!({ "error": msg }).to_string();
            answer(w, 400, None, &body)
        }
    }
}

/// The scripted answer for this body: a targeted one first, else the general queue.
fn next_fault(inner: &Inner, body: &[u8], compressed: bool) -> Option<Fault> {
    let mut targeted = inner.targeted.lock();
    if targeted.iter().any(|(_, q)| !q.is_empty()) {
        let text = if compressed {
            let mut out = Vec::new();
            let _ = flate2::read::ZlibDecoder::new(body).read_to_end(&mut out);
            out
        } else {
            body.to_vec()
        };
        let text = String::from_utf8_lossy(&text);
        for (needle, queue) in targeted.iter_mut() {
            if text.contains(needle.as_str()) {
                if let Some(f) = queue.pop_front() {
                    return Some(f);
                }
            }
        }
    }
    drop(targeted);
    inner.script.lock().pop_front()
}

fn answer(w: &mut impl io::Write, status: u16, retry_after: Option<&str>, body: &str) -> Next {
    match write_response(w, status, retry_after, body, false) {
        Ok(()) => Next::KeepAlive,
        Err(_) => Next::Close,
    }
}

fn answer_bytes(w: &mut impl io::Write, body: &[u8]) -> Next {
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    match w
        .write_all(head.as_bytes())
        .and_then(|()| w.write_all(body))
        .and_then(|()| w.flush())
    {
        Ok(()) => Next::KeepAlive,
        Err(_) => Next::Close,
    }
}

fn stall(inner: &Inner) {
    let deadline = Instant::now() + STALL_LIMIT;
    let mut released = inner.released.lock();
    let start = *released;
    {
        let mut log = inner.log.lock();
        log.stalled += 1;
        inner.changed.notify_all();
    }
    while *released == start && !inner.shutdown.load(Ordering::SeqCst) {
        if inner
            .release
            .wait_until(&mut released, deadline)
            .timed_out()
        {
            break;
        }
    }
}

/// Inflates, parses and checks an event (raw JSON rules, then the model's parser and
/// validation); returns it with its resources.
fn accept(
    req: &Request,
    compressed: bool,
    publisher: &str,
    inner: &Inner,
) -> Result<(Value, Vec<Value>, bool, Notification), String> {
    let content_type = req.header("content-type").unwrap_or("");
    if !content_type.starts_with("application/json") {
        return Err("Content-Type must be application/json".into());
    }
    let body = if compressed {
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(&req.body[..])
            .read_to_end(&mut out)
            .map_err(|_| "the body is not zlib data".to_string())?;
        out
    } else {
        req.body.clone()
    };
    let event: Value =
        serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let inline = check_envelope(&event, publisher)? == "inline";
    let blob = if inline {
        None
    } else {
        Some(fetch_blob(&inner.blob_agent, &event)?)
    };
    let resources = match &blob {
        None => event["data"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
        Some(bytes) => serde_json::from_slice::<Vec<Value>>(bytes)
            .map_err(|_| "the blob is not a JSON array".to_string())?,
    };
    check_resources(&event, &resources)?;
    let notification = ReceivedEvent::parse(&body)
        .and_then(|e| e.into_validated(blob.as_deref()))
        .map_err(|e| crate::transport::sanitize_message(&e.to_string()))?;
    Ok((event, resources, inline, notification))
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
