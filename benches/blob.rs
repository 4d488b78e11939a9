//! The blob path against a real Azurite: 1000-resource notifications through the
//! Client (upload to Azurite, SAS, event POST to the local HTTPS receiver, which
//! fetches and validates every blob), with 1 and 4 workers, next to the inline path
//! for the same total bytes. Counts are small: run with
//! `scripts/install-test-deps.sh && cargo bench --bench blob -- --warm-up-time 1 --measurement-time 5`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::blob::BlobConfig;
use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, Azurite, AzuriteCredential, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(300);
/// 1000-resource notifications per iteration of the blob path.
const BLOB_NOTIFICATIONS: usize = 2;
/// Resources per inline notification (~38 kB of resources JSON, under 42,000 bytes).
const INLINE_RESOURCES: usize = 20;

fn notification(cluster: usize, count: usize, payload: &Value) -> Notification {
    let resources: Vec<NotificationResource> = (0..count)
        .map(|i| {
            let id = ResourceId::parse(&format!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{cluster}/nodes/n{i}"
            ))
            .unwrap();
            let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", payload).unwrap();
            NotificationResource::new(arm, ChangeAction::Update)
        })
        .collect();
    Notification::new("eastus", "Microsoft.ContainerService", resources)
}

fn client(azurite: &Azurite, receiver: &ArnReceiver, workers: usize) -> Client {
    let receiver_config =
        ReceiverConfig::new(receiver.url(), StaticTokenCredential::new("bench").shared())
            .add_root_certificate(receiver.certificate_pem());
    let blob = BlobConfig::new(azurite.service_url(), Arc::new(AzuriteCredential::new()))
        .add_root_certificate(azurite.cert_pem());
    Client::builder(receiver_config)
        .blob_storage(blob)
        .workers(workers)
        .build()
        .unwrap()
}

fn send_all(client: &Client, batch: &[Notification]) {
    let promises: Vec<_> = batch
        .iter()
        .map(|n| client.send_async(n.clone()).unwrap())
        .collect();
    for p in promises {
        p.wait().unwrap();
    }
}

fn bench(c: &mut Criterion) {
    let azurite = Azurite::start().unwrap_or_else(|e| {
        panic!("the blob bench needs Azurite (scripts/install-test-deps.sh): {e}")
    });
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/payloads/node.json"
    ))
    .unwrap();
    let payload: Value = serde_json::from_slice(&raw).unwrap();

    // Distinct clusters so that the notifications spread over the workers.
    let blob_batch: Vec<_> = (0..BLOB_NOTIFICATIONS)
        .map(|i| notification(i, 1000, &payload))
        .collect();
    let bytes: usize = blob_batch
        .iter()
        .map(|n| serde_json::to_vec(&n.resources).unwrap().len())
        .sum();
    let per_inline = serde_json::to_vec(&notification(0, INLINE_RESOURCES, &payload).resources)
        .unwrap()
        .len();
    assert!(per_inline < 42_000, "{per_inline}");
    let inline_count = bytes.div_ceil(per_inline);
    let inline_batch: Vec<_> = (0..inline_count)
        .map(|i| notification(i, INLINE_RESOURCES, &payload))
        .collect();
    eprintln!(
        "blob batch: {BLOB_NOTIFICATIONS} x 1000 resources = {bytes} bytes; inline batch: \
         {inline_count} x {INLINE_RESOURCES} resources"
    );

    let mut group = c.benchmark_group("blob_vs_inline");
    // Flat sampling keeps the iteration count small: the receiver keeps every event.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    for workers in [1, 4] {
        // A fresh receiver per configuration: it holds every event it accepted.
        let receiver = ArnReceiver::builder()
            .token("bench")
            .add_root_certificate(azurite.cert_pem())
            .start()
            .unwrap();
        let client = client(&azurite, &receiver, workers);
        group.bench_function(
            format!("blob_{BLOB_NOTIFICATIONS}x1000_workers_{workers}"),
            |b| b.iter(|| send_all(&client, &blob_batch)),
        );
        group.bench_function(
            format!("inline_{inline_count}x{INLINE_RESOURCES}_workers_{workers}"),
            |b| b.iter(|| send_all(&client, &inline_batch)),
        );
        client.close(Instant::now() + WAIT).unwrap();
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
