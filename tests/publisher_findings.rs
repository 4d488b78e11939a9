//! What the publisher-in-the-scheduler redesign fixed (issue 17), reproduced through
//! the public API and the `testing` fakes: close by its deadline, flush only after
//! every earlier change's outcome, coalescing as far as a change waits, and a
//! retried batch holding up only its own resources.
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arn_client::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::{Behavior, FakeTransport, Gate};
use arn_client::{Client, Error};
use common::*;

const WAIT: Duration = Duration::from_secs(30);

/// Change `seq` of node `i`, about `pad` bytes of JSON larger than a bare one.
fn change(ctx: &Arc<ChangeContext>, i: usize, seq: u64, pad: usize) -> Change {
    let id: ResourceId = node_id(i).parse().unwrap();
    let props = serde_json::json!({ "seq": seq, "pad": "x".repeat(pad) });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &props).unwrap();
    Change::new(
        Arc::clone(ctx),
        NotificationResource::new(arm, ChangeAction::Update),
    )
}

fn context() -> Arc<ChangeContext> {
    Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"))
}

/// `(resource id, seq)` of every resource of every recorded post, in post order.
fn posted(fake: &FakeTransport) -> Vec<(String, u64)> {
    fake.posts()
        .iter()
        .flat_map(|p| {
            let body = body(p);
            let resources = body["data"]["resources"].as_array().cloned().unwrap();
            resources.into_iter().map(|r| {
                let id = r["resourceId"].as_str().unwrap().to_owned();
                (id, r["armResource"]["properties"]["seq"].as_u64().unwrap())
            })
        })
        .collect()
}

/// `close` returns by its deadline, though a publishing thread waits for room in a
/// full client whose only worker is stuck (it took 30 s, the changes' deadline).
#[test]
fn close_returns_by_its_deadline_with_a_publisher_blocked_on_room() {
    let (_fake, gate, builder) = gated(1);
    let client = Arc::new(
        builder
            .queue_capacity(1)
            .default_deadline(WAIT)
            .build()
            .unwrap(),
    );
    let publisher = Arc::new(
        Publisher::builder(Arc::clone(&client))
            .max_batch(1)
            .linger(Duration::from_millis(1))
            .build()
            .unwrap(),
    );
    let ctx = context();
    let first = publisher.publish_async(change(&ctx, 0, 0, 0)).unwrap();
    gate.wait_arrived(1);
    let second = publisher.try_publish_async(change(&ctx, 1, 1, 0)).unwrap();
    let blocked = {
        let (publisher, c) = (Arc::clone(&publisher), change(&ctx, 2, 2, 0));
        thread::spawn(move || publisher.publish_async(c).map(|p| p.wait()))
    };
    thread::sleep(Duration::from_millis(200)); // the third publish waits for room
    let start = Instant::now();
    let closed = publisher.close(start + Duration::from_millis(200));
    let took = start.elapsed();
    assert!(matches!(closed, Err(Error::Timeout { .. })), "{closed:?}");
    // Far above 200 ms (a shared machine), far below the 30 s it took.
    assert!(took < Duration::from_secs(10), "close took {took:?}");
    gate.open();
    assert!(first.wait().is_ok());
    let second = second.wait();
    assert!(
        matches!(&second, Err(f) if matches!(f.error(), Error::Timeout { .. })),
        "the queued change failed unsent at close: {second:?}"
    );
    // The blocked publish gets an outcome too (sent, or refused at close).
    let _ = blocked.join().unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}

