//! What the end-to-end benches share: the bare ureq POST they compare the client with,
//! the compressed bodies it sends, and an agent that skips ureq's per-request host
//! lookup.

use std::net::SocketAddr;

use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

/// The token the benches' receivers accept.
pub const TOKEN: &str = "bench-token";

/// POSTs one event body as the client does (same headers), expecting 200.
pub fn post(agent: &ureq::Agent, url: &str, body: &[u8], compressed: bool) {
    let mut req = agent
        .post(url)
        .header("Authorization", format!("Bearer {TOKEN}"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .header("publisherinfo", "Microsoft.ContainerService");
    if compressed {
        req = req.header("Content-Encoding", "deflate");
    }
    let mut resp = req.send(body).expect("bare POST");
    assert_eq!(resp.status(), 200);
    let _ = resp.body_mut().read_to_vec();
}

/// `event` compressed as the client compresses it (its own compressor,
/// `src/compress.rs`), for the bare loops' pre-built bodies.
pub fn zlib(event: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    arn_client::transport::Zlib::default()
        .compress(event, &mut out)
        .expect("zlib");
    out
}

/// `agent` with a resolver that answers `addr` without any lookup. A plain ureq agent
/// resolves the host before every request, on a new thread when a timeout is set; the
/// client caches lookups (`src/transport/resolver.rs`), so a bare loop through this
/// agent shows the client's own overhead.
pub fn no_lookup(agent: &ureq::Agent, addr: SocketAddr) -> ureq::Agent {
    ureq::Agent::with_parts(agent.config().clone(), DefaultConnector::new(), Fixed(addr))
}

/// A resolver that answers one address without any lookup.
#[derive(Debug)]
struct Fixed(SocketAddr);

impl Resolver for Fixed {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let mut addrs = self.empty();
        addrs.push(self.0);
        Ok(addrs)
    }
}
