//! Order per resource is kept with several workers; other resources keep flowing while
//! one is stuck.
mod common;

use std::collections::HashMap;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use arn_client::testing::{Behavior, FakeTransport, Gate};

#[test]
fn one_resource_leaves_in_submission_order() {
    let fake = FakeTransport::new();
    // Uneven delays on some resources make the workers race each other.
    for k in (0..40).step_by(3) {
        fake.script_subject(
            &common::node_id(k),
            Behavior::Delay(Duration::from_micros(200)),
        );
    }
    let client = common::builder(&fake, 4)
        .queue_capacity(16)
        .build()
        .unwrap();
    const ROUNDS: u64 = 50;
    for seq in 0..ROUNDS {
        for k in 0..40 {
            if seq % 2 == 0 {
                client
                    .submit(common::node(&common::node_id(k), seq))
                    .unwrap();
            } else {
                // Promises dropped at once: the notification is still sent, in order.
                drop(
                    client
                        .send_async(common::node(&common::node_id(k), seq))
                        .unwrap(),
                );
            }
        }
    }
    client
        .flush(Instant::now() + Duration::from_secs(600))
        .unwrap();

    let posts = fake.posts();
    assert_eq!(posts.len(), 40 * ROUNDS as usize);
    let mut last: HashMap<String, u64> = HashMap::new();
    for post in &posts {
        let subject = post.subject.clone().expect("event subject");
        let seq = common::seq(post);
        let expected = last.get(&subject).map_or(0, |s| s + 1);
        assert_eq!(seq, expected, "{subject} out of order");
        last.insert(subject.clone(), seq);
    }
    assert_eq!(last.len(), 40);
    // Any worker sends any resource: order is kept by the scheduler, not by routing.
    let workers: std::collections::HashSet<_> = posts.iter().map(|p| p.thread.clone()).collect();
    assert!(workers.len() > 1, "40 resources spread over the workers");
}

#[test]
fn a_stuck_resource_does_not_stop_the_others() {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    let stuck = common::node_id(1000);
    fake.script_subject(&stuck, Behavior::Gate(gate.clone()));
    let client = common::builder(&fake, 4).build().unwrap();

    let first = client.send_async(common::node(&stuck, 0)).unwrap();
    gate.wait_arrived(1);
    let second = client.send_async(common::node(&stuck, 1)).unwrap();

    // Twenty other resources: the ones on other workers complete while `stuck` blocks.
    let (done_tx, done_rx) = mpsc::channel();
    let waiters: Vec<_> = (0..20)
        .map(|k| {
            let promise = client
                .send_async(common::node(&common::node_id(k), 0))
                .unwrap();
            let done_tx = done_tx.clone();
            thread::spawn(move || {
                let result = promise.wait();
                let _ = done_tx.send((k, result.is_ok()));
            })
        })
        .collect();
    let (k, ok) = done_rx.recv().unwrap();
    assert!(ok, "resource {k} failed");
    // Still blocked: the same resource waits behind its stuck predecessor.
    assert!(!first.is_ready());
    assert!(!second.is_ready());
    assert_eq!(gate.arrived(), 1);

    gate.open();
    first.wait().unwrap();
    second.wait().unwrap();
    for w in waiters {
        w.join().unwrap();
    }
    let order: Vec<u64> = fake
        .posts()
        .iter()
        .filter(|p| p.subject.as_deref() == Some(stuck.as_str()))
        .map(common::seq)
        .collect();
    assert_eq!(order, [0, 1]);
}

/// Node `i` of cluster `c`, as a one-resource notification carrying `seq`.
fn cluster_node(c: usize, i: usize, seq: u64) -> arn_client::model::Notification {
    common::node(
        &format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c{c}/nodes/n{i}"),
        seq,
    )
}

#[test]
fn top_level_ordering_keeps_batches_and_single_resources_in_order() {
    let fake = FakeTransport::new();
    // Delays on some nodes make the workers race each other.
    for c in 0..6 {
        fake.script_subject(
            &format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c{c}/nodes/n1"),
            Behavior::Delay(Duration::from_micros(300)),
        );
    }
    let client = common::builder(&fake, 4)
        .order_by(arn_client::OrderBy::TopLevelResource)
        .queue_capacity(8)
        .build()
        .unwrap();
    const ROUNDS: u64 = 60;
    for seq in 0..ROUNDS {
        for c in 0..6 {
            let n = if seq % 3 == 0 {
                // A batch of the cluster's nodes: its subject is the cluster.
                let mut batch = cluster_node(c, 0, seq);
                for i in 1..4 {
                    batch
                        .resources
                        .push(cluster_node(c, i, seq).resources.remove(0));
                }
                batch
            } else {
                cluster_node(c, (seq % 4) as usize, seq)
            };
            client.submit(n).unwrap();
        }
    }
    client
        .flush(Instant::now() + Duration::from_secs(600))
        .unwrap();

    let posts = fake.posts();
    assert_eq!(posts.len(), 6 * ROUNDS as usize);
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut batches = 0;
    for post in &posts {
        let subject = post.subject.clone().expect("event subject");
        let (_, rest) = subject
            .split_once("/managedClusters/")
            .expect("a cluster id");
        let cluster = rest.split('/').next().unwrap().to_owned();
        batches += usize::from(!rest.contains('/'));
        let seq = common::seq(post);
        let expected = last.get(&cluster).map_or(0, |s| s + 1);
        assert_eq!(seq, expected, "cluster {cluster} out of order at {subject}");
        last.insert(cluster, seq);
    }
    assert_eq!(batches, 6 * 20, "batches and single nodes were both sent");
    assert_eq!(last.len(), 6);
}

