//! A small, strict HTTP/1.1 server side for the local receiver: request line, headers,
//! `Content-Length` bodies only (no chunked), keep-alive.

use std::io::{self, BufRead, Write};

/// The most header bytes accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The largest body accepted.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// One parsed request.
#[derive(Debug)]
pub(crate) struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Header names lower-cased, in order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the client asked to close the connection after this request.
    pub(crate) fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Reads one line ending in CRLF, counting toward the header budget.
fn read_line<R: BufRead>(r: &mut R, budget: &mut usize) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let n = <&mut R as io::Read>::take(r, *budget as u64 + 1).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if n > *budget {
        return Err(bad("request head too large"));
    }
    *budget -= n;
    if !line.ends_with(b"\r\n") {
        return Err(bad("line not terminated by CRLF"));
    }
    line.truncate(line.len() - 2);
    String::from_utf8(line)
        .map(Some)
        .map_err(|_| bad("non-UTF-8 header"))
}

/// Reads the next request; `Ok(None)` when the client closed the connection cleanly
/// between requests.
#[cfg(test)]
pub(crate) fn read_request(r: &mut impl BufRead) -> io::Result<Option<Request>> {
    let Some((mut request, len)) = read_head(r)? else {
        return Ok(None);
    };
    read_body(r, &mut request, len)?;
    Ok(Some(request))
}

/// Reads the next request's head (its body left empty) and the body's length;
/// `Ok(None)` when the client closed the connection cleanly between requests.
pub(crate) fn read_head(r: &mut impl BufRead) -> io::Result<Option<(Request, usize)>> {
    let mut budget = MAX_HEAD;
    let Some(line) = read_line(r, &mut budget)? else {
        return Ok(None);
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed request line"));
    };
    if version != "HTTP/1.1" || method.is_empty() || !path.starts_with('/') {
        return Err(bad("unsupported request line"));
    }
    let mut headers = Vec::new();
    loop {
        let line = read_line(r, &mut budget)?.ok_or_else(|| bad("eof in headers"))?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("malformed header"))?;
        if name.is_empty() || name.contains([' ', '\t']) {
            return Err(bad("malformed header name"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let request = Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: Vec::new(),
    };
    if request.header("transfer-encoding").is_some() {
        return Err(bad("transfer-encoding is not supported"));
    }
    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .map(|(_, v)| v.as_str())
        .collect();
    let len = match lengths.as_slice() {
        [] => 0,
        [one] => one
            .parse::<usize>()
            .map_err(|_| bad("bad content-length"))?,
        _ => return Err(bad("several content-length headers")),
    };
    if len > MAX_BODY {
        return Err(bad("body too large"));
    }
    Ok(Some((request, len)))
}

/// Reads the `len` bytes of `request`'s body.
pub(crate) fn read_body(r: &mut impl BufRead, request: &mut Request, len: usize) -> io::Result<()> {
    request.body = vec![0; len];
    r.read_exact(&mut request.body)
}

/// The reason phrase of the statuses the receiver sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Writes one response with a JSON body.
pub(crate) fn write_response(
    w: &mut impl Write,
    status: u16,
    retry_after: Option<&str>,
    body: &str,
    close: bool,
) -> io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        reason(status),
        body.len()
    );
    if let Some(after) = retry_after {
        head.push_str(&format!("Retry-After: {after}\r\n"));
    }
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body.as_bytes())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn parses_keep_alive_requests() {
        let raw = b"POST /arnnotify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nPublisherInfo: P\r\n\r\n{}GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
        let mut r = Cursor::new(&raw[..]);
        let a = read_request(&mut r).unwrap().unwrap();
        assert_eq!((a.method.as_str(), a.path.as_str()), ("POST", "/arnnotify"));
        assert_eq!(a.body, b"{}");
        assert_eq!(a.header("publisherinfo"), Some("P"));
        let b = read_request(&mut r).unwrap().unwrap();
        assert!(b.wants_close() && b.body.is_empty());
        assert!(read_request(&mut r).unwrap().is_none());
    }

    #[test]
    fn rejects_malformed_requests() {
        for raw in [
            &b"POST /x HTTP/1.0\r\n\r\n"[..],
            b"POST /x HTTP/1.1\nHost: x\n\n",
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",
            b"POST x HTTP/1.1\r\n\r\n",
        ] {
            assert!(read_request(&mut Cursor::new(raw)).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn writes_responses() {
        let mut out = Vec::new();
        write_response(&mut out, 429, Some("1"), "{}", false).unwrap();
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
        assert!(s.contains("Retry-After: 1\r\n") && s.ends_with("\r\n\r\n{}"));
    }
}
