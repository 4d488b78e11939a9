//! Host name resolution for the crate's HTTP agents, cached for [`TTL`].
//!
//! ureq resolves the host before every request, before it looks in its connection
//! pool, and when the request has a timeout (ours always do) it resolves on a new
//! thread so the lookup can be abandoned. Measured with `strace` on
//! `benches/single_caller.rs`: one `clone3` per POST, on a keep-alive connection to a
//! literal IP. For a host name it is also one system resolver query per POST. The Go
//! client (net/http) resolves only when it opens a connection; this resolver reuses
//! the last answer for a host for [`TTL`], so the thread and the lookup happen about
//! once per [`TTL`] per host. A failed lookup is not cached, and both transports
//! (receiver and storage) forget their answers when a request gets no answer other
//! than a TLS rejection (so a retry after a DNS failover looks the name up again).
//!
//! ureq's `unversioned` module (the `Resolver` trait) may change in a minor release;
//! `Cargo.toml` pins ureq's minor version for that reason.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use super::cause::tls_rejection;

/// How long a host's addresses are reused. Connections already open are not
/// affected by it (they stay in the pool while they work); it bounds how long a new
/// connection may go to an address the name no longer has.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// The most hosts remembered (an agent talks to one or two: the receiver, a storage
/// account, a token endpoint); beyond it the oldest answer is forgotten.
const HOSTS: usize = 8;

/// ureq's [`DefaultResolver`] behind a small cache keyed by scheme and authority.
/// Clones share the cache (the agent owns one, its transport keeps another to
/// [`forget`](Self::forget)).
#[derive(Default)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    cache: Arc<Mutex<Vec<Answer>>>,
}

impl Clone for CachingResolver {
    fn clone(&self) -> Self {
        Self {
            inner: DefaultResolver::default(),
            cache: Arc::clone(&self.cache),
        }
    }
}

impl CachingResolver {
    /// Drops every answer: the next request looks its host up again.
    pub(crate) fn forget(&self) {
        self.cache.lock().clear();
    }

    /// After a request failed with `e` (no HTTP answer): forgets every answer, since
    /// the address may be gone (a DNS failover) and the next request should look the
    /// name up again; unless the TLS handshake rejected the server, which a new
    /// address does not change. The one rule for both transports.
    pub(crate) fn forget_after(&self, e: &ureq::Error) {
        if tls_rejection(e).is_none() {
            self.forget();
        }
    }

    /// How many hosts have an answer.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.cache.lock().len()
    }
}

struct Answer {
    scheme: String,
    authority: String,
    addrs: ResolvedSocketAddrs,
    at: Instant,
}

impl fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingResolver")
            .field("hosts", &self.cache.lock().len())
            .finish()
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            // Not a full URL: the default resolver gives ureq's own error.
            return self.inner.resolve(uri, config, timeout);
        };
        let authority = authority.as_str();
        let now = Instant::now();
        {
            let mut cache = self.cache.lock();
            cache.retain(|a| now.duration_since(a.at) < TTL);
            if let Some(a) = cache
                .iter()
                .find(|a| a.scheme == scheme && a.authority == authority)
            {
                return Ok(a.addrs.clone());
            }
        }
        // Outside the lock: a slow lookup holds up no request to another host.
        let addrs = self.inner.resolve(uri, config, timeout)?;
        let mut cache = self.cache.lock();
        if cache.len() >= HOSTS {
            cache.remove(0);
        }
        cache.push(Answer {
            scheme: scheme.to_owned(),
            authority: authority.to_owned(),
            addrs: addrs.clone(),
            at: now,
        });
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        ureq::Agent::config_builder().build()
    }

    fn far() -> NextTimeout {
        NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from(Duration::from_secs(5)),
            reason: ureq::Timeout::Global,
            per_read: None,
            per_write: None,
        }
    }

    #[test]
    fn answers_are_reused_per_scheme_and_authority() {
        let r = CachingResolver::default();
        let uri: Uri = "https://127.0.0.1:8443/arnnotify".parse().unwrap();
        let first = r.resolve(&uri, &config(), far()).unwrap();
        assert_eq!(first[0].to_string(), "127.0.0.1:8443");
        let again: Uri = "https://127.0.0.1:8443/other?x=1".parse().unwrap();
        assert_eq!(&*r.resolve(&again, &config(), far()).unwrap(), &*first);
        assert_eq!(r.cache.lock().len(), 1, "one host, one answer");
        let other: Uri = "https://127.0.0.1:9443/arnnotify".parse().unwrap();
        assert_eq!(r.resolve(&other, &config(), far()).unwrap()[0].port(), 9443);
        assert_eq!(r.cache.lock().len(), 2);
    }

    #[test]
    fn failures_without_an_answer_forget_but_tls_rejections_do_not() {
        let r = CachingResolver::default();
        let uri: Uri = "https://127.0.0.1:8443/".parse().unwrap();
        r.resolve(&uri, &config(), far()).unwrap();
        r.forget_after(&ureq::Error::Tls("no usable server name"));
        assert_eq!(r.len(), 1, "a TLS rejection keeps the answers");
        for e in [
            ureq::Error::ConnectionFailed,
            ureq::Error::HostNotFound,
            ureq::Error::Timeout(ureq::Timeout::Connect),
        ] {
            r.resolve(&uri, &config(), far()).unwrap();
            r.forget_after(&e);
            assert_eq!(r.len(), 0, "{e} forgets");
        }
    }

    #[test]
    fn stale_answers_are_forgotten_and_failures_not_kept() {
        let r = CachingResolver::default();
        let uri: Uri = "https://127.0.0.1:8443/".parse().unwrap();
        r.resolve(&uri, &config(), far()).unwrap();
        r.cache.lock()[0].at -= TTL;
        let bad: Uri = "https://no-such-host.invalid/".parse().unwrap();
        assert!(r.resolve(&bad, &config(), far()).is_err());
        assert!(
            r.cache.lock().is_empty(),
            "stale answer dropped, failure not kept"
        );
        for port in 0..20u16 {
            let u: Uri = format!("https://127.0.0.1:{}/", 1000 + port)
                .parse()
                .unwrap();
            r.resolve(&u, &config(), far()).unwrap();
        }
        assert_eq!(r.cache.lock().len(), HOSTS);
    }

    #[test]
    fn clones_share_the_cache_and_forget_clears_it() {
        let lookups = CachingResolver::default();
        let agent =
            super::super::tls::build_agent(Duration::from_secs(1), TTL, &[], true, &lookups, None);
        assert!(
            format!("{agent:?}").contains("CachingResolver"),
            "{agent:?}"
        );
        let uri: Uri = "https://127.0.0.1:8443/".parse().unwrap();
        lookups.resolve(&uri, &config(), far()).unwrap();
        assert_eq!(lookups.clone().len(), 1, "clones share the cache");
        lookups.clone().forget();
        assert_eq!(lookups.len(), 0);
    }
}
