//! The blob store's key refresher ends with the client that owns the store: idle (its
//! first key request failed, the next one an hour away), it is joined when the client
//! is closed and dropped. Seen from outside through the credential: the refresher's
//! key requests hold it (through the SDK's service client), so once every holder is
//! gone, the test's handle is the only one left.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::blob::BlobConfig;
use arn_client::testing::{FakeTransport, StaticTokenCredential};
use arn_client::Client;

#[test]
fn the_key_refresher_is_joined_when_its_client_is_closed_and_dropped() {
    // A port nobody listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let credential = StaticTokenCredential::new("t").shared();
    let hour = Duration::from_secs(3600);
    let store = BlobConfig::new(
        format!("https://127.0.0.1:{port}/acct"),
        Arc::clone(&credential),
    )
    .key_retry_backoff(hour, hour)
    .build()
    .unwrap();
    let status = store
        .wait_key_status(Duration::from_secs(60), |s| s.failures >= 1)
        .expect("the first key request fails: nobody listens");
    assert_eq!(status.keys_obtained, 0);
    assert!(Arc::strong_count(&credential) > 1, "the store holds it");
    let client = Client::with_transports(FakeTransport::new())
        .blob_store(Arc::new(store))
        .build()
        .unwrap();
    client
        .close(Instant::now() + Duration::from_secs(10))
        .unwrap();
    drop(client);
    assert_eq!(
        Arc::strong_count(&credential),
        1,
        "the refresher thread (or the store) still holds the credential"
    );
}
