//! A local HTTP `CONNECT` proxy on loopback, for tests of the transports' proxy
//! support: real TCP tunnels (TLS to the server runs inside them, end to end), a
//! record of every request, scripted refusals and Basic proxy authentication.
//!
//! ureq sends every request through a proxy as a `CONNECT` tunnel, `http://` ones too,
//! so a `CONNECT` proxy is all a transport needs; any other method is answered 501.

use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use parking_lot::Mutex;

/// The longest request head the proxy reads.
const MAX_HEAD: usize = 8 * 1024;

/// One request the proxy received, and its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyRequest {
    /// The method (`CONNECT` from every ureq transport).
    pub method: String,
    /// The request target: `host:port` for `CONNECT`.
    pub target: String,
    /// Whether a `Proxy-Authorization` header came with it.
    pub authorized: bool,
    /// The status the proxy answered (200: the tunnel was opened).
    pub status: u16,
}

#[derive(Default)]
struct State {
    requests: Vec<ProxyRequest>,
    refusal: Option<u16>,
    /// The `Proxy-Authorization` value required, when set.
    credentials: Option<String>,
    routes: HashMap<String, SocketAddr>,
    /// Both ends of every tunnel, shut down when the proxy is dropped.
    open: Vec<TcpStream>,
}

/// A `CONNECT` proxy on `127.0.0.1`, stopped (and its tunnels closed) when dropped.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use arn_client::testing::ConnectProxy;
///
/// let proxy = ConnectProxy::start()?;
/// // Give `proxy.url()` to `Proxy::url`, send, then look at what went through:
/// assert!(proxy.url().starts_with("http://127.0.0.1:"));
/// assert!(proxy.requests().is_empty());
/// # Ok(()) }
/// ```
pub struct ConnectProxy {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl fmt::Debug for ConnectProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectProxy")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl ConnectProxy {
    /// Starts the proxy on a free port of `127.0.0.1`: it opens every tunnel asked for.
    pub fn start() -> io::Result<ConnectProxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            thread::Builder::new()
                .name("arn-test-proxy".into())
                .spawn(move || accept_loop(&listener, &state, &stop))?
        };
        Ok(ConnectProxy {
            addr,
            state,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// `http://127.0.0.1:PORT`, for [`Proxy::url`](crate::transport::Proxy::url).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The proxy's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Tunnels to `target` (`host:port`, as the client writes it after `CONNECT`) go
    /// to `to`: a host name only the proxy can resolve, so a test proves its requests
    /// went through the proxy.
    pub fn route(&self, target: &str, to: SocketAddr) {
        self.state
            .lock()
            .routes
            .insert(target.to_ascii_lowercase(), to);
    }

    /// Answers every `CONNECT` from now on with `status` instead of opening the tunnel
    /// (403: the proxy's policy forbids the host; 503: the proxy cannot reach it).
    /// `None` opens tunnels again.
    pub fn refuse(&self, status: Option<u16>) {
        self.state.lock().refusal = status;
    }

    /// Requires Basic proxy authentication with `user` and `password`: a `CONNECT`
    /// without them, or with others, is answered 407.
    pub fn require_basic_auth(&self, user: &str, password: &str) {
        let token = base64(format!("{user}:{password}").as_bytes());
        self.state.lock().credentials = Some(format!("Basic {token}"));
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<ProxyRequest> {
        self.state.lock().requests.clone()
    }

    /// How many tunnels the proxy opened.
    pub fn tunnels(&self) -> usize {
        self.state
            .lock()
            .requests
            .iter()
            .filter(|r| r.status == 200)
            .count()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the acceptor.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        for stream in self.state.lock().open.drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn accept_loop(listener: &TcpListener, state: &Arc<Mutex<State>>, stop: &AtomicBool) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(conn) = conn else { continue };
        let state = Arc::clone(state);
        let _ = thread::Builder::new()
            .name("arn-test-proxy-conn".into())
            .spawn(move || {
                let _ = serve(conn, &state);
            });
    }
}

/// Reads one request head and answers it: a refusal, or `200` and a tunnel.
fn serve(mut client: TcpStream, state: &Mutex<State>) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let head = read_head(&mut client)?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let method = request_line.next().unwrap_or("").to_string();
    let target = request_line.next().unwrap_or("").to_string();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, value)| value.trim().to_string());
    let (status, route) = {
        let s = state.lock();
        let status = if method != "CONNECT" {
            501
        } else if s.credentials.is_some() && authorization != s.credentials {
            407
        } else {
            s.refusal.unwrap_or(200)
        };
        (status, s.routes.get(&target.to_ascii_lowercase()).copied())
    };
    let server = if status == 200 {
        let addr = match route {
            Some(addr) => Some(addr),
            None => target.to_socket_addrs().ok().and_then(|mut a| a.next()),
        };
        addr.and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(10)).ok())
    } else {
        None
    };
    let status = if status == 200 && server.is_none() {
        502
    } else {
        status
    };
    state.lock().requests.push(ProxyRequest {
        method,
        target,
        authorized: authorization.is_some(),
        status,
    });
    let Some(server) = server else {
        let extra = if status == 407 {
            "Proxy-Authenticate: Basic realm=\"arn-test-proxy\"\r\n"
        } else {
            ""
        };
        write!(
            client,
            "HTTP/1.1 {status} {}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n",
            reason(status)
        )?;
        return client.flush();
    };
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    client.set_read_timeout(None)?;
    {
        let mut s = state.lock();
        s.open.push(client.try_clone()?);
        s.open.push(server.try_clone()?);
    }
    let (client_read, server_write) = (client.try_clone()?, server.try_clone()?);
    thread::Builder::new()
        .name("arn-test-proxy-up".into())
        .spawn(move || pipe(client_read, server_write))?;
    pipe(server, client);
    Ok(())
}

/// Copies `from` to `to` until `from` ends, then ends `to`'s writing side.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}

/// Reads up to the blank line that ends a request head, one byte at a time so that
/// nothing after it is consumed.
fn read_head(stream: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() >= MAX_HEAD || stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::InvalidData.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

fn reason(status: u16) -> &'static str {
    match status {
        403 => "Forbidden",
        407 => "Proxy Authentication Required",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Refused",
    }
}

/// Standard base64 with padding (RFC 4648), for the Basic credentials.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("user:pass", "dXNlcjpwYXNz"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn tunnels_bytes_both_ways_and_records_the_request() {
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let echo_addr = echo.local_addr().unwrap();
        thread::spawn(move || {
            let (mut s, _) = echo.accept().unwrap();
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf).unwrap();
        });
        let proxy = ConnectProxy::start().unwrap();
        proxy.route("echo.test:7", echo_addr);
        let mut c = TcpStream::connect(proxy.addr()).unwrap();
        c.write_all(b"CONNECT echo.test:7 HTTP/1.1\r\nHost: echo.test:7\r\n\r\n")
            .unwrap();
        let head = read_head(&mut c).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
        c.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello");
        assert_eq!(
            proxy.requests(),
            [ProxyRequest {
                method: "CONNECT".into(),
                target: "echo.test:7".into(),
                authorized: false,
                status: 200,
            }]
        );
    }
}
