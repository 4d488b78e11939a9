//! Which HTTP proxy a transport goes through, and a proxy's refusal as a final error.
//!
//! Both transports (the receiver's [`ReceiverConfig`](super::ReceiverConfig) and the
//! Azure SDK's [`UreqHttpClient`](super::UreqHttpClient), which carries Azure Storage
//! and Entra ID requests) take a [`Proxy`]. The default reads the environment once,
//! when the transport is built, with ureq 3.5's rules (`ureq::Proxy::try_from_env`):
//!
//! - the proxy is the first of `ALL_PROXY`, `all_proxy`, `HTTPS_PROXY`, `https_proxy`,
//!   `HTTP_PROXY`, `http_proxy` that holds a valid proxy URL, whatever the scheme of
//!   the request (unlike Go's `net/http`, `HTTP_PROXY` alone also carries `https://`
//!   requests); `http://host:port` or `https://host:port` (TLS to the proxy), with
//!   `user:password@` for Basic proxy authentication. ureq is built without SOCKS: a
//!   `socks5://` value is ignored with a warning, and requests go direct;
//! - `NO_PROXY` (else `no_proxy`), read only when a proxy is set: a comma-separated
//!   list, without spaces, of `host` (that exact host, any case; not its subdomains),
//!   `.example.com` or `*.example.com` (its subdomains, not `example.com` itself),
//!   `prefix*` (hosts starting with it) and `*` (every host). An entry matches the host
//!   only: no ports, no IP ranges (CIDR), so list loopback as `127.0.0.1,localhost`;
//! - every request goes through a `CONNECT` tunnel (also `http://` ones), TLS to the
//!   server runs inside it, and the proxy resolves the server's name.
//!
//! A proxy that refuses the tunnel (4xx to `CONNECT`, such as 403 or 407) gets
//! [`Error::ProxyRefused`]: final, never retried. A proxy that cannot reach the server
//! (5xx to `CONNECT`) or cannot be reached is an [`Error::Connection`], retried.

use std::fmt;

use crate::Error;

/// The HTTP proxy of a transport: [`Proxy::from_env`] (the default), [`Proxy::none`]
/// or [`Proxy::url`]. The module documentation lists the variables and the `NO_PROXY`
/// rules.
///
/// ```
/// use arn_client::transport::Proxy;
///
/// // A service that must not read its environment, behind a proxy it is told about:
/// let proxy = Proxy::url("http://proxy.internal:3128");
/// // Or straight to the servers, whatever HTTPS_PROXY says:
/// let direct = Proxy::none();
/// assert_ne!(proxy, direct);
/// ```
///
/// `Debug` shows the proxy's scheme, host and port, never its user or password.
#[derive(Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct Proxy(Setting);

#[derive(Clone, Default, PartialEq, Eq)]
enum Setting {
    #[default]
    FromEnv,
    None,
    Url(String),
}

impl Proxy {
    /// Reads the environment when the transport is built (`HTTPS_PROXY`, `NO_PROXY`,
    /// ...; the rules are in the module documentation). The default.
    pub fn from_env() -> Self {
        Proxy(Setting::FromEnv)
    }

    /// No proxy: connect straight to the servers, and read no proxy variable.
    pub fn none() -> Self {
        Proxy(Setting::None)
    }

    /// Every request of the transport through this proxy (`NO_PROXY` and the other
    /// variables are not read): `http://host:port` (a plain connection to the proxy) or
    /// `https://host:port` (TLS to the proxy, trusting the transport's roots), with
    /// `user:password@` (percent-encoded) for Basic proxy authentication. A URL that is
    /// not one of these fails the transport's `build()` with [`Error::Config`].
    pub fn url(url: impl Into<String>) -> Self {
        Proxy(Setting::Url(url.into()))
    }

    /// The ureq proxy setting for an agent; `None` connects directly.
    pub(crate) fn to_ureq(&self) -> Result<Option<ureq::Proxy>, Error> {
        match &self.0 {
            Setting::FromEnv => Ok(ureq::Proxy::try_from_env()),
            Setting::None => Ok(None),
            Setting::Url(url) => {
                // The URL may hold a password: never repeat it in the error.
                let proxy = ureq::Proxy::new(url).map_err(|_| {
                    Error::Config(format!("the proxy URL {} is not a valid URL", redact(url)))
                })?;
                if !matches!(
                    proxy.protocol(),
                    ureq::ProxyProtocol::Http | ureq::ProxyProtocol::Https
                ) {
                    return Err(Error::Config(format!(
                        "the proxy URL {} must be http:// or https:// (SOCKS is not supported)",
                        redact(url)
                    )));
                }
                Ok(Some(proxy))
            }
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Setting::FromEnv => f.write_str("Proxy::from_env()"),
            Setting::None => f.write_str("Proxy::none()"),
            Setting::Url(url) => write!(f, "Proxy::url({:?})", redact(url)),
        }
    }
}

/// The URL without user info, path or query: `scheme://host:port`.
fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() {
        host.to_string()
    } else {
        format!("{scheme}://{host}")
    }
}

/// The error for a request whose `CONNECT` the proxy refused for good (a 4xx other
/// than 408 and 429), or `None`. ureq reports a refused tunnel as
/// `ConnectProxyFailed("proxy server responded {status}/{reason}")`.
pub(crate) fn refusal(e: &ureq::Error) -> Option<Error> {
    let ureq::Error::ConnectProxyFailed(message) = e else {
        return None;
    };
    let status: u16 = message
        .strip_prefix("proxy server responded ")?
        .split('/')
        .next()?
        .parse()
        .ok()?;
    let refused = (400..500).contains(&status) && !matches!(status, 408 | 429);
    refused.then_some(Error::ProxyRefused { status })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_4xx_answers_to_connect() {
        let failed = |m: &str| ureq::Error::ConnectProxyFailed(m.into());
        for status in [403, 407, 400, 405] {
            let e = refusal(&failed(&format!("proxy server responded {status}/X"))).unwrap();
            assert!(matches!(e, Error::ProxyRefused { status: s } if s == status));
            assert!(!e.is_retryable(), "{e}");
        }
        for retried in [
            "proxy server responded 503/Service Unavailable",
            "proxy server responded 502/Bad Gateway",
            "proxy server responded 429/Too Many Requests",
            "proxy server did not respond",
        ] {
            assert!(refusal(&failed(retried)).is_none(), "{retried}");
        }
        assert!(refusal(&ureq::Error::ConnectionFailed).is_none());
    }

    #[test]
    fn explicit_urls_are_checked_and_never_shown_with_their_password() {
        let p = Proxy::url("http://user:s3cret@proxy.internal:3128/");
        assert!(p.to_ureq().unwrap().is_some());
        assert_eq!(
            format!("{p:?}"),
            "Proxy::url(\"http://proxy.internal:3128\")"
        );
        let socks = Proxy::url("socks5://user:s3cret@proxy.internal:1080");
        let e = socks.to_ureq().unwrap_err();
        assert!(matches!(e, Error::Config(_)), "{e}");
        assert!(!e.to_string().contains("s3cret"), "{e}");
        let e = Proxy::url("http://us er:s3cret@bad host")
            .to_ureq()
            .unwrap_err();
        assert!(
            matches!(&e, Error::Config(m) if !m.contains("s3cret")),
            "{e}"
        );
        assert!(Proxy::none().to_ureq().unwrap().is_none());
        assert_eq!(Proxy::default(), Proxy::from_env());
    }
}
