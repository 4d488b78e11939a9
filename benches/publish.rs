//! Publishing resource changes: 100,000 single-node changes over 1,000 nodes in 10
//! clusters through the [`Publisher`], against the local HTTPS receiver at 5 ms
//! latency with 8 workers, next to `notify` of one change per notification in the same
//! run. A custom harness (`harness = false`): a throughput run, not criterion's model.
//!
//! Rows: batches cut to stay inline (the default) and batches of up to 1000 resources
//! through blob storage (the receiver's own
//! in-memory blob server stands in for Azure Storage: upload, then the receiver's GET
//! of the SAS URL). Coalescing is off, so every change reaches the receiver as a
//! resource. CPU is the whole process's (client and receiver), from `/proc/self/stat`.
//!
//! Fault rows (`publish/faults.rs`): 4 threads publish changes (snapshots, writes,
//! deletes) about 2,000 nodes and 600 agent pools through a default client (4 workers,
//! default retry policy: first retry after 0.8 s) and default publisher (coalescing
//! on), receiver latency 2 ms, while 0%, 3% or 9% of the requests are answered 503 or
//! reset (half each, a fixed random script). Two shapes: a burst of 12,000 changes as
//! fast as the threads go, and 24,000 changes paced at 6,000 changes/s (4 s;
//! `ARN_BENCH_PACED_SECONDS=N` paces 6,000 N changes over N s).
//! "changes/s" counts until every change has its outcome, so it includes the backoff
//! of the last failed request (at least 0.64 s whatever the design: a burst that takes
//! 0.15 s fault-free cannot reach 0.8x); "kept up/s" (paced rows) counts the outcomes
//! that came while the threads were still publishing, per second of publishing: how
//! far the publisher falls behind. The `RATIO` lines divide by the fault-free row of
//! the same run. Latency runs from the publish call to the receiver's 200 for the
//! request that carried the change (for a coalesced change, the change that replaced
//! it), matched by a correlation id per change; "clean" changes are those that shared
//! no request with a failure (neither the change nor the one carrying it was in a
//! failed request), "untouched" those whose resource was in no failed request. CPU
//! per change is the whole process's. Memory: resident set growth while 20,000
//! changes about distinct nodes wait behind a receiver that stalls every worker's
//! request, per change (each change holds a 1.8 kB node payload).
//!
//! `cargo bench --bench publish` (about two minutes). The last line reads
//! `RESULT resources_per_s=N notify_resources_per_s=M requests=R` for the default
//! configuration.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::{ArnReceiver, ReceiverBlobStore, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

#[path = "publish/faults.rs"]
mod faults;

const TOKEN: &str = "bench-token";
const CHANGES: usize = 100_000;
const NODES: usize = 1_000;

fn node_payload() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/payloads/node.json"
    ))
    .expect("node.json");
    serde_json::from_str(&text).expect("node.json is JSON")
}

fn resource(i: usize, seq: usize, payload: &serde_json::Value) -> NotificationResource {
    let id: ResourceId = format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{}/nodes/n{i}",
        i % 10
    )
    .parse()
    .expect("a valid id");
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", payload).expect("arm");
    NotificationResource::new(arm, ChangeAction::Update).with_correlation_id(seq.to_string())
}

fn client(receiver: &Arc<ArnReceiver>, blobs: bool) -> Arc<Client> {
    let config = ReceiverConfig::new(receiver.url(), StaticTokenCredential::new(TOKEN).shared())
        .add_root_certificate(receiver.certificate_pem());
    let mut builder = Client::with_transports(config.into_transport().expect("transport"))
        .workers(8)
        .compression(true);
    if blobs {
        builder = builder.blob_store(Arc::new(ReceiverBlobStore::new(Arc::clone(receiver))));
    }
    Arc::new(builder.build().expect("client"))
}

/// User + system CPU time of this process.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of the file (utime, stime) are 12 and 13 after the name; 100 Hz.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

