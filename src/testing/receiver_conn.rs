//! The local receiver's connections: TLS, the request loop, scripted faults and the
//! checks of each event.

use std::io::{self, BufReader, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::event_check::{check_envelope, check_resources, fetch_blob};
use super::receiver_state::{AcceptedEvent, Fault, Inner, ReceivedRequest};
use super::wire::{read_body, read_head, write_response, Request};
use crate::model::{Notification, ReceivedEvent};

/// How long a stalled request is held at most when nobody releases it.
const STALL_LIMIT: Duration = Duration::from_secs(30);

pub(super) fn accept_loop(
    listener: TcpListener,
    inner: Arc<Inner>,
    tls: Arc<rustls::ServerConfig>,
) {
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
        let request = match read_head(&mut reader) {
            Ok(Some((request, _))) if resets_before_body(&request, inner) => {
                // Close at once, the body unread: the kernel answers with a reset.
                record_unanswered(&request, inner);
                return;
            }
            Ok(Some((mut request, len))) => match read_body(&mut reader, &mut request, len) {
                Ok(()) => request,
                Err(_) => break,
            },
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
    let arrived = Instant::now();
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
            arrived,
            answered: Instant::now(),
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
                arrived,
                answered: Instant::now(),
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

/// Whether the next scripted fault is [`Fault::ResetBeforeBody`] and `request` (its
/// head read) is an event POST; takes the fault if so.
fn resets_before_body(request: &Request, inner: &Inner) -> bool {
    if request.path != "/arnnotify" {
        return false;
    }
    let mut script = inner.script.lock();
    let reset = script.front() == Some(&Fault::ResetBeforeBody);
    if reset {
        script.pop_front();
    }
    reset
}

/// Logs a request whose body was not read and that got no answer.
fn record_unanswered(req: &Request, inner: &Inner) {
    let mut log = inner.log.lock();
    let order = log.requests.len() as u64;
    log.requests.push(ReceivedRequest {
        order,
        path: req.path.clone(),
        status: None,
        body: Vec::new(),
        compressed: false,
        publisher_info: req.header("publisherinfo").map(str::to_string),
        arrived: Instant::now(),
        answered: Instant::now(),
    });
    inner.changed.notify_all();
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
        .map_err(|e| crate::sanitize::sanitize_message(&e.to_string()))?;
    Ok((event, resources, inline, notification))
}
