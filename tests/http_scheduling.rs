//! The scheduler end to end through real TLS and the local receiver: no head-of-line
//! blocking across resources, and per-resource order under random batches, singles,
//! latency and faults, checked at the receiver.

#[path = "common/receiver.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, Fault};
use arn_client::Client;
use common::*;
use serde_json::json;

fn client(
    receiver: &Arc<ArnReceiver>,
    config: arn_client::transport::ReceiverConfig,
    workers: usize,
) -> Client {
    Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(receiver))
        .workers(workers)
        .retry_policy(fast_policy())
        .build()
        .unwrap()
}

/// Node `node` of cluster `rg-{c}/mc-{c}` (names whose bytes differ only in a few
/// bits, which a weak routing hash piles onto one worker).
fn cluster_node(c: usize, node: usize, seq: u64) -> NotificationResource {
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-{c}/providers/Microsoft.ContainerService/managedClusters/mc-{c}/nodes/n{node}"
    ))
    .unwrap();
    let props = json!({ "seq": seq });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
    NotificationResource::new(arm, ChangeAction::Update)
}

#[test]
fn a_stalled_notification_delays_no_other_resource() {
    for workers in [2, 4] {
        let (receiver, _cred, config) = setup("sched-tok");
        let receiver = Arc::new(receiver);
        let c = client(&receiver, config, workers);
        receiver.script_for("rg-0/", [Fault::Stall]);
        let stalled = c
            .send_async(notification(vec![cluster_node(0, 0, 0)]))
            .unwrap();
        assert_eq!(receiver.wait_for_stalled(1, WAIT), 1);
        let others: Vec<_> = (1..=40)
            .map(|k| {
                c.send_async(notification(vec![cluster_node(k, 0, 0)]))
                    .unwrap()
            })
            .collect();
        // All 40 complete while the first is still held by the receiver.
        for p in others {
            p.wait().unwrap();
        }
        assert!(!stalled.is_ready(), "still stalled");
        assert_eq!(receiver.events().len(), 40);
        // Released, the stalled request is answered with a reset and retried.
        receiver.release_stalled();
        stalled.wait().unwrap();
        assert_eq!(receiver.wait_for_events(41, WAIT).len(), 41);
        c.close(Instant::now() + WAIT).unwrap();
    }
}

/// A small deterministic generator (xorshift64*), seeded per run and printed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n
    }
}

/// The resource ids of a request body (inline events, uncompressed).
fn ids_in(body: &[u8]) -> Vec<String> {
    let event: serde_json::Value = serde_json::from_slice(body).expect("an inline JSON event");
    event["data"]["resources"]
        .as_array()
        .expect("inline resources")
        .iter()
        .map(|r| r["resourceId"].as_str().unwrap().to_ascii_lowercase())
        .collect()
}

