//! The Azure blob store against a real Azurite over HTTPS (`docs/protocol.md` section 7).

#[path = "common/azurite.rs"]
mod azurite_common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arn_client::blob::{container_name, BlobConfig};
use arn_client::testing::{AzuriteCredential, AzuriteTokenMode};
use arn_client::transport::BlobStore;
use arn_client::Error;
use azurite_common::*;
use futures::executor::block_on;

const DEADLINE: Duration = Duration::from_secs(60);

fn deadline() -> Instant {
    Instant::now() + DEADLINE
}

/// A fixed instant, so no test depends on the hour changing while it runs.
fn fixed_clock() -> SystemTime {
    // 2026-11-25 03:30:00 UTC
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_577_400)
}

fn split(url: &str) -> (&str, &str) {
    url.split_once('?').expect("a SAS URL has a query")
}

fn param<'a>(url: &'a str, key: &str) -> &'a str {
    split(url)
        .1
        .split('&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
        .unwrap_or_else(|| panic!("no {key} in the SAS"))
}

#[test]
fn thousand_resource_payload_round_trips_byte_for_byte() {
    let azurite = start_azurite();
    let store = config(&azurite, Arc::new(AzuriteCredential::new()))
        .build()
        .unwrap();
    let resources = thousand_node_resources();
    assert!(resources.len() > 1_500_000, "{}", resources.len());

    let url = store.upload(&resources, deadline()).unwrap();
    let (path, _) = split(url.expose());
    let container = store.current_container();
    assert!(container.starts_with("arm-ext-nt-"), "{container}");
    let prefix = format!("{}/{container}/", azurite.service_url());
    assert!(path.starts_with(&prefix), "{path}");
    let blob = &path[prefix.len()..];
    assert!(blob.ends_with(".txt") && blob.len() == 36 + 4, "{blob}");
    // The Display of the URL never shows the signature.
    assert!(!format!("{url} {url:?}").contains("sig="));

    let (status, body) = get(&agent(&azurite), url.expose());
    assert_eq!(status, 200);
    assert!(
        body == resources,
        "downloaded bytes differ from the uploaded ones"
    );
}

#[test]
fn sas_is_read_only_https_only_and_for_that_blob_only() {
    let azurite = start_azurite();
    let store = config(&azurite, Arc::new(AzuriteCredential::new()))
        .build()
        .unwrap();
    let a = store.upload(b"[{\"a\":1}]", deadline()).unwrap();
    let b = store.upload(b"[{\"b\":2}]", deadline()).unwrap();
    let (_, a_query) = split(a.expose());
    let (b_path, _) = split(b.expose());
    assert_eq!(param(a.expose(), "sp"), "r");
    assert_eq!(param(a.expose(), "spr"), "https");
    assert_eq!(param(a.expose(), "sr"), "b");
    let http = agent(&azurite);

    assert_eq!(get(&http, a.expose()), (200, b"[{\"a\":1}]".to_vec()));
    // Writing with the read SAS.
    let put = http
        .put(a.expose())
        .header("x-ms-blob-type", "BlockBlob")
        .send(&b"overwritten"[..])
        .unwrap();
    assert_eq!(put.status().as_u16(), 403, "a read SAS must not write");
    assert_eq!(get(&http, a.expose()).1, b"[{\"a\":1}]".to_vec());
    // The same SAS on another blob.
    let other = format!("{b_path}?{a_query}");
    assert_eq!(
        get(&http, &other).0,
        403,
        "the SAS must grant only its blob"
    );
    // A tampered signature.
    let sig = param(a.expose(), "sig");
    let mut chars: Vec<char> = sig.chars().collect();
    chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
    let tampered = a
        .expose()
        .replace(sig, &chars.into_iter().collect::<String>());
    assert_eq!(
        get(&http, &tampered).0,
        403,
        "a tampered SAS must be refused"
    );
    // Deleting with it.
    let del = http.delete(a.expose()).call().unwrap();
    assert_eq!(del.status().as_u16(), 403);
}

#[test]
fn hourly_container_is_created_once_and_reused_and_recreated_after_deletion() {
    let azurite = start_azurite();
    let store = config(&azurite, Arc::new(AzuriteCredential::new()))
        .container_ext("AKS-Test")
        .clock(fixed_clock)
        .build()
        .unwrap();
    let expected = container_name(Some("aks-test"), fixed_clock());
    assert_eq!(expected, "arm-ext-nt-aks-test-2026-11-25-3");
    assert_eq!(store.current_container(), expected);

    let urls: Vec<_> = (0..3)
        .map(|i| {
            store
                .upload(format!("[{i}]").as_bytes(), deadline())
                .unwrap()
        })
        .collect();
    assert_eq!(store.containers_created(), 1);
    for u in &urls {
        assert!(
            split(u.expose()).0.contains(&format!("/{expected}/")),
            "{}",
            u.redacted()
        );
    }
    let service = service_client(&azurite);
    let names = list_containers(&service);
    assert_eq!(names, vec![expected.clone()]);

    // Somebody deletes the container between uploads: the next upload recreates it.
    block_on(service.blob_container_client(&expected).delete(None)).unwrap();
    assert!(list_containers(&service).is_empty());
    let again = store.upload(b"[\"again\"]", deadline()).unwrap();
    assert_eq!(store.containers_created(), 2);
    assert_eq!(list_containers(&service), vec![expected]);
    assert_eq!(
        get(&agent(&azurite), again.expose()),
        (200, b"[\"again\"]".to_vec())
    );
}