/// `flush` returns Ok only when every change published before it has its outcome,
/// also while another thread's publish waits for room in the client.
#[test]
fn flush_waits_for_every_change_published_before_it() {
    let fake = FakeTransport::new();
    let (first_gate, batch_gate) = (Gate::new(), Gate::new());
    fake.script_posts([
        Behavior::Gate(first_gate.clone()),
        Behavior::Ok,
        Behavior::Gate(batch_gate.clone()),
    ]);
    let client = Arc::new(builder(&fake, 1).queue_capacity(2).build().unwrap());
    let publisher = Arc::new(
        Publisher::builder(Arc::clone(&client))
            .max_batch(2)
            .linger(Duration::from_secs(10))
            .build()
            .unwrap(),
    );
    let ctx = context();
    client.submit(node(&node_id(100), 0)).unwrap(); // sent, stuck at first_gate
    first_gate.wait_arrived(1);
    client.submit(node(&node_id(101), 0)).unwrap(); // queued
    let published = publisher.try_publish_async(change(&ctx, 0, 0, 0)).unwrap();
    let blocked = {
        let (publisher, c) = (Arc::clone(&publisher), change(&ctx, 1, 1, 0));
        thread::spawn(move || publisher.publish_async(c).map(|p| p.wait()))
    };
    let flusher = {
        let publisher = Arc::clone(&publisher);
        thread::spawn(move || publisher.flush(Instant::now() + Duration::from_secs(2)))
    };
    thread::sleep(Duration::from_millis(200)); // flush and the blocked publish wait
    first_gate.open();
    let flushed = flusher.join().unwrap();
    assert!(
        flushed.is_err() || published.is_ready(),
        "flush returned Ok before a change published earlier had its outcome"
    );
    batch_gate.open();
    assert!(published.wait().is_ok());
    let _ = blocked.join().unwrap();
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}

/// A newer change coalesces into its resource's waiting change however long it waits
/// (behind a stuck batch, or for a worker), not only inside a group that is still
/// filling: 990 changes over 90 nodes of ~2.5 kB (an inline batch holds ~16).
#[test]
fn coalescing_reaches_as_far_as_a_change_waits() {
    let (fake, gate, builder) = gated(1);
    let client = Arc::new(builder.build().unwrap());
    let publisher = Publisher::builder(Arc::clone(&client))
        .linger(Duration::from_millis(1))
        .build()
        .unwrap();
    let ctx = context();
    let mut promises = Vec::new();
    for round in 0..11u64 {
        for i in 0..90 {
            let c = change(&ctx, i, round, 2_500);
            promises.push(publisher.publish_async(c).unwrap());
        }
        if round == 0 {
            gate.wait_arrived(1); // the first batch is stuck; the rest waits
        }
    }
    gate.open();
    publisher.flush(Instant::now() + WAIT).unwrap();
    for p in promises {
        p.wait().unwrap();
    }
    let stats = publisher.stats();
    assert!(stats.coalesced >= 800, "{stats:?}");
    let mut last = HashMap::new();
    for (id, seq) in posted(&fake) {
        let before = last.insert(id.to_ascii_lowercase(), seq);
        assert!(before.is_none_or(|b| b < seq), "order kept");
    }
    assert_eq!(last.len(), 90);
    assert!(
        last.values().all(|&seq| seq == 10),
        "every node ends in its last state"
    );
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}

/// A batch that keeps failing holds up only later changes of its own resources:
/// changes of every other resource are delivered meanwhile.
#[test]
fn a_retrying_batch_holds_up_only_its_own_resources() {
    let fake = FakeTransport::new();
    let stuck = Gate::new();
    fake.script_posts([Behavior::Gate(stuck.clone())]);
    let client = Arc::new(builder(&fake, 2).build().unwrap());
    // The first batch is exactly nodes 0..10: a publisher that sends only full batches.
    let first_publisher = Publisher::builder(Arc::clone(&client))
        .max_batch(10)
        .linger(Duration::from_secs(600))
        .build()
        .unwrap();
    let publisher = Publisher::builder(Arc::clone(&client))
        .max_batch(10)
        .linger(Duration::from_millis(1))
        .build()
        .unwrap();
    let ctx = context();
    let first: Vec<_> = (0..10)
        .map(|i| {
            first_publisher
                .publish_async(change(&ctx, i, 0, 0))
                .unwrap()
        })
        .collect();
    stuck.wait_arrived(1); // nodes 0..10 are in flight, stuck
                           // Later changes: nodes 5..200, so half of the stuck batch's nodes come again.
    let later: Vec<_> = (5..200)
        .map(|i| (i, publisher.publish_async(change(&ctx, i, 1, 0)).unwrap()))
        .collect();
    for (i, p) in later {
        if i >= 10 {
            let outcome = p.wait_timeout(WAIT);
            assert!(matches!(outcome, Ok(Ok(_))), "node {i} was held up");
        } else {
            assert!(!p.is_ready(), "node {i} waits for its stuck batch");
        }
    }
    stuck.open();
    for p in first {
        p.wait().unwrap();
    }
    first_publisher.close(Instant::now() + WAIT).unwrap();
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}