struct Run {
    per_s: f64,
    requests: usize,
    cpu_us_per_resource: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn publish_run(
    receiver: &Arc<ArnReceiver>,
    blobs: bool,
    linger: Duration,
    count: usize,
    pace_per_ms: Option<usize>,
) -> Run {
    let client = client(receiver, blobs);
    let publisher = Publisher::builder(Arc::clone(&client))
        .linger(linger)
        .coalesce(false)
        .inline_batches(!blobs)
        .build()
        .expect("publisher");
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    let payload = node_payload();
    let changes: Vec<Change> = (0..count)
        .map(|k| Change::new(Arc::clone(&ctx), resource(k % NODES, k, &payload)))
        .collect();
    let before_requests = receiver.request_count();
    let cpu0 = cpu();
    let start = Instant::now();
    // Every 100th change is timed from publish to outcome by a poller thread.
    let (tx, rx) = std::sync::mpsc::channel::<(
        Instant,
        arn_client::Promise<arn_client::publisher::ChangeOutcome>,
    )>();
    let poller = std::thread::spawn(move || {
        let mut pending = Vec::new();
        let mut latencies = Vec::new();
        let mut open = true;
        while open || !pending.is_empty() {
            loop {
                match rx.try_recv() {
                    Ok(sample) => pending.push(sample),
                    Err(std::sync::mpsc::TryRecvError::Empty) => break,
                    Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                        open = false;
                        break;
                    }
                }
            }
            pending.retain(|(t, p): &(Instant, arn_client::Promise<_>)| {
                if p.is_ready() {
                    latencies.push(t.elapsed());
                    false
                } else {
                    true
                }
            });
            std::thread::sleep(Duration::from_micros(200));
        }
        latencies
    });
    for (k, c) in changes.into_iter().enumerate() {
        if let Some(per_ms) = pace_per_ms {
            // Paced: the receiver keeps up, so latency is linger plus the sends.
            let due = start + Duration::from_micros((k / per_ms) as u64 * 1000);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        if k % 100 == 0 {
            let t = Instant::now();
            let promise = publisher.publish_async(c).expect("publish");
            tx.send((t, promise)).expect("poller");
        } else {
            publisher.submit(c).expect("submit");
        }
    }
    drop(tx);
    let mut latencies = poller.join().expect("poller");
    publisher
        .flush(Instant::now() + Duration::from_secs(600))
        .expect("flush");
    let elapsed = start.elapsed();
    let cpu_used = cpu() - cpu0;
    assert_eq!(
        publisher.errors().try_iter().count(),
        0,
        "failures during the run"
    );
    latencies.sort();
    let pct = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q) as usize].as_secs_f64() * 1e3;
    let run = Run {
        per_s: count as f64 / elapsed.as_secs_f64(),
        requests: receiver.request_count() - before_requests,
        cpu_us_per_resource: cpu_used.as_secs_f64() * 1e6 / count as f64,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    };
    publisher
        .close(Instant::now() + Duration::from_secs(60))
        .expect("close");
    client
        .close(Instant::now() + Duration::from_secs(60))
        .expect("close");
    run
}

