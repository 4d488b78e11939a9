//! The local receiver (`arn_client::testing::ArnReceiver`) fed any request over real
//! TLS: request line, headers, `Content-Length`, bodies plain or zlib-compressed (or
//! claiming to be), events good and bad. It never panics or hangs, answers every whole
//! request once with a well-formed response of a known status, and accepts an event
//! exactly when it answers 200.
//!
//! Input: 8 control bytes choosing the request's shape, then the body (seeds: the
//! events of the repository's vectors behind 8 zero bytes), or, in raw mode, the
//! whole byte stream. The receiver follows blob URLs: a blob event's URL is pointed at
//! the receiver itself, and a raw stream that could name or hide one (`blob`,
//! `deflate`, a backslash) is not sent, so no input reaches the network.
#![no_main]

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arn_client::testing::ArnReceiver;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

const TOKEN: &str = "fuzz-token";

struct Setup {
    receiver: ArnReceiver,
    tls: Arc<rustls::ClientConfig>,
    blob_url: String,
}

/// A receiver with a blob to serve and a TLS client trusting it.
fn setup() -> Setup {
    // A Rust program starts with SIGPIPE ignored (std's start-up does it), so writing
    // to a connection the peer closed is an error; rustls writes with `writev`, which
    // raises the signal. libFuzzer's own `main` skips that start-up: do what it does.
    // SAFETY: setting a signal's disposition to "ignore" runs no code of ours.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let receiver = ArnReceiver::builder()
        .token(TOKEN)
        .serve_blobs(true)
        .start()
        .expect("the receiver starts");
    let blob_url = receiver.put_blob("b.txt", b"[]".to_vec(), "sig=x");
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(receiver.certificate_der().to_vec().into())
        .expect("the receiver's certificate");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Setup {
        receiver,
        tls: Arc::new(tls),
        blob_url,
    }
}

/// The receiver keeps every request it saw: a new one every this many inputs keeps
/// the memory (and the cost of counting its events) bounded.
const RUNS_PER_RECEIVER: usize = 100;

/// Sends `bytes` on a new TLS connection, closes the sending side, and returns all
/// the receiver wrote until it closed.
fn exchange(setup: &Setup, bytes: &[u8]) -> Vec<u8> {
    let tcp = TcpStream::connect(setup.receiver.addr()).expect("connect");
    // Not a time limit on the receiver's work: only so that a hang fails the run.
    tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let conn = rustls::ClientConnection::new(Arc::clone(&setup.tls), name).expect("TLS");
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    // The handshake first: a close_notify sent in the middle of it (nothing to send)
    // makes rustls on the other side answer with an alert.
    while tls.conn.is_handshaking() {
        tls.conn
            .complete_io(&mut tls.sock)
            .expect("the TLS handshake with the receiver");
    }
    // The receiver may close early (a malformed request), which makes writing fail:
    // what it answered before is still read.
    let gone = |e: std::io::Error| {
        let closed = matches!(
            e.kind(),
            std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
        );
        assert!(closed, "sending: {e}");
    };
    match tls.write_all(bytes) {
        Ok(()) => {
            tls.conn.send_close_notify();
            tls.flush().unwrap_or_else(gone);
        }
        Err(e) => gone(e),
    }
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match tls.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
            // Closed (rustls may also write while reading, hence a broken pipe).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                ) =>
            {
                break
            }
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
    let _ = tls.sock.shutdown(Shutdown::Both);
    answer
}

/// The statuses of the responses in `answer`, each checked for shape.
fn statuses(answer: &[u8]) -> Vec<u16> {
    let mut out = Vec::new();
    let mut rest = answer;
    while !rest.is_empty() {
        let end = rest
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("a response head without an end: {rest:?}"));
        let head = std::str::from_utf8(&rest[..end]).expect("an ASCII head");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let status: u16 = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|s| s.get(..3))
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a bad status line {status_line:?}"));
        assert!(
            matches!(status, 200 | 400 | 401 | 404 | 405),
            "status {status}"
        );
        let length: usize = lines
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .and_then(|l| l.parse().ok())
            .expect("a Content-Length");
        let body_end = end + 4 + length;
        assert!(body_end <= rest.len(), "a response body cut short");
        out.push(status);
        rest = &rest[body_end..];
    }
    out
}

/// What the receiver would read as the event: the body, inflated when it says so.
fn inflate(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .read_to_end(&mut out)
        .ok()
        .map(|_| out)
}

/// `body` with a blob event's URL pointed at the receiver; `None` when it names a
/// blob some other way and so must not be sent.
fn blob_url_at_receiver(body: Vec<u8>, url: &str) -> Option<Vec<u8>> {
    let Ok(mut event) = serde_json::from_slice::<Value>(&body) else {
        return Some(body);
    };
    match event.pointer_mut("/data/resourcesBlobInfo/blobUri") {
        Some(uri) if uri.is_string() => {
            *uri = Value::from(url);
            serde_json::to_vec(&event).ok()
        }
        _ => Some(body),
    }
}

