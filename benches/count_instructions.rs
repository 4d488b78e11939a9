//! The program `scripts/count-instructions.sh` runs under callgrind: builds and sends
//! `count` compressed notifications of `nodes` AKS node resources
//! (`tests/vectors/payloads/node.json`) through a client with a no-op transport and
//! blob store, the caller's construction of each notification included.
//!
//! Usage: `count_instructions <nodes> <count>`. The script runs it twice with different
//! counts and divides the difference, so start-up costs cancel. Up to 18 nodes the
//! notifications go inline; 100 and more go through the (no-op) blob store. Run with
//! other arguments (as `cargo bench` does) it sends a few of each size once as a check.
//!
//! `count_instructions publish <count>`: publishes `count` changes of one AKS node each
//! (distinct nodes of one cluster, coalescing off), the caller's construction of each
//! change included, and flushes. Batches hold 20 changes (inline, as the default
//! publisher's ~25): the linger is long enough that only full batches and the final
//! flush send, so the count does not depend on the threads' timing.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::FakeTransport;
use arn_client::Client;
use serde_json::Value;

/// The id of node `i` of one AKS cluster (as in `benches/encode.rs`).
fn node_id(i: usize) -> String {
    format!(
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/test/providers/Microsoft.ContainerService/managedClusters/something/nodes/aks-nodepool1-12345678-vmss{i:06}"
    )
}

/// What a caller does to make a notification: parse each id, serialize the properties
/// into an ARM resource, wrap them.
fn notification(props: &Value, nodes: usize) -> Notification {
    let resources = (0..nodes)
        .map(|i| {
            let id = ResourceId::parse(&node_id(i)).expect("node id");
            let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", props).expect("arm");
            NotificationResource::new(arm, ChangeAction::Update)
        })
        .collect();
    Notification::new("eastus", "Microsoft.ContainerService", resources)
}

/// A client that compresses, with a no-op transport and blob store.
fn client() -> Client {
    let fake = FakeTransport::noop();
    Client::with_transports(fake.clone())
        .blob_store(fake as Arc<_>)
        .compression(true)
        .build()
        .expect("client")
}

/// Builds and sends `count` notifications of `nodes` resources, one after the other.
fn run(client: &Client, props: &Value, nodes: usize, count: usize) {
    for _ in 0..count {
        let n = notification(black_box(props), nodes);
        let delivery = client.notify(n).expect("no-op transport");
        assert_eq!(delivery.inline, nodes < 100, "inline under 100 nodes");
        black_box(delivery);
    }
}

/// Builds and publishes `count` changes of one node each, then flushes.
fn publish(client: Client, props: &Value, count: usize) {
    let client = Arc::new(client);
    let publisher = Publisher::builder(Arc::clone(&client))
        .linger(Duration::from_secs(600))
        .max_batch(20)
        .coalesce(false)
        .build()
        .expect("publisher");
    let context = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    for i in 0..count {
        let id = ResourceId::parse(&node_id(i)).expect("node id");
        let arm =
            ArmResource::new(Activity::Snapshot, &id, "2024-01-01", black_box(props)).expect("arm");
        let resource = NotificationResource::new(arm, ChangeAction::Update);
        publisher
            .submit(Change::new(Arc::clone(&context), resource))
            .expect("submit");
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    publisher.flush(deadline).expect("flush");
    assert_eq!(publisher.stats().published, count as u64);
    publisher.close(deadline).expect("close");
    client.close(deadline).expect("close");
}

fn main() {
    let props: Value = serde_json::from_str(include_str!("../tests/vectors/payloads/node.json"))
        .expect("node.json");
    let client = client();
    let mut argv = std::env::args().skip(1);
    if argv.next().as_deref() == Some("publish") {
        let count = argv.next().and_then(|a| a.parse().ok()).unwrap_or(100);
        return publish(client, &props, count);
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map_while(|a| a.parse().ok())
        .collect();
    match args[..] {
        [nodes, count] => run(&client, &props, nodes, count),
        _ => {
            for nodes in [1, 10, 100, 1000] {
                run(&client, &props, nodes, 2);
            }
            println!("count_instructions: usage: count_instructions <nodes> <count> (see scripts/count-instructions.sh)");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    client.close(deadline).expect("close");
}
