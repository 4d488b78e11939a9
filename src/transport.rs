//! The blocking seam between the workers and the network.
//!
//! Workers validate, encode and compress in memory, then call these traits. The real
//! implementations talk HTTPS through ureq; the `testing` feature provides scripted
//! fakes.

mod azure_http;
mod cause;
mod gate;
mod http;
mod progress;
mod proxy;
mod resend;
mod resolver;
mod retry;
#[cfg(test)]
mod retry_gate_tests;
mod tls;
mod zlib;

pub use crate::auth::TokenSource;
pub use azure_http::{UreqHttpClient, UreqHttpClientBuilder};
pub use http::{HttpTransport, ReceiverConfig};
pub use proxy::Proxy;
pub(crate) use resend::{Resend, SentEvent};
#[cfg(feature = "receiver")]
pub(crate) use resolver::CachingResolver;
pub use retry::{post_with_retries, retry_delay, RetryPolicy};
pub(crate) use retry::{Next, SendGate, Tries};
#[cfg(feature = "receiver")]
pub(crate) use tls::{agent_config, build_agent, parse_certificates as parse_root_certificates};
pub use tls::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use zlib::Zlib;

use std::time::Instant;

use crate::{Error, SecretUrl};

/// One event POST to the ARN receiver. Its `Debug` shows the body's size, never the
/// body (a blob event's body holds a SAS URL).
#[derive(Clone, Copy)]
#[non_exhaustive]
pub struct EventPost<'a> {
    /// The request body: the event JSON, zlib-compressed when `compressed`.
    pub body: &'a [u8],
    /// Whether `body` is zlib (RFC 1950) data, sent with `Content-Encoding: deflate`.
    pub compressed: bool,
    /// The notification's `publisherInfo`, sent as the `publisherinfo` header.
    pub publisher_info: &'a str,
    /// Give up (with [`Error::Timeout`]) when this instant passes.
    pub deadline: Instant,
}

impl<'a> EventPost<'a> {
    /// A POST of `body` (zlib data when `compressed`) for a notification published by
    /// `publisher_info`, to be given up at `deadline`.
    pub fn new(
        body: &'a [u8],
        compressed: bool,
        publisher_info: &'a str,
        deadline: Instant,
    ) -> Self {
        Self {
            body,
            compressed,
            publisher_info,
            deadline,
        }
    }
}

impl std::fmt::Debug for EventPost<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventPost")
            .field("body_bytes", &self.body.len())
            .field("compressed", &self.compressed)
            .field("publisher_info", &self.publisher_info)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// Posts events to the ARN receiver. One try: retries are the caller's job.
pub trait EventTransport: Send + Sync + 'static {
    /// Sends one event; `Ok` means the receiver answered HTTP 200.
    fn post(&self, post: &EventPost<'_>) -> Result<(), Error>;

    /// Checks, without sending an event, that posting can authenticate (e.g. that a
    /// token can be had). Defaults to `Ok(())` for transports with nothing to check.
    fn preflight(&self, deadline: Instant) -> Result<(), Error> {
        let _ = deadline;
        Ok(())
    }
}

/// Stores large resource payloads and returns a read-only URL for each.
pub trait BlobStore: Send + Sync + 'static {
    /// Uploads `resources` as a new blob and returns its read-only (SAS) URL.
    fn upload(&self, resources: &[u8], deadline: Instant) -> Result<SecretUrl, Error>;

    /// Checks, without uploading, that uploads and read URLs can be had (e.g. that a
    /// user delegation key can be obtained). Defaults to `Ok(())` for stores with
    /// nothing to check.
    fn preflight(&self, deadline: Instant) -> Result<(), Error> {
        let _ = deadline;
        Ok(())
    }

    /// Stops the store's background work (a key refresher, say): the client calls it
    /// from [`Client::close`](crate::Client::close), once no upload can start. Defaults
    /// to nothing.
    fn close(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_post_debug_never_shows_the_body() {
        let body = br#"{"data":{"resourcesBlobInfo":{"blobUri":"https://a/b?sig=SECRET"}}}"#;
        let post = EventPost::new(body, false, "Microsoft.Compute", Instant::now());
        let debug = format!("{post:?}");
        assert!(
            !debug.contains("SECRET") && debug.contains("body_bytes"),
            "{debug}"
        );
    }
}