/// Builds the request the control bytes describe around `body`; `None` when it must
/// not be sent. Also says whether it is a whole, well-formed request.
fn request(c: &[u8; 8], body: &[u8], setup: &Setup) -> Option<(Vec<u8>, bool)> {
    let mut well_formed = true;
    let method = match c[0] % 4 {
        0 | 3 => "POST",
        1 => "GET",
        _ => "PUT",
    };
    let path = match c[1] % 5 {
        0 | 4 => "/arnnotify".to_string(),
        1 => "/blobs/b.txt?sig=x".to_string(),
        2 => "/blobs/none".to_string(),
        _ => "/other".to_string(),
    };
    let auth = match c[2] % 4 {
        0 | 3 => Some(format!("Bearer {TOKEN}")),
        1 => Some("Bearer wrong".to_string()),
        _ => None,
    };
    let content_type = match c[3] % 4 {
        0 => Some("application/json"),
        1 => Some("application/json; charset=utf-8"),
        2 => Some("text/plain"),
        _ => None,
    };
    // What is sent, what the receiver reads as the event, and the header.
    let (sent, encoding) = match c[4] % 5 {
        1 => {
            let plain = blob_url_at_receiver(body.to_vec(), &setup.blob_url)?;
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            z.write_all(&plain).unwrap();
            (z.finish().unwrap(), Some("deflate"))
        }
        2 | 3 => {
            // Claims to be compressed: sent as it is, and skipped if it inflates to a
            // blob event.
            if let Some(plain) = inflate(body) {
                if blob_url_at_receiver(plain.clone(), "")? != plain {
                    return None;
                }
            }
            (
                body.to_vec(),
                Some(if c[4] % 5 == 2 { "deflate" } else { "DEFLATE" }),
            )
        }
        4 => (
            blob_url_at_receiver(body.to_vec(), &setup.blob_url)?,
            Some("gzip"),
        ),
        _ => (blob_url_at_receiver(body.to_vec(), &setup.blob_url)?, None),
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    if let Some(a) = auth {
        head += &format!("Authorization: {a}\r\n");
    }
    if let Some(t) = content_type {
        head += &format!("Content-Type: {t}\r\n");
    }
    if let Some(e) = encoding {
        head += &format!("Content-Encoding: {e}\r\n");
    }
    if c[7] & 1 == 1 {
        head += "publisherInfo: Microsoft.Compute\r\n";
    }
    match c[5] % 6 {
        // No length: only without a body (else the body would be read as the next
        // request, whose body this target could not check for blob URLs).
        1 if sent.is_empty() => {}
        2 => {
            head += &format!("Content-Length: {0}\r\nContent-Length: {0}\r\n", sent.len());
            well_formed = false;
        }
        3 => {
            head += &format!("Content-Length: {}\r\n", sent.len() + 1);
            well_formed = false;
        }
        4 => {
            head += "Content-Length: x\r\n";
            well_formed = false;
        }
        5 => {
            head += &format!(
                "Transfer-Encoding: chunked\r\nContent-Length: {}\r\n",
                sent.len()
            );
            well_formed = false;
        }
        _ => head += &format!("Content-Length: {}\r\n", sent.len()),
    }
    if c[6] & 1 == 1 {
        head += "Connection: close\r\n";
    }
    if c[6] & 2 == 2 {
        head = head.replacen("\r\n", "\n", 1);
        well_formed = false;
    }
    head += "\r\n";
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&sent);
    Some((bytes, well_formed))
}

/// The current receiver and how many inputs it has seen.
static SETUP: Mutex<Option<(Setup, usize)>> = Mutex::new(None);

/// Stops the receiver (joining its threads) when libFuzzer exits, before
/// LeakSanitizer's check, which would otherwise report the buffers of its threads.
extern "C" fn stop_receiver() {
    if let Ok(mut setup) = SETUP.lock() {
        *setup = None;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((control, body)) = data.split_first_chunk::<8>() else {
        return;
    };
    let mut guard = SETUP.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        // SAFETY: registers a function that takes no arguments and does not unwind.
        unsafe {
            libc::atexit(stop_receiver);
        }
    }
    if guard
        .as_ref()
        .is_none_or(|(_, runs)| *runs >= RUNS_PER_RECEIVER)
    {
        *guard = None; // the old receiver stops (and joins its threads) first
        *guard = Some((setup(), 0));
    }
    let (setup, runs) = guard.as_mut().expect("set up");
    *runs += 1;
    if control[6] & 4 == 4 {
        // Raw mode: the body is the whole stream, unless it could name a blob.
        let lower = body.to_ascii_lowercase();
        let has = |n: &[u8]| lower.windows(n.len()).any(|w| w == n);
        if has(b"blob") || has(b"deflate") || body.contains(&b'\\') {
            return;
        }
        statuses(&exchange(setup, body));
        return;
    }
    let Some((one, well_formed)) = request(control, body, setup) else {
        return;
    };
    // Twice on one connection (keep-alive), unless the first asks to close it.
    let close = control[6] & 1 == 1;
    let twice = control[6] & 8 == 8 && !close;
    let mut bytes = one.clone();
    if twice {
        bytes.extend_from_slice(&one);
    }
    let events_before = setup.receiver.events().len();
    let got = statuses(&exchange(setup, &bytes));
    if well_formed {
        let sent = if twice { 2 } else { 1 };
        assert_eq!(got.len(), sent, "one answer per request: {got:?}");
    } else {
        assert!(
            got.len() <= 1,
            "a malformed request answered as several: {got:?}"
        );
    }
    // Only a POST to /arnnotify can be accepted as an event, exactly when answered 200.
    let notify = control[0] % 4 != 1 && control[0] % 4 != 2 && control[1] % 5 % 4 == 0;
    let accepted = if notify {
        got.iter().filter(|&&s| s == 200).count()
    } else {
        0
    };
    assert_eq!(
        setup.receiver.events().len() - events_before,
        accepted,
        "answers {got:?}"
    );
});