fn list_containers(service: &azure_storage_blob::BlobServiceClient) -> Vec<String> {
    use futures::StreamExt;
    let mut pager = service.list_containers(None).unwrap();
    let mut names = Vec::new();
    while let Some(item) = block_on(pager.next()) {
        let item = item.unwrap();
        names.push(item.name.unwrap_or_default());
    }
    names.sort();
    names
}

#[test]
fn failing_key_refresh_keeps_the_old_key_serving() {
    let azurite = start_azurite();
    let credential = Arc::new(AzuriteCredential::new());
    let store = config(&azurite, credential.clone())
        .key_refresh_interval(Duration::from_millis(100))
        .key_retry_backoff(Duration::from_millis(20), Duration::from_millis(100))
        .build()
        .unwrap();
    let first = store
        .wait_key_status(DEADLINE, |s| s.keys_obtained >= 1)
        .expect("a first key");
    // Tokens without oid: Get User Delegation Key answers 500, blob writes still pass.
    credential.set_mode(AzuriteTokenMode::WithoutOid);
    let failed = store
        .wait_key_status(DEADLINE, |s| s.failures >= 2)
        .expect("refreshes fail");
    assert!(failed.last_error.is_some());
    let obtained = failed.keys_obtained;
    assert!(obtained >= first.keys_obtained);

    let url = store.upload(b"[\"old key\"]", deadline()).unwrap();
    assert_eq!(
        get(&agent(&azurite), url.expose()),
        (200, b"[\"old key\"]".to_vec())
    );
    assert_eq!(
        store.key_status().keys_obtained,
        obtained,
        "no new key meanwhile"
    );

    // The refresher recovers once the service does.
    credential.set_mode(AzuriteTokenMode::Valid);
    store
        .wait_key_status(DEADLINE, |s| {
            s.keys_obtained > obtained && s.last_error.is_none()
        })
        .expect("refresh recovers");
}

#[test]
fn storage_refusals_reach_the_caller_as_blob_errors() {
    let azurite = start_azurite();
    let credential = Arc::new(AzuriteCredential::new());
    let store = config(&azurite, credential.clone()).build().unwrap();
    store.preflight(deadline()).unwrap();

    // 403: a token for another audience.
    credential.set_mode(AzuriteTokenMode::WrongAudience);
    match store.upload(b"[1]", deadline()) {
        Err(Error::Blob {
            status,
            code,
            message,
            ..
        }) => {
            assert_eq!(status, Some(403), "{code:?} {message}");
            assert!(code.is_some(), "the x-ms-error-code is kept");
            assert!(!message.contains('<'), "no XML in {message}");
        }
        other => panic!("expected Error::Blob 403, got {other:?}"),
    }

    // 500: Get User Delegation Key without oid/tid (after the SDK's retries).
    credential.set_mode(AzuriteTokenMode::WithoutOid);
    match store.preflight(deadline()) {
        Err(Error::Blob { status, .. }) => assert_eq!(status, Some(500)),
        other => panic!("expected Error::Blob 500, got {other:?}"),
    }
}

#[test]
fn upload_waits_for_the_first_key_within_its_deadline() {
    let azurite = start_azurite();
    let credential = Arc::new(AzuriteCredential::new());
    credential.set_mode(AzuriteTokenMode::Fail);
    let store = config(&azurite, credential.clone())
        .key_retry_backoff(Duration::from_millis(50), Duration::from_millis(50))
        .build()
        .unwrap();
    store
        .wait_key_status(DEADLINE, |s| s.failures >= 1)
        .expect("the first key request fails");
    assert!(matches!(
        store.upload(b"[1]", Instant::now() + Duration::from_millis(200)),
        Err(Error::Timeout { .. })
    ));
    // Asked explicitly, the key request reports the credential failure.
    match store.preflight(deadline()) {
        Err(Error::Credential { .. }) => {}
        other => panic!("expected Error::Credential, got {other:?}"),
    }
    // Once the credential works, the refresher's next try serves the waiting upload.
    credential.set_mode(AzuriteTokenMode::Valid);
    let url = store.upload(b"[2]", deadline()).unwrap();
    assert_eq!(get(&agent(&azurite), url.expose()), (200, b"[2]".to_vec()));
}

#[test]
fn unreachable_service_is_a_connection_error_and_build_does_not_block() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let started = Instant::now();
    let store = BlobConfig::new(
        format!("https://127.0.0.1:{port}/devstoreaccount1"),
        Arc::new(AzuriteCredential::new()),
    )
    .build()
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "build must not wait on the network"
    );
    match store.preflight(deadline()) {
        Err(Error::Connection { message, .. }) => assert!(!message.contains("sig="), "{message}"),
        other => panic!("expected Error::Connection, got {other:?}"),
    }
}

#[test]
fn bad_configuration_fails_at_build() {
    let cred = Arc::new(AzuriteCredential::new());
    for ext in ["", "under_score", &"x".repeat(42)] {
        let r = BlobConfig::new("https://acct.blob.core.windows.net", cred.clone())
            .container_ext(ext)
            .build();
        assert!(matches!(r, Err(Error::Config(_))), "{ext:?}");
    }
    let r = BlobConfig::new("http://acct.blob.core.windows.net", cred).build();
    assert!(matches!(r, Err(Error::Config(_))));
}