/// One change per notification with `notify`, from 8 threads.
fn notify_run(receiver: &Arc<ArnReceiver>, count: usize) -> (f64, f64) {
    let client = client(receiver, false);
    let payload = node_payload();
    let notes: Vec<Notification> = (0..count)
        .map(|k| {
            Notification::new(
                "eastus",
                "Microsoft.ContainerService",
                vec![resource(k % NODES, k, &payload)],
            )
        })
        .collect();
    let cpu0 = cpu();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..8 {
            let (client, notes) = (&client, &notes);
            s.spawn(move || {
                for n in notes.iter().skip(t).step_by(8) {
                    client.notify(n.clone()).expect("notify");
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let cpu_used = cpu() - cpu0;
    client
        .close(Instant::now() + Duration::from_secs(60))
        .expect("close");
    (
        count as f64 / elapsed.as_secs_f64(),
        cpu_used.as_secs_f64() * 1e6 / count as f64,
    )
}

/// The fault rows and their ratio lines: a burst of 12,000 changes, then 24,000 paced
/// at 6,000 changes/s.
fn fault_rows() {
    println!(
        "{:>6} {:>6} {:>9} {:>6} {:>10} {:>6} {:>8} {:>6} {:>8} {:>9} {:>8} {:>16} {:>20}",
        "pace",
        "faults",
        "changes/s",
        "vs 0%",
        "kept up/s",
        "vs 0%",
        "requests",
        "failed",
        "failures",
        "cpu us/ch",
        "p99 all",
        "p99 clean (n)",
        "p99 untouched (n)"
    );
    // `ARN_BENCH_PACED_SECONDS` lengthens the paced rows (default 4 s): the longer the
    // run, the less the backoff of the last failed request weighs in "changes/s".
    let paced_seconds: usize = std::env::var("ARN_BENCH_PACED_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let paced = (paced_seconds * 6_000, Some(6_000.0), "6000/s");
    for (count, pace, label) in [(12_000, None, "burst"), paced] {
        let runs: Vec<(f64, faults::FaultRun)> = [0.0, 0.03, 0.09]
            .into_iter()
            .map(|rate| (rate, faults::fault_run(count, rate, pace, 17)))
            .collect();
        let base = &runs[0].1;
        for (rate, r) in &runs {
            let kept_up = match pace {
                Some(_) => format!(
                    "{:>10.0} {:>6.2}",
                    r.kept_up_per_s,
                    r.kept_up_per_s / base.kept_up_per_s
                ),
                None => format!("{:>10} {:>6}", "-", "-"),
            };
            println!(
                "{label:>6} {:>5.0}% {:>9.0} {:>6.2} {kept_up} {:>8} {:>6} {:>8} {:>9.1} {:>6.0}ms {:>6.0}ms {:>7} {:>10.0}ms {:>7}",
                rate * 100.0,
                r.per_s,
                r.per_s / base.per_s,
                r.requests,
                r.failed_requests,
                r.failures,
                r.cpu_us_per_change,
                r.p99_all_ms,
                r.p99_clean_ms,
                r.clean,
                r.p99_untouched_ms,
                r.untouched
            );
        }
        for (rate, r) in &runs[1..] {
            let kept_up = pace.map_or(String::new(), |_| {
                format!(" kept_up={:.2}", r.kept_up_per_s / base.kept_up_per_s)
            });
            println!(
                "RATIO {label} faults={:.0}% vs_fault_free={:.2}{kept_up} p99_clean_ms={:.0} (fault-free p99 {:.0}) p99_untouched_ms={:.0}",
                rate * 100.0,
                r.per_s / base.per_s,
                r.p99_clean_ms,
                base.p99_all_ms,
                r.p99_untouched_ms
            );
        }
    }
}

fn main() {
    let receiver = Arc::new(
        ArnReceiver::builder()
            .token(TOKEN)
            .serve_blobs(true)
            .start()
            .expect("receiver"),
    );
    receiver.set_latency(Duration::from_millis(5));
    // First, while the heap is fresh.
    let per_pending = faults::memory_per_pending(20_000);
    println!(
        "memory: {:.0} bytes resident per pending change (20,000 queued behind a stalled receiver)",
        per_pending
    );
    fault_rows();
    let (notify_per_s, notify_cpu) = notify_run(&receiver, 4_000);
    println!("notify, one change per notification, 8 threads: {notify_per_s:.0} resources/s, {notify_cpu:.0} us CPU/resource");
    println!(
        "{:>8} {:>10} {:>8} {:>12} {:>9} {:>11} {:>8} {:>8}",
        "linger", "batches", "path", "resources/s", "requests", "cpu us/res", "p50 ms", "p99 ms"
    );
    let rows: [(Duration, bool, &str); 4] = [
        (Duration::from_millis(5), false, "inline"),
        (Duration::from_millis(20), false, "inline"),
        (Duration::from_millis(5), true, "blob"),
        (Duration::from_millis(20), true, "blob"),
    ];
    let mut default = None;
    for (linger, blobs, path) in rows {
        let r = publish_run(&receiver, blobs, linger, CHANGES, None);
        println!(
            "{:>6}ms {:>10} {:>8} {:>12.0} {:>9} {:>11.1} {:>8.1} {:>8.1}",
            linger.as_millis(),
            if blobs { "<=1000" } else { "<42 kB" },
            path,
            r.per_s,
            r.requests,
            r.cpu_us_per_resource,
            r.p50_ms,
            r.p99_ms
        );
        if linger == arn_client::publisher::DEFAULT_LINGER && !blobs {
            default = Some(r);
        }
    }
    // Latency while the receiver keeps up: 20,000 changes at 5,000/s.
    for (linger, blobs, path) in rows {
        let paced = publish_run(&receiver, blobs, linger, 20_000, Some(5));
        println!(
            "paced 5,000 changes/s, linger {:>2} ms, {path:>6}: p50 {:.1} ms, p99 {:.1} ms, {} requests",
            linger.as_millis(),
            paced.p50_ms,
            paced.p99_ms,
            paced.requests
        );
    }
    let d = default.expect("the default row ran");
    println!(
        "RESULT resources_per_s={:.0} notify_resources_per_s={:.0} requests={}",
        d.per_s, notify_per_s, d.requests
    );
}