/// Change `name` of a `kind` (`nodes`, `agentPools`) of one cluster.
fn of_kind(ctx: &Arc<ChangeContext>, kind: &str, name: &str) -> Change {
    let id: ResourceId = format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/{kind}/{name}").parse().unwrap();
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &1).unwrap();
    Change::new(
        Arc::clone(ctx),
        NotificationResource::new(arm, ChangeAction::Update),
    )
}

/// A cut whose only change had passed its deadline closed its group twice, so the
/// group's slot was freed twice and the next two groups shared it: a batch then mixed
/// two resource types (sent as an invalid notification, since batches are not
/// validated again) and one change never got an outcome. Found by review.
#[test]
fn a_group_whose_only_change_is_late_is_closed_once() {
    let fake = FakeTransport::new();
    let client = Arc::new(
        Client::with_transports(fake.clone())
            .default_deadline(Duration::from_millis(300))
            .build()
            .unwrap(),
    );
    let ctx = context();
    // Lingers past its deadline: the cut finds it late.
    let slow = Publisher::builder(Arc::clone(&client))
        .linger(Duration::from_millis(600))
        .build()
        .unwrap();
    let late = slow.publish_async(of_kind(&ctx, "nodes", "x")).unwrap();
    assert!(matches!(
        late.wait().unwrap_err().error(),
        Error::Timeout { .. }
    ));
    // Two new groups (nodes, agentPools), then a change of the first one's key.
    let publisher = Publisher::builder(Arc::clone(&client))
        .linger(Duration::from_millis(20))
        .build()
        .unwrap();
    let promises = [("y", "nodes"), ("z", "agentPools"), ("w", "nodes")].map(|(name, kind)| {
        (
            name,
            publisher.publish_async(of_kind(&ctx, kind, name)).unwrap(),
        )
    });
    for (name, promise) in promises {
        // Each ends (delivered, or a timeout on a slow machine); none is lost.
        assert!(
            promise.wait_timeout(WAIT).is_ok(),
            "{name} never got its outcome"
        );
    }
    for post in fake.posts() {
        let event = arn_client::model::ReceivedEvent::parse(&post.body).unwrap();
        let resources = event.resources.len();
        if let Err(e) = event.into_validated(None) {
            panic!("a batch of {resources} was sent invalid: {e}");
        }
    }
}

/// Two publishers of one client: a change of one never replaces the other's waiting
/// change of the same resource (the replaced change's replies, counts, hook and errors
/// are its own publisher's). Found by review: the newer publisher took over the older
/// one's reply.
#[test]
fn a_change_replaces_only_its_own_publishers_changes() {
    let (fake, gate, builder) = gated(1);
    let client = Arc::new(builder.build().unwrap());
    client.submit(node(&node_id(100), 0)).unwrap(); // holds the only worker
    gate.wait_arrived(1);
    let ctx = context();
    let [a, b] = [(); 2].map(|_| {
        Publisher::builder(Arc::clone(&client))
            .linger(Duration::ZERO)
            .build()
            .unwrap()
    });
    let first = a.publish_async(change(&ctx, 1, 1, 0)).unwrap();
    let second = b.publish_async(change(&ctx, 1, 2, 0)).unwrap();
    gate.open();
    let first = first.wait().expect("delivered");
    let second = second.wait().expect("delivered");
    assert!(!first.coalesced, "replaced by another publisher's change");
    assert!(!second.coalesced);
    let sent: Vec<u64> = posted(&fake).into_iter().map(|(_, seq)| seq).collect();
    assert_eq!(
        sent,
        [0, 1, 2],
        "the blocker, then each publisher's state, in order"
    );
}
