//! The Azure Storage path (the SDK through `UreqHttpClient`) through a local `CONNECT`
//! proxy to a real Azurite, with real TLS inside the tunnel.

#[path = "common/azurite.rs"]
mod azurite_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::testing::{AzuriteCredential, ConnectProxy};
use arn_client::transport::{BlobStore, Proxy};
use arn_client::Error;
use azurite_common::*;

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

#[test]
fn uploads_go_through_the_proxy() {
    let azurite = start_azurite();
    let proxy = ConnectProxy::start().unwrap();
    let store = config(&azurite, Arc::new(AzuriteCredential::new()))
        .proxy(Proxy::url(proxy.url()))
        .build()
        .unwrap();
    let resources = br#"[{"resourceId":"x"}]"#;
    let url = store.upload(resources, deadline()).unwrap();
    // The blob is there (read directly, not through the proxy).
    let (status, body) = get(&agent(&azurite), url.expose());
    assert_eq!((status, body.as_slice()), (200, &resources[..]));
    let requests = proxy.requests();
    let target = format!("127.0.0.1:{}", azurite.port());
    assert!(!requests.is_empty());
    assert!(
        requests
            .iter()
            .all(|r| r.method == "CONNECT" && r.target == target && r.status == 200),
        "{requests:?}"
    );
}

#[test]
fn a_refused_tunnel_is_final_on_the_storage_path() {
    let azurite = start_azurite();
    let proxy = ConnectProxy::start().unwrap();
    proxy.refuse(Some(403));
    let store = config(&azurite, Arc::new(AzuriteCredential::new()))
        .proxy(Proxy::url(proxy.url()))
        // The refresher tries once, then not for an hour.
        .key_retry_backoff(Duration::from_secs(3600), Duration::from_secs(3600))
        .build()
        .unwrap();
    let status = store
        .wait_key_status(Duration::from_secs(60), |s| s.failures == 1)
        .expect("the first key request fails");
    let last = status.last_error.unwrap_or_default();
    assert!(last.contains("proxy refused"), "{last}");
    let err = store.preflight(deadline()).unwrap_err();
    assert!(
        matches!(err, Error::ProxyRefused { status: 403, .. }),
        "{err}"
    );
    // One CONNECT per key request: the SDK's retry policy did not retry them.
    assert_eq!(proxy.requests().len(), 2, "{:?}", proxy.requests());
}
