//! The publisher under a receiver that never answers: pending changes stay bounded by
//! count (the `try_` calls hand changes back, memory stays flat), and when the client
//! gives up at close every change still gets exactly one outcome.

#[path = "common/receiver.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::Fault;
use arn_client::{Client, Error};
use common::*;

fn change(ctx: &Arc<ChangeContext>, i: usize) -> Change {
    let id: ResourceId = format!("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc{}/nodes/n{i}", i % 10).parse().unwrap();
    let props = serde_json::json!({ "seq": i, "padding": "x".repeat(512) });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
    Change::new(
        Arc::clone(ctx),
        NotificationResource::new(arm, ChangeAction::Update),
    )
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_stalled_receiver_bounds_pending_changes_and_close_gives_every_one_an_outcome() {
    let (receiver, _cred, config) = setup("stall-tok");
    receiver.script((0..64).map(|_| Fault::Stall));
    let client = Arc::new(
        Client::with_transports(config.into_transport().unwrap())
            .workers(2)
            .queue_capacity(2_000)
            .build()
            .unwrap(),
    );
    let publisher = Publisher::builder(Arc::clone(&client))
        .max_batch(50)
        .linger(Duration::from_millis(1))
        .build()
        .unwrap();
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    let mut promises = Vec::new();
    let mut refused = 0;
    let mut rss_after_fill = None;
    for i in 0..40_000 {
        match publisher.try_publish_async(change(&ctx, i)) {
            Ok(p) => promises.push(p),
            Err(e) => {
                assert!(matches!(e.error(), Error::QueueFull), "{e:?}");
                let back = e.into_change();
                let props: serde_json::Value =
                    serde_json::from_str(back.resource.arm_resource.properties().unwrap()).unwrap();
                assert_eq!(props["seq"], i, "the refused change is handed back");
                refused += 1;
                rss_after_fill.get_or_insert_with(rss_kib);
            }
        }
        assert!(publisher.stats().pending <= 2_000);
    }
    let rss_after_fill = rss_after_fill.expect("the publisher filled up");
    // 40,000 attempts of about 1 KB each: refused ones are handed back and dropped,
    // so memory stays where it was once the publisher was full.
    let grown = rss_kib().saturating_sub(rss_after_fill);
    assert!(
        grown < 64 * 1024,
        "RSS grew {grown} KiB after the publisher was full"
    );
    assert!(refused > 35_000, "{refused} refused");
    let accepted = promises.len();
    assert!(accepted >= 2_000, "{accepted} accepted");
    // Close gives up on the stalled sends: every accepted change gets one outcome.
    let _ = publisher.close(Instant::now() + Duration::from_millis(100));
    let closed = client.close(Instant::now() + Duration::from_millis(100));
    assert!(matches!(closed, Err(Error::Timeout { .. })), "{closed:?}");
    for p in promises {
        let failure = p.wait().expect_err("nothing was delivered");
        assert!(
            matches!(failure.error(), Error::Timeout { .. } | Error::Closed),
            "{failure:?}"
        );
    }
    receiver.release_stalled();
}

#[test]
fn without_blob_storage_batches_are_cut_to_fit_inline_and_oversized_changes_refused() {
    let (receiver, _cred, config) = setup("inline-tok");
    let client = Arc::new(
        Client::with_transports(config.into_transport().unwrap())
            .build()
            .unwrap(),
    );
    let publisher = Publisher::builder(Arc::clone(&client))
        .inline_batches(false) // asks for 1000-resource batches: no blob storage, so cut
        .build()
        .unwrap();
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    let sized = |i: usize, padding: usize| {
        let id: ResourceId = format!("/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/n{i}").parse().unwrap();
        let props = serde_json::json!({ "seq": i, "padding": "x".repeat(padding) });
        let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
        Change::new(
            Arc::clone(&ctx),
            NotificationResource::new(arm, ChangeAction::Update),
        )
    };
    let too_big = publisher.submit(sized(0, 50_000)).unwrap_err();
    assert!(
        matches!(
            too_big.error(),
            Error::TooLarge {
                threshold: 42_000,
                ..
            }
        ),
        "{too_big:?}"
    );
    assert_eq!(too_big.into_change(), sized(0, 50_000));
    let promises: Vec<_> = (1..=300)
        .map(|i| publisher.publish_async(sized(i, 2_500)).unwrap())
        .collect();
    for p in promises {
        p.wait().expect("every batch fits inline");
    }
    let events = receiver.events();
    assert!(events.iter().all(|e| e.inline));
    assert!(events.len() > 1, "cut into several notifications");
    assert_eq!(events.iter().map(|e| e.resources.len()).sum::<usize>(), 300);
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn pending_changes_are_bounded_by_bytes_too() {
    let fake = arn_client::testing::FakeTransport::new();
    let gate = arn_client::testing::Gate::new();
    fake.script_default(arn_client::testing::Behavior::Gate(gate.clone()));
    let client = Arc::new(
        Client::with_transports(fake.clone())
            .workers(1)
            .max_pending_bytes(20_000)
            .build()
            .unwrap(),
    );
    let publisher = Publisher::builder(Arc::clone(&client))
        .max_batch(10)
        .build()
        .unwrap();
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    // Each change is about 1 kB of JSON: at most about 20 wait in the client.
    let mut refused = 0;
    for i in 0..500 {
        if let Err(e) = publisher.try_submit(change(&ctx, i)) {
            assert!(matches!(e.error(), Error::QueueFull), "{e:?}");
            refused += 1;
        }
        assert!(publisher.stats().pending <= 21, "{:?}", publisher.stats());
    }
    assert!(refused > 400, "{refused} refused");
    gate.open();
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}
