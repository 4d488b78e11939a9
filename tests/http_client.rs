//! The Client end to end: workers, real TLS, the local receiver.

#[path = "common/receiver.rs"]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::testing::Fault;
use arn_client::{Client, Error};
use common::*;

fn client(
    config: arn_client::transport::ReceiverConfig,
    compression: bool,
    receiver: &Arc<arn_client::testing::ArnReceiver>,
    workers: usize,
) -> Client {
    Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(receiver))
        .workers(workers)
        .compression(compression)
        .retry_policy(fast_policy())
        .inline_threshold(4096)
        .build()
        .unwrap()
}

#[test]
fn inline_and_blob_notifications_arrive_intact_with_and_without_compression() {
    for compression in [false, true] {
        let (receiver, _cred, config) = setup("client-tok");
        let receiver = Arc::new(receiver);
        let c = client(config, compression, &receiver, 2);
        let small = notification(vec![node("a", 1), node("b", 2)]);
        let large = notification((0..100).map(|i| node(&format!("n{i}"), i)).collect());
        c.notify(small.clone()).unwrap();
        c.notify(large.clone()).unwrap();
        let events = receiver.wait_for_events(2, WAIT);
        assert_eq!(events.len(), 2);
        assert!(events[0].inline && !events[1].inline);
        assert!(events.iter().all(|e| e.compressed == compression));
        assert_eq!(events[0].notification.resources, small.resources);
        assert_eq!(events[1].notification.resources, large.resources);
        assert_eq!(seqs(&events[1]), (0..100).collect::<Vec<_>>());
        c.close(Instant::now() + WAIT).unwrap();
    }
}

#[test]
fn rejected_notifications_reach_the_caller_and_the_error_channel() {
    let (receiver, _cred, config) = setup("client-tok-2");
    let receiver = Arc::new(receiver);
    let c = client(config, false, &receiver, 2);
    receiver.script([Fault::Status(400)]);
    let e = c
        .notify(notification(vec![node("a", 1)]))
        .unwrap_err()
        .into_error();
    assert!(matches!(e, Error::Http { status: 400, .. }), "{e}");
    receiver.script([Fault::Status(400)]);
    c.submit(notification(vec![node("b", 1)])).unwrap();
    let failure = c.errors().recv_timeout(WAIT).unwrap();
    assert!(matches!(failure.error(), Error::Http { status: 400, .. }));
    assert_eq!(receiver.request_count(), 2);
}

#[test]
fn many_workers_with_latency_keep_per_resource_order() {
    let (receiver, _cred, config) = setup("client-tok-3");
    let receiver = Arc::new(receiver);
    receiver.set_latency(Duration::from_millis(5));
    let c = client(config, true, &receiver, 8);
    let mut promises = Vec::new();
    for seq in 0..12u64 {
        for r in 0..10 {
            let n = notification(vec![node(&format!("r{r}"), seq)]);
            promises.push(c.send_async(n).unwrap());
        }
    }
    for p in promises {
        p.wait().unwrap();
    }
    let events = receiver.wait_for_events(120, WAIT);
    assert_eq!(events.len(), 120);
    let mut by_resource: HashMap<String, Vec<u64>> = HashMap::new();
    for e in &events {
        by_resource
            .entry(e.resource_ids()[0].clone())
            .or_default()
            .extend(seqs(e));
    }
    assert_eq!(by_resource.len(), 10);
    for (id, seq) in by_resource {
        assert_eq!(seq, (0..12).collect::<Vec<_>>(), "{id}");
    }
}

#[test]
fn a_retrying_notification_does_not_hold_up_other_resources() {
    let (receiver, _cred, config) = setup("client-tok-4");
    let receiver = Arc::new(receiver);
    let c = client(config, false, &receiver, 8);
    // The slow resource: 503, 503, then a stall on its third try until released.
    receiver.script_for(
        "nodes/slow\"",
        [Fault::Status(503), Fault::Status(503), Fault::Stall],
    );
    let slow = c.send_async(notification(vec![node("slow", 0)])).unwrap();
    assert_eq!(
        receiver.wait_for_stalled(1, WAIT),
        1,
        "the slow one is on its third try"
    );
    let mut others = Vec::new();
    for r in 0..20 {
        others.push(
            c.send_async(notification(vec![node(&format!("o{r}"), 0)]))
                .unwrap(),
        );
    }
    // While the slow one is held, most others (all on other workers) are delivered.
    let delivered = receiver.wait_for_events(10, WAIT);
    assert!(delivered.len() >= 10, "{}", delivered.len());
    assert!(!slow.is_ready());
    let is_slow = |e: &arn_client::testing::AcceptedEvent| e.resource_ids()[0].ends_with("/slow");
    assert!(!delivered.iter().any(is_slow));
    receiver.release_stalled();
    slow.wait().unwrap();
    for p in others {
        p.wait().unwrap();
    }
    let events = receiver.events();
    assert_eq!(events.len(), 21);
    assert_eq!(events.iter().filter(|e| is_slow(e)).count(), 1);
    let slow_tries = receiver
        .requests()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("nodes/slow\""))
        .count();
    assert_eq!(slow_tries, 4, "503, 503, stalled, 200");
}
