//! Errors that keep their cause, over real TLS and real sockets on loopback: a
//! certificate the client cannot accept fails the first try for good and says why
//! (one connection, no request, no retry); unreachable storage says what failed; a
//! timeout says what the last try got.

#[path = "common/receiver.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::blob::BlobConfig;
use arn_client::testing::{ArnReceiver, StaticTokenCredential};
use arn_client::transport::{EventTransport, ReceiverConfig, RetryPolicy};
use arn_client::{Client, Error};
use common::*;

/// A port on loopback that nobody listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A receiver-side transport to `endpoint`, trusting `root` if given (else only the
/// built-in webpki roots).
fn transport_to(endpoint: &str, root: Option<&str>) -> arn_client::transport::HttpTransport {
    let credential = StaticTokenCredential::new("tls-tok").shared();
    let mut config = ReceiverConfig::new(endpoint, credential);
    if let Some(root) = root {
        config = config.add_root_certificate(root);
    }
    config.build().unwrap()
}

fn post_once(transport: &dyn EventTransport) -> Error {
    let body = serde_json::to_vec(&inline_event(&["n1"])).unwrap();
    transport
        .post(&post(&body, false, WAIT))
        .expect_err("the TLS handshake must fail")
}

fn assert_tls(error: &Error, reason: &str) {
    match error {
        Error::Tls { reason: why, .. } => assert!(why.contains(reason), "{why:?} lacks {reason:?}"),
        other => panic!("expected Error::Tls ({reason}), got {other:?}"),
    }
    assert!(!error.is_retryable());
}

#[test]
fn an_untrusted_receiver_certificate_fails_the_first_try_for_good() {
    let receiver = Arc::new(ArnReceiver::start("tls-tok").unwrap());
    // No add_root_certificate: the built-in roots do not know the receiver's.
    let transport = ReceiverConfig::new(
        receiver.url(),
        StaticTokenCredential::new("tls-tok").shared(),
    )
    .into_transport()
    .unwrap();
    let client = Client::with_transports(transport)
        .blob_store(receiver_blobs(&receiver))
        .workers(2)
        .retry_policy(RetryPolicy::default())
        .build()
        .unwrap();
    let error = client
        .notify(notification(vec![node("a", 1)]))
        .unwrap_err()
        .into_error();
    assert_tls(&error, "not trusted (unknown issuer)");
    assert_eq!(receiver.connection_count(), 1, "one handshake, no retry");
    assert_eq!(receiver.request_count(), 0, "nothing was sent");
    assert_eq!(client.stats().events_failed_inline, 1);
    client.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn a_certificate_for_another_host_name_is_a_tls_error() {
    // Certificate for localhost only, reached at 127.0.0.1.
    let receiver = ArnReceiver::builder()
        .certificate_names(["localhost"])
        .start()
        .unwrap();
    let transport = transport_to(&receiver.url(), Some(receiver.certificate_pem()));
    assert_tls(&post_once(&transport), "not valid for the host name");
    assert_eq!(receiver.connection_count(), 1);
    assert_eq!(receiver.request_count(), 0);

    // Certificate for 127.0.0.1 only, reached at localhost.
    let receiver = ArnReceiver::builder()
        .certificate_names(["127.0.0.1"])
        .start()
        .unwrap();
    let endpoint = format!("https://localhost:{}", receiver.addr().port());
    let transport = transport_to(&endpoint, Some(receiver.certificate_pem()));
    assert_tls(&post_once(&transport), "not valid for the host name");
    assert_eq!(receiver.connection_count(), 1);
    assert_eq!(receiver.request_count(), 0);
}

#[test]
fn an_expired_receiver_certificate_is_a_tls_error() {
    let receiver = ArnReceiver::builder()
        .expired_certificate(true)
        .start()
        .unwrap();
    let transport = transport_to(&receiver.url(), Some(receiver.certificate_pem()));
    assert_tls(&post_once(&transport), "expired");
    assert_eq!(receiver.request_count(), 0);
}

/// A blob store at `endpoint` whose background key refresher tries once, then waits
/// an hour (so the tests count only their own requests).
fn store_at(endpoint: &str) -> arn_client::blob::AzureBlobStore {
    BlobConfig::new(endpoint, StaticTokenCredential::new("blob-tok").shared())
        .key_retry_backoff(Duration::from_secs(3600), Duration::from_secs(3600))
        .build()
        .unwrap()
}

#[test]
fn unreachable_storage_says_the_connection_was_refused() {
    let store = store_at(&format!("https://127.0.0.1:{}/acct", closed_port()));
    let error = store.preflight(Instant::now() + WAIT).unwrap_err();
    match &error {
        Error::Connection { message, .. } => {
            assert!(message.contains("connection refused"), "{message}");
            assert!(message.contains("get user delegation key"), "{message}");
        }
        other => panic!("expected a refused connection, got {other:?}"),
    }
    assert!(!error.to_string().contains("non-transport"), "{error}");
}

#[test]
fn storage_preflight_cut_short_by_its_deadline_says_what_the_last_try_got() {
    let store = store_at(&format!("https://127.0.0.1:{}/acct", closed_port()));
    // The SDK's first retry waits at least 400 ms: the deadline passes before it.
    let error = store
        .preflight(Instant::now() + Duration::from_millis(300))
        .unwrap_err();
    match &error {
        Error::Timeout {
            last_error: Some(last),
            ..
        } => assert!(
            matches!(&**last, Error::Connection { message, .. } if message.contains("connection refused")),
            "{last:?}"
        ),
        other => panic!("expected a timeout after a refused connection, got {other:?}"),
    }
}

#[test]
fn storage_with_an_untrusted_certificate_fails_without_retries() {
    let receiver = ArnReceiver::start("blob-tok").unwrap();
    let store = store_at(&format!("{}/acct", receiver.url()));
    let error = store.preflight(Instant::now() + WAIT).unwrap_err();
    assert_tls(&error, "not trusted (unknown issuer)");
    assert!(
        error.to_string().contains("get user delegation key"),
        "{error}"
    );
    // The background refresher's first request fails the same way.
    let status = store
        .wait_key_status(WAIT, |s| s.failures >= 1)
        .expect("the refresher's first request failed");
    assert!(
        status.last_error.unwrap().contains("unknown issuer"),
        "the refresher says why"
    );
    // Two requests (preflight and the refresher), one handshake each: the SDK did
    // not retry either.
    assert_eq!(receiver.connection_count(), 2);
    assert_eq!(receiver.request_count(), 0);
}
