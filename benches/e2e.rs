//! End-to-end throughput against the local HTTPS receiver (real TLS, loopback).
//!
//! For each configuration (receiver latency 0 / 5 ms, 1 / 100 resources per
//! notification, compression off / on, 1 / 4 / 8 workers) it sends a bounded number of
//! notifications through the [`Client`] and reports notifications per second, next to
//! a raw ureq loop POSTing the same pre-built bodies at the same concurrency (the bare
//! HTTP cost: what a client without any overhead of its own would reach), plain and
//! with host lookups skipped (a plain ureq agent resolves the host on a new thread
//! before every request; the client caches lookups, so the second is the fair
//! floor). A custom harness (`harness = false`): criterion's per-iteration model does
//! not fit a concurrent throughput run.
//!
//! With 100 realistic node resources the resources JSON crosses the 42,000-byte inline
//! limit, so those rows take the blob path: an in-memory upload to the receiver's blob
//! server, and a GET of `blobUri` by the receiver (which also pays the added latency).
//!
//! `cargo bench --bench e2e` (all), or `cargo bench --bench e2e -- quick` (a subset).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, EncodeBuf, Encoded, Encoder, Notification,
    NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, ReceiverBlobStore, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

mod common;
use common::{no_lookup, post, zlib, TOKEN};

const CLUSTERS: usize = 64;

fn notification(cluster: usize, resources: usize, seq: usize) -> Notification {
    let rs = (0..resources)
        .map(|i| {
            let id = ResourceId::parse(&format!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{cluster}/nodes/n{i}"
            ))
            .expect("a valid id");
            let props = serde_json::json!({"seq": seq, "ready": true, "kubeletVersion": "1.30.1"});
            let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props)
                .expect("an arm resource");
            NotificationResource::new(arm, ChangeAction::Update)
        })
        .collect();
    Notification::new("eastus", "Microsoft.ContainerService", rs)
}

fn client_run(
    receiver: &Arc<ArnReceiver>,
    workers: usize,
    compression: bool,
    notes: &[Notification],
) -> (f64, &'static str) {
    let credential = StaticTokenCredential::new(TOKEN);
    let config = ReceiverConfig::new(receiver.url(), credential.shared())
        .add_root_certificate(receiver.certificate_pem());
    let client = Client::with_transports(config.into_transport().expect("a transport"))
        .blob_store(Arc::new(ReceiverBlobStore::new(Arc::clone(receiver))))
        .workers(workers)
        .compression(compression)
        .build()
        .expect("a client");
    // Warm up: one per worker-ish, so connections and the token exist.
    for n in notes.iter().take(workers) {
        client.notify(n.clone()).expect("warm-up");
    }
    let batch: Vec<Notification> = notes.to_vec();
    let start = Instant::now();
    for n in batch {
        client.submit(n).expect("submit");
    }
    client
        .flush(Instant::now() + Duration::from_secs(300))
        .expect("flush");
    let elapsed = start.elapsed();
    let stats = client.stats();
    assert_eq!(
        stats.events_failed_inline + stats.events_failed_blob,
        0,
        "failures during the run"
    );
    let path = if stats.events_sent_blob > 0 {
        "blob"
    } else {
        "inline"
    };
    client
        .close(Instant::now() + Duration::from_secs(30))
        .expect("close");
    (notes.len() as f64 / elapsed.as_secs_f64(), path)
}

/// The bodies the raw loops POST for `notes`: encoded as the client does (blob
/// resources put in the receiver's blob server first), compressed or not. Built once
/// per row and shared by both raw loops.
fn raw_bodies(receiver: &ArnReceiver, compression: bool, notes: &[Notification]) -> Vec<Vec<u8>> {
    let encoder = Encoder::new(42_000);
    let mut buf = EncodeBuf::new();
    notes
        .iter()
        .map(|n| {
            let b: Vec<u8> = match encoder.encode(n, &mut buf).expect("encodes") {
                Encoded::Inline(b) => b.to_vec(),
                Encoded::Blob(p) => {
                    let name = format!("{}.txt", p.event_id());
                    let uri = receiver.put_blob(&name, p.resources().to_vec(), "sig=x");
                    p.finish(&uri).to_vec()
                }
                Encoded::Empty => unreachable!("bench notifications have resources"),
            };
            if compression {
                zlib(&b)
            } else {
                b
            }
        })
        .collect()
}

/// The raw ureq loop POSTing `bodies` at `workers` threads: through a plain agent, or
/// through one that skips ureq's per-request host lookup (`lookups: false`).
fn raw_run(
    receiver: &ArnReceiver,
    workers: usize,
    compression: bool,
    bodies: &[Vec<u8>],
    lookups: bool,
) -> f64 {
    let agent =
        arn_client::testing::agent_trusting(receiver.certificate_der(), Duration::from_secs(60))
            .expect("the receiver's certificate");
    let agent = if lookups {
        agent
    } else {
        no_lookup(&agent, receiver.addr())
    };
    let url = format!("{}/arnnotify", receiver.url());
    let post = |body: &[u8]| post(&agent, &url, body, compression);
    for b in bodies.iter().take(workers) {
        post(b);
    }
    let start = Instant::now();
    std::thread::scope(|s| {
        for w in 0..workers {
            let post = &post;
            s.spawn(move || {
                for b in bodies.iter().skip(w).step_by(workers) {
                    post(b);
                }
            });
        }
    });
    bodies.len() as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let receiver = Arc::new(
        ArnReceiver::builder()
            .token(TOKEN)
            .serve_blobs(true)
            .start()
            .expect("the receiver"),
    );
    println!(
        "{:>8} {:>9} {:>6} {:>5} {:>7} {:>7} {:>12} {:>12} {:>14}",
        "latency",
        "resources",
        "path",
        "zlib",
        "workers",
        "count",
        "client/s",
        "raw ureq/s",
        "no-lookup/s"
    );
    let latencies: &[u64] = if quick { &[0] } else { &[0, 5] };
    for &latency_ms in latencies {
        receiver.set_latency(Duration::from_millis(latency_ms));
        for resources in [1usize, 100] {
            for compression in [false, true] {
                for workers in [1usize, 4, 8] {
                    if quick && workers == 4 {
                        continue;
                    }
                    // Bounded counts: about a second or two per row on a busy laptop.
                    let count = match (latency_ms, resources) {
                        (0, 1) => 2000,
                        (0, _) => 300,
                        (_, 1) => 150 * workers,
                        _ => 100 * workers,
                    };
                    let notes: Vec<Notification> = (0..count)
                        .map(|i| notification(i % CLUSTERS, resources, i))
                        .collect();
                    let (ours, path) = client_run(&receiver, workers, compression, &notes);
                    let bodies = raw_bodies(&receiver, compression, &notes);
                    let raw = raw_run(&receiver, workers, compression, &bodies, true);
                    let fixed = raw_run(&receiver, workers, compression, &bodies, false);
                    println!(
                        "{:>6}ms {:>9} {:>6} {:>5} {:>7} {:>7} {:>12.0} {:>12.0} {:>14.0}",
                        latency_ms, resources, path, compression, workers, count, ours, raw, fixed
                    );
                }
            }
        }
    }
}
