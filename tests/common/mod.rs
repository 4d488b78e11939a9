//! Shared helpers for the runtime tests: building notifications and clients.
#![allow(dead_code)]

use std::sync::Arc;

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{Behavior, FakeTransport, Gate, RecordedPost};
use arn_client::{Client, ClientBuilder};

/// The id of test node `i` (all in one cluster, one resource type).
pub fn node_id(i: usize) -> String {
    format!(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/nodes/n{i}"
    )
}

/// A one-resource snapshot notification about `id` whose properties are `{"seq": seq}`.
pub fn node(id: &str, seq: u64) -> Notification {
    with_properties(id, &serde_json::json!({ "seq": seq }))
}

/// A one-resource snapshot notification about `id` with `properties`.
pub fn with_properties(id: &str, properties: &serde_json::Value) -> Notification {
    let rid = ResourceId::parse(id).expect("valid test id");
    let arm = ArmResource::new(Activity::Snapshot, &rid, "2024-01-01", properties)
        .expect("valid arm resource");
    Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        vec![NotificationResource::new(arm, ChangeAction::Update)],
    )
}

/// A notification with `count` resources (nodes 0..count of one cluster).
pub fn many(count: usize) -> Notification {
    let mut n = node(&node_id(0), 0);
    n.resources = (0..count)
        .map(|i| node(&node_id(i), i as u64).resources.remove(0))
        .collect();
    n
}

/// The AKS node notification of `tests/vectors/payloads/node.json`.
pub fn aks_node() -> Notification {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/payloads/node.json"
    ))
    .expect("node.json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("node.json is JSON");
    with_properties(&node_id(0), &value)
}

/// A builder over `fake` (events and blobs) with `workers` workers.
pub fn builder(fake: &Arc<FakeTransport>, workers: usize) -> ClientBuilder {
    Client::with_transports(fake.clone())
        .blob_store(fake.clone())
        .workers(workers)
}

/// A fake whose every post waits at the returned gate until the test opens it (a
/// stuck receiver), and a builder over it with `workers` workers.
pub fn gated(workers: usize) -> (Arc<FakeTransport>, Gate, ClientBuilder) {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    fake.script_default(Behavior::Gate(gate.clone()));
    let builder = builder(&fake, workers);
    (fake, gate, builder)
}

/// The parsed body of a recorded post.
pub fn body(post: &RecordedPost) -> serde_json::Value {
    serde_json::from_slice(&post.body).expect("recorded body is JSON")
}

/// `properties.seq` of the first resource of a recorded inline post.
pub fn seq(post: &RecordedPost) -> u64 {
    body(post)["data"]["resources"][0]["armResource"]["properties"]["seq"]
        .as_u64()
        .expect("seq in properties")
}