#[test]
fn a_notification_waiting_behind_a_stuck_one_times_out_at_its_deadline_unsent() {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    let id = common::node_id(7);
    fake.script_subject(&id, Behavior::Gate(gate.clone()));
    let client = common::builder(&fake, 2).build().unwrap();
    let first = client.send_async(common::node(&id, 0)).unwrap();
    gate.wait_arrived(1);
    // Same resource, short deadline: it waits behind the stuck one; the idle worker
    // gives it its Timeout when the deadline passes, while the first is still stuck.
    let second = client
        .send_async_with_deadline(
            common::node(&id, 1),
            Instant::now() + Duration::from_millis(30),
        )
        .unwrap();
    let third = client.send_async(common::node(&id, 2)).unwrap();
    assert!(matches!(
        second.wait().map_err(arn_client::Error::from),
        Err(arn_client::Error::Timeout { .. })
    ));
    assert!(!first.is_ready() && !third.is_ready());
    gate.open();
    first.wait().unwrap();
    third.wait().unwrap();
    let seqs: Vec<u64> = fake.posts().iter().map(common::seq).collect();
    assert_eq!(
        seqs,
        [0, 2],
        "the expired one was never sent, the next one was"
    );
    assert_eq!(client.stats().not_sent, 1);
}

#[test]
fn a_ready_blocking_notify_sends_on_its_own_thread_and_a_waiting_one_keeps_order() {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    let stuck = common::node_id(0);
    fake.script_subject(&stuck, Behavior::Gate(gate.clone()));
    let client = std::sync::Arc::new(common::builder(&fake, 2).build().unwrap());
    let first = client.send_async(common::node(&stuck, 0)).unwrap();
    gate.wait_arrived(1);
    // Another resource, nothing pending for it: the blocked caller sends it itself.
    client.notify(common::node(&common::node_id(1), 0)).unwrap();
    let me = thread::current().name().map(str::to_owned);
    let posts = fake.posts();
    assert_eq!(
        posts.last().unwrap().thread,
        me,
        "sent on the calling thread"
    );
    // The stuck resource: its notify waits for the first send, then a worker sends it.
    let c = std::sync::Arc::clone(&client);
    let id = stuck.clone();
    let second = thread::spawn(move || c.notify(common::node(&id, 1)).map(|_| ()));
    gate.open();
    first.wait().unwrap();
    second.join().unwrap().unwrap();
    let seqs: Vec<u64> = fake
        .posts()
        .iter()
        .filter(|p| p.subject.as_deref() == Some(stuck.as_str()))
        .map(common::seq)
        .collect();
    assert_eq!(seqs, [0, 1]);
}

#[test]
fn a_blocking_notify_never_sends_on_its_thread_beyond_the_worker_count() {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    let stuck = common::node_id(0);
    fake.script_subject(&stuck, Behavior::Gate(gate.clone()));
    let client = std::sync::Arc::new(common::builder(&fake, 1).build().unwrap());
    let first = client.send_async(common::node(&stuck, 0)).unwrap();
    gate.wait_arrived(1);
    // The one worker is busy: another resource's notify queues instead of sending on
    // its own thread (two sends at once would exceed `workers(1)`).
    let c = std::sync::Arc::clone(&client);
    let other = thread::spawn(move || c.notify(common::node(&common::node_id(1), 0)).map(|_| ()));
    let until = Instant::now() + Duration::from_secs(10);
    while client.stats().queue_depth == 0 && fake.post_count() == 1 && Instant::now() < until {
        thread::yield_now();
    }
    assert_eq!(client.stats().queue_depth, 1, "queued for the worker");
    assert_eq!(fake.post_count(), 1, "not sent beside the busy worker");
    gate.open();
    first.wait().unwrap();
    other.join().unwrap().unwrap();
    let last = fake.posts().pop().unwrap();
    assert!(last.thread.unwrap().starts_with("arn-worker-"));
}

#[test]
fn global_order_sends_everything_one_at_a_time_in_acceptance_order() {
    let fake = FakeTransport::new();
    // Uneven delays would let other resources overtake under per-resource order.
    for k in (0..8).step_by(2) {
        fake.script_subject(
            &common::node_id(k),
            Behavior::Delay(Duration::from_micros(300)),
        );
    }
    let client = common::builder(&fake, 4)
        .order_by(arn_client::OrderBy::Global)
        .build()
        .unwrap();
    for seq in 0..80u64 {
        client
            .submit(common::node(&common::node_id(seq as usize % 8), seq))
            .unwrap();
    }
    client
        .flush(Instant::now() + Duration::from_secs(60))
        .unwrap();
    let seqs: Vec<u64> = fake.posts().iter().map(common::seq).collect();
    assert_eq!(seqs, (0..80).collect::<Vec<_>>());
}
