//! The publisher end to end through real TLS and the local receiver: random creates,
//! updates and deletes from several threads; at the receiver every resource ends in
//! its last published state, in order, and every change has exactly one outcome.

#[path = "common/receiver.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arn_client::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::{ArnReceiver, Fault};
use arn_client::Client;
use common::*;

const TYPES: [&str; 3] = ["nodes", "agentPools", "maintenanceConfigurations"];

fn id(i: usize) -> String {
    let cluster = i % 10;
    let kind = TYPES[(i / 10) % 3];
    format!("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{cluster}/{kind}/r{i}")
}

/// Change `seq` of resource `i`: the sequence number rides in `correlationId`, which
/// deletes (without properties) carry too.
fn change(ctx: &Arc<ChangeContext>, i: usize, seq: u64, activity: Activity) -> Change {
    let rid: ResourceId = id(i).parse().unwrap();
    let (arm, action) = match activity {
        Activity::Delete => (
            ArmResource::without_properties(activity, &rid, "2024-01-01").unwrap(),
            ChangeAction::Delete,
        ),
        _ => (
            ArmResource::new(
                activity,
                &rid,
                "2024-01-01",
                &serde_json::json!({ "seq": seq }),
            )
            .unwrap(),
            ChangeAction::Update,
        ),
    };
    let r = NotificationResource::new(arm, action).with_correlation_id(seq.to_string());
    Change::new(Arc::clone(ctx), r)
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn client(receiver: &Arc<ArnReceiver>) -> Arc<Client> {
    let credential = arn_client::testing::StaticTokenCredential::new("pub-tok");
    let config = arn_client::transport::ReceiverConfig::new(receiver.url(), credential.shared())
        .add_root_certificate(receiver.certificate_pem());
    Arc::new(
        Client::with_transports(config.into_transport().unwrap())
            .blob_store(receiver_blobs(receiver))
            .workers(4)
            .compression(true)
            .retry_policy(arn_client::transport::RetryPolicy::new(
                10,
                Duration::from_millis(2),
                Duration::from_millis(20),
            ))
            .build()
            .unwrap(),
    )
}

#[test]
fn random_changes_from_threads_end_in_the_last_published_state() {
    run(true);
}

#[test]
fn the_same_with_batches_through_blob_storage() {
    run(false);
}

fn run(inline_batches: bool) {
    let receiver = Arc::new(
        ArnReceiver::builder()
            .token("pub-tok")
            .serve_blobs(true)
            .start()
            .unwrap(),
    );
    receiver.set_latency(Duration::from_millis(2));
    // Some retried failures on the way.
    receiver.script((0..40).map(|i| {
        if i % 4 == 0 {
            Fault::Status(503)
        } else {
            Fault::Status(200)
        }
    }));
    let client = client(&receiver);
    let publisher = Arc::new(
        Publisher::builder(Arc::clone(&client))
            .linger(Duration::from_millis(5))
            .inline_batches(inline_batches)
            .build()
            .unwrap(),
    );
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    const THREADS: usize = 4;
    const PER_THREAD: usize = 1500;
    let producers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (publisher, ctx) = (Arc::clone(&publisher), Arc::clone(&ctx));
            thread::spawn(move || {
                let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1));
                let mut last: HashMap<String, (u64, Activity)> = HashMap::new();
                let mut promises = Vec::new();
                for k in 0..PER_THREAD {
                    // Thread t owns resources i with i % THREADS == t: one publisher
                    // per resource, so "last published" is well defined.
                    let i = (rng.below(250) as usize) * THREADS + t;
                    let seq = (t * PER_THREAD + k) as u64 + 1;
                    let activity = match rng.below(5) {
                        0 => Activity::Delete,
                        1 => Activity::Write,
                        _ => Activity::Snapshot,
                    };
                    last.insert(id(i).to_ascii_lowercase(), (seq, activity));
                    let c = change(&ctx, i, seq, activity);
                    if k % 2 == 0 {
                        promises.push(publisher.publish_async(c).unwrap());
                    } else {
                        publisher.submit(c).unwrap();
                    }
                }
                let mut coalesced = 0;
                for p in promises {
                    let published = p.wait().expect("every change is delivered");
                    coalesced += usize::from(published.coalesced);
                }
                (last, coalesced)
            })
        })
        .collect();
    let mut last = HashMap::new();
    let mut coalesced = 0;
    for p in producers {
        let (l, c) = p.join().unwrap();
        last.extend(l);
        coalesced += c;
    }
    publisher.flush(Instant::now() + WAIT).unwrap();
    assert_eq!(
        publisher.errors().try_iter().count(),
        0,
        "no fire-and-forget failure"
    );

    // At the receiver: per resource, accepted states rise, and the last is the last
    // published one (a delete's activity included).
    let mut seen: HashMap<String, (u64, String)> = HashMap::new();
    let events = receiver.events();
    for e in &events {
        let activity = e.event["eventType"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_string();
        for r in &e.resources {
            let key = r["resourceId"].as_str().unwrap().to_ascii_lowercase();
            let seq: u64 = r["correlationId"].as_str().unwrap().parse().unwrap();
            if let Some((prev, _)) = seen.get(&key) {
                assert!(*prev < seq, "{key}: {seq} after {prev}");
            }
            seen.insert(key, (seq, activity.clone()));
        }
    }
    assert_eq!(seen.len(), last.len());
    for (key, (seq, activity)) in &last {
        let (got, got_activity) = &seen[key];
        assert_eq!(got, seq, "{key}");
        assert_eq!(got_activity, &activity.to_string(), "{key}");
    }
    let stats = publisher.stats();
    assert_eq!(stats.published as usize, THREADS * PER_THREAD);
    assert!(stats.coalesced as usize >= coalesced);
    assert!(
        events.len() * 10 < THREADS * PER_THREAD,
        "batched: {} notifications for {} changes",
        events.len(),
        THREADS * PER_THREAD
    );
    // Inline batches never reach the blob store; blob batches do when large.
    let blob_events = events.iter().filter(|e| !e.inline).count();
    assert_eq!(
        blob_events == 0,
        inline_batches,
        "{blob_events} blob events"
    );
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}
