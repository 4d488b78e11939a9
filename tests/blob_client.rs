//! The Client end to end with the real blob store: Azurite over HTTPS for blobs, the
//! local HTTPS ARN receiver for events (it fetches each blob through its SAS URL).

#[path = "common/azurite.rs"]
mod azurite_common;

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, Azurite, AzuriteCredential, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;
use azurite_common::*;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(120);
const PUBLISHER: &str = "Microsoft.ContainerService";

fn node_payload() -> Value {
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/payloads/node.json"
    ))
    .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

/// Node `name` of cluster `cluster`, its properties the AKS node payload plus `seq`.
fn node(cluster: &str, name: &str, seq: u64, payload: &Value) -> NotificationResource {
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/{cluster}/nodes/{name}"
    ))
    .unwrap();
    let mut props = payload.clone();
    props["seq"] = json!(seq);
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
    NotificationResource::new(arm, ChangeAction::Update)
}

struct Setup {
    azurite: Azurite,
    receiver: Arc<ArnReceiver>,
    client: Client,
}

fn setup(workers: usize) -> Setup {
    let azurite = start_azurite();
    let token = "blob-e2e-token";
    let receiver = Arc::new(
        ArnReceiver::builder()
            .token(token)
            .add_root_certificate(azurite.cert_pem())
            .start()
            .unwrap(),
    );
    // The real builder: receiver config + blob config; nothing touches the network
    // until the first notification (which waits for the first delegation key).
    let receiver_config =
        ReceiverConfig::new(receiver.url(), StaticTokenCredential::new(token).shared())
            .add_root_certificate(receiver.certificate_pem());
    let client = Client::builder(receiver_config)
        .blob_storage(config(&azurite, Arc::new(AzuriteCredential::new())))
        .workers(workers)
        .build()
        .unwrap();
    Setup {
        azurite,
        receiver,
        client,
    }
}

#[test]
fn thousand_node_notification_goes_through_a_blob_and_arrives_intact() {
    let s = setup(2);
    let payload = node_payload();
    let resources: Vec<_> = (0..1000)
        .map(|i| node("mc", &format!("n{i}"), i, &payload))
        .collect();
    let n = Notification::new("eastus", PUBLISHER, resources);
    s.client.notify(n.clone()).unwrap();

    let events = s.receiver.wait_for_events(1, WAIT);
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert!(!e.inline, "1000 nodes must go through blob storage");
    assert_eq!(e.event["data"]["resourcesContainer"], "blob");
    assert!(e.event["data"]["resources"].is_null());
    // The receiver fetched the blob through the SAS and validated it with the model.
    assert_eq!(e.notification.resources, n.resources);

    // The blob holds exactly blobSize bytes, read-only through the SAS.
    let info = &e.event["data"]["resourcesBlobInfo"];
    let uri = info["blobUri"].as_str().unwrap();
    assert!(uri.starts_with(&s.azurite.service_url()), "blob on Azurite");
    let (status, bytes) = get(&agent(&s.azurite), uri);
    assert_eq!(status, 200);
    assert_eq!(info["blobSize"].as_u64().unwrap() as usize, bytes.len());
    assert!(bytes.len() > 1_500_000, "{}", bytes.len());
    let parsed: Vec<Value> = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(parsed, e.resources);
    let put = agent(&s.azurite)
        .put(uri)
        .header("x-ms-blob-type", "BlockBlob")
        .send(&b"x"[..])
        .unwrap();
    assert_eq!(put.status().as_u16(), 403);
    s.client.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn mixed_inline_and_blob_load_from_threads_keeps_order_and_one_outcome_each() {
    let s = setup(4);
    let client = Arc::new(s.client);
    let payload = Arc::new(node_payload());
    const THREADS: usize = 4;
    const PER_THREAD: u64 = 8;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let client = Arc::clone(&client);
            let payload = Arc::clone(&payload);
            thread::spawn(move || {
                let cluster = format!("mc{t}");
                let mut promises = Vec::new();
                for seq in 0..PER_THREAD {
                    // Every other notification is large: the tracked node plus 40
                    // others (~75 kB, past the 42,000-byte inline limit); the small ones
                    // carry one other node, so every notification of a thread has the
                    // same subject (the cluster), the key the client orders by.
                    let pads = if seq % 2 == 1 { 40 } else { 1 };
                    let mut resources = vec![node(&cluster, "tracked", seq, &payload)];
                    resources.extend(
                        (0..pads).map(|i| node(&cluster, &format!("pad{seq}-{i}"), seq, &payload)),
                    );
                    let n = Notification::new("eastus", PUBLISHER, resources);
                    promises.push(client.send_async(n).unwrap());
                }
                promises
                    .into_iter()
                    .map(|p| p.wait().map_err(|e| e.to_string()))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        let outcomes = h.join().unwrap();
        assert_eq!(outcomes.len(), PER_THREAD as usize);
        assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    }
    let total = THREADS * PER_THREAD as usize;
    let events = s.receiver.wait_for_events(total, WAIT);
    assert_eq!(events.len(), total);
    // Exactly one delivery each: no duplicate event ids.
    let mut ids: Vec<_> = events.iter().map(|e| e.event["id"].to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total);
    let blobs = events.iter().filter(|e| !e.inline).count();
    assert_eq!(blobs, total / 2, "half of them went through Azurite");
    let mut by_cluster: HashMap<String, Vec<u64>> = HashMap::new();
    for e in &events {
        let first = &e.resources[0];
        let id = first["resourceId"].as_str().unwrap().to_owned();
        assert!(id.ends_with("/nodes/tracked"), "{id}");
        let seq = first["armResource"]["properties"]["seq"].as_u64().unwrap();
        by_cluster.entry(id).or_default().push(seq);
    }
    assert_eq!(by_cluster.len(), THREADS);
    for (id, seqs) in by_cluster {
        assert_eq!(seqs, (0..PER_THREAD).collect::<Vec<_>>(), "order of {id}");
    }
    client.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn preflight_checks_the_receiver_token_and_the_storage_key() {
    let azurite = start_azurite();
    let token = "preflight-token";
    let receiver = ArnReceiver::builder().token(token).start().unwrap();
    let receiver_credential = StaticTokenCredential::new(token);
    let storage_credential = Arc::new(AzuriteCredential::new());
    let client = Client::builder(
        ReceiverConfig::new(receiver.url(), receiver_credential.shared())
            .add_root_certificate(receiver.certificate_pem()),
    )
    .blob_storage(config(&azurite, Arc::clone(&storage_credential)))
    .build()
    .unwrap();
    let deadline = || Instant::now() + WAIT;

    // A failing receiver credential is reported (errors are not cached)...
    receiver_credential.fail_next(1);
    let err = client.preflight(deadline()).unwrap_err();
    assert!(
        matches!(err, arn_client::Error::Credential { .. }),
        "{err:?}"
    );
    // ...and once it works, so does preflight.
    client.preflight(deadline()).unwrap();

    // A storage token that Azurite refuses: the key request fails with its status.
    storage_credential.set_mode(arn_client::testing::AzuriteTokenMode::WrongAudience);
    let err = client.preflight(deadline()).unwrap_err();
    assert!(
        matches!(
            err,
            arn_client::Error::Blob {
                status: Some(403),
                ..
            }
        ),
        "{err:?}"
    );

    storage_credential.set_mode(arn_client::testing::AzuriteTokenMode::Valid);
    client.preflight(deadline()).unwrap();
    assert_eq!(receiver.request_count(), 0, "preflight sends no event");
}