#[test]
fn random_batches_and_singles_keep_per_resource_order_at_the_receiver() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let (receiver, _cred, config) = setup("order-tok");
    let receiver = Arc::new(receiver);
    // Faults for a random tenth of the requests: retried ones (503, reset) and final
    // ones (400).
    let faults: Vec<Fault> = (0..3000)
        .map(|_| match rng.below(40) {
            0 | 1 => Fault::Status(503),
            2 => Fault::Reset,
            3 => Fault::Status(400),
            _ => Fault::Status(200),
        })
        .collect();
    receiver.script(faults);
    // Random latency, changed every few milliseconds while the test sends.
    let sending = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let jitter = {
        let (receiver, sending) = (Arc::clone(&receiver), Arc::clone(&sending));
        let mut rng = Rng(seed.rotate_left(17) | 1);
        std::thread::spawn(move || {
            while sending.load(std::sync::atomic::Ordering::Relaxed) {
                receiver.set_latency(Duration::from_micros(rng.below(3000)));
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let c = client(&receiver, config, 4);
    // seq -> promise (None: fire-and-forget); every resource's states rise with seq.
    let mut promises = Vec::new();
    let mut seq = 0u64;
    for _round in 0..30 {
        for cluster in 0..20 {
            // A batch of 5 of the cluster's 8 nodes, now and then spanning the next
            // cluster too; then single-node updates of two of them.
            let other = if rng.below(4) == 0 {
                (cluster + 1) % 20
            } else {
                cluster
            };
            let mut nodes: Vec<(usize, usize)> = Vec::new();
            while nodes.len() < 5 {
                let c = if nodes.len().is_multiple_of(2) {
                    cluster
                } else {
                    other
                };
                let n = (c, rng.below(8) as usize);
                if !nodes.contains(&n) {
                    nodes.push(n);
                }
            }
            let mut sends = vec![nodes.clone()];
            sends.push(vec![nodes[rng.below(5) as usize]]);
            sends.push(vec![nodes[rng.below(5) as usize]]);
            for members in sends {
                seq += 1;
                let n: Notification = notification(
                    members
                        .iter()
                        .map(|&(c, n)| cluster_node(c, n, seq))
                        .collect(),
                );
                if rng.below(2) == 0 {
                    promises.push((seq, Some(c.send_async(n).unwrap())));
                } else {
                    c.submit(n).unwrap();
                    promises.push((seq, None));
                }
            }
        }
    }
    c.flush(Instant::now() + Duration::from_secs(300)).unwrap();
    sending.store(false, std::sync::atomic::Ordering::Relaxed);
    jitter.join().unwrap();

    // Exactly the notifications that succeeded were accepted, once each.
    let events = receiver.events();
    let mut accepted: HashMap<u64, usize> = HashMap::new();
    for e in &events {
        *accepted.entry(seqs(e)[0]).or_default() += 1;
    }
    assert!(
        accepted.values().all(|&n| n == 1),
        "an event accepted twice"
    );
    let failed: Vec<u64> = c
        .errors()
        .try_iter()
        .map(|f| {
            f.notification().unwrap().resources[0]
                .arm_resource
                .properties()
                .unwrap()
                .to_string()
        })
        .map(|p| {
            serde_json::from_str::<serde_json::Value>(&p).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    let mut ok = 0;
    for (s, promise) in promises {
        let sent = match promise {
            Some(p) => p.wait().is_ok(),
            None => !failed.contains(&s),
        };
        assert_eq!(sent, accepted.contains_key(&s), "notification {s}");
        ok += usize::from(sent);
    }
    assert_eq!(events.len(), ok);
    assert!(ok > 1000, "most succeeded: {ok}");

    // Per resource, the accepted states rise in acceptance order.
    let mut last: HashMap<String, u64> = HashMap::new();
    for e in &events {
        let s = seqs(e)[0];
        for id in e.resource_ids() {
            let prev = last.insert(id.to_ascii_lowercase(), s);
            assert!(prev.is_none_or(|p| p < s), "{id}: state {s} after {prev:?}");
        }
    }
    // Per resource, no two requests (tries included) overlapped at the receiver.
    let mut spans: HashMap<String, Vec<(Instant, Instant)>> = HashMap::new();
    for r in receiver.requests() {
        for id in ids_in(&r.body) {
            spans.entry(id).or_default().push((r.arrived, r.answered));
        }
    }
    for (id, mut list) in spans {
        list.sort();
        for pair in list.windows(2) {
            assert!(pair[1].0 >= pair[0].1, "two requests about {id} overlapped");
        }
    }
    c.close(Instant::now() + WAIT).unwrap();
}

/// A retry's backoff holds no worker: with one worker, a notification whose first
/// try got a 503 waits out a 60 s backoff while the worker sends 20 notifications
/// about other resources; a later notification about its resource waits behind it.
/// (Before retries were parked in the scheduler, the one worker slept through the
/// backoff and the 20 waited for it.) A close that gives up then ends the retry with
/// `Timeout` carrying the 503, and hands the notification back.
#[test]
fn a_retry_backoff_holds_up_only_its_own_resources() {
    let (receiver, _cred, config) = setup("retry-tok");
    let receiver = Arc::new(receiver);
    let c = Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(&receiver))
        .workers(1)
        .default_deadline(Duration::from_secs(600))
        .retry_policy(arn_client::transport::RetryPolicy::new(
            3,
            Duration::from_secs(60),
            Duration::from_secs(120),
        ))
        .build()
        .unwrap();
    receiver.script_for("rg-0/", [Fault::Status(503)]);
    let retried = c
        .send_async(notification(vec![cluster_node(0, 0, 0)]))
        .unwrap();
    assert_eq!(receiver.wait_for_requests(1, WAIT), 1);
    let behind = c
        .send_async(notification(vec![cluster_node(0, 0, 1)]))
        .unwrap();
    let others: Vec<_> = (1..=20)
        .map(|k| {
            c.send_async(notification(vec![cluster_node(k, 0, 0)]))
                .unwrap()
        })
        .collect();
    for p in others {
        let delivery = p.wait_timeout(WAIT).expect("not held up by the backoff");
        delivery.unwrap();
    }
    assert!(!retried.is_ready() && !behind.is_ready());
    assert_eq!(receiver.events().len(), 20);

    assert!(c
        .close(Instant::now() + Duration::from_millis(200))
        .is_err());
    let failure = retried.wait().unwrap_err();
    match failure.error() {
        arn_client::Error::Timeout {
            last_error: Some(last),
            ..
        } => assert!(
            matches!(**last, arn_client::Error::Http { status: 503, .. }),
            "{last:?}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(failure.attempts(), 1);
    assert!(failure.notification().is_some(), "handed back");
    assert!(behind.wait().is_err(), "never sent after the earlier one");
    assert_eq!(receiver.events().len(), 20);
}
