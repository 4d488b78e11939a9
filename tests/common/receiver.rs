//! Helpers for the http tests: hand-built ARN v3 events (so the transport tests do not
//! depend on the encoder) and a transport trusting a local receiver.
#![allow(dead_code)]

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::testing::{ArnReceiver, StaticTokenCredential};
use arn_client::transport::{EventPost, HttpTransport, ReceiverConfig, RetryPolicy};
use serde_json::{json, Value};

pub const PUBLISHER: &str = "Microsoft.ContainerService";

/// An ARN v3 event about `names` (nodes of one managed cluster), inline.
pub fn inline_event(names: &[&str]) -> Value {
    let resources: Vec<Value> = names.iter().map(|n| resource(n)).collect();
    let mut e = envelope(resources.len());
    e["data"]["resources"] = Value::Array(resources);
    e["data"]["resourcesContainer"] = json!("inline");
    e
}

/// The same, with the resources behind `blob_uri`.
pub fn blob_event(count: usize, blob_uri: &str, blob_size: usize) -> Value {
    let mut e = envelope(count);
    e["data"]["resources"] = Value::Null;
    e["data"]["resourcesContainer"] = json!("blob");
    e["data"]["resourcesBlobInfo"] = json!({"blobUri": blob_uri, "blobSize": blob_size});
    e
}

pub fn resource(name: &str) -> Value {
    let id = format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/{name}"
    );
    json!({
        "armResource": {"properties": {"ready": true}, "name": name,
            "type": "Microsoft.ContainerService/managedClusters/nodes", "id": id, "apiVersion": "2024-01-01"},
        "resourceId": id,
        "apiVersion": "2024-01-01",
        "statusCode": "OK",
        "resourceSystemProperties": {"createdBy": "", "modifiedBy": "", "changeAction": "Update"}
    })
}

fn envelope(count: usize) -> Value {
    json!({
        "topic": "",
        "subject": "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc",
        "eventType": "Microsoft.ContainerService/managedClusters/nodes/snapshot",
        "eventTime": "2024-05-01T10:00:00.123Z",
        "id": uuid::Uuid::new_v4().to_string(),
        "dataVersion": "3.0",
        "metadataVersion": "1.0",
        "data": {
            "additionalBatchProperties": {"batchCorrelationId": "", "sdkVersion": "rust@test", "batchSize": count},
            "resourceLocation": "eastus",
            "publisherInfo": PUBLISHER,
        }
    })
}

/// Three quick retries (5 ms doubling up to 50 ms), so retry tests run fast.
pub fn fast_policy() -> RetryPolicy {
    RetryPolicy::new(3, Duration::from_millis(5), Duration::from_millis(50))
}

/// zlib level 5, as the worker compresses.
pub fn zlib(body: &[u8]) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(5));
    z.write_all(body).unwrap();
    z.finish().unwrap()
}

pub fn post(body: &[u8], compressed: bool, deadline: Duration) -> EventPost<'_> {
    EventPost::new(body, compressed, PUBLISHER, Instant::now() + deadline)
}

/// A receiver expecting `token` and a config trusting it, with a credential for `token`.
pub fn setup(token: &str) -> (ArnReceiver, StaticTokenCredential, ReceiverConfig) {
    let receiver = ArnReceiver::builder()
        .token(token)
        .serve_blobs(true)
        .start()
        .unwrap();
    let credential = StaticTokenCredential::new(token);
    let config = ReceiverConfig::new(receiver.url(), credential.shared())
        .add_root_certificate(receiver.certificate_pem());
    (receiver, credential, config)
}

pub fn transport(config: ReceiverConfig) -> Arc<HttpTransport> {
    Arc::new(config.build().unwrap())
}

pub const WAIT: Duration = Duration::from_secs(20);

/// A blob store for the client tests: the receiver's own blob server (the real Azure
/// store is tested against Azurite).
pub fn receiver_blobs(receiver: &Arc<ArnReceiver>) -> Arc<arn_client::testing::ReceiverBlobStore> {
    Arc::new(arn_client::testing::ReceiverBlobStore::new(Arc::clone(
        receiver,
    )))
}

/// A node of managed cluster `mc` with a sequence number in its properties.
pub fn node(name: &str, seq: u64) -> arn_client::model::NotificationResource {
    use arn_client::model::*;
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/{name}"
    ))
    .unwrap();
    let props = json!({"seq": seq, "ready": true});
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
    NotificationResource::new(arm, ChangeAction::Update)
}

pub fn notification(
    resources: Vec<arn_client::model::NotificationResource>,
) -> arn_client::model::Notification {
    arn_client::model::Notification::new("eastus", PUBLISHER, resources)
}

/// The `seq` property of each resource of an accepted event.
pub fn seqs(event: &arn_client::testing::AcceptedEvent) -> Vec<u64> {
    event
        .resources
        .iter()
        .map(|r| r["armResource"]["properties"]["seq"].as_u64().unwrap())
        .collect()
}
