//! Back-pressure (bounded queues, `try_` calls, blocking submission) and deadlines.
mod common;

use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use arn_client::testing::{Behavior, FakeTransport, Gate};
use arn_client::Error;

/// A one-worker client whose worker is stuck in `gate` on its first notification.
fn stalled(capacity: usize) -> (Arc<FakeTransport>, Gate, arn_client::Client) {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    fake.script_posts([Behavior::Gate(gate.clone())]);
    let client = common::builder(&fake, 1)
        .queue_capacity(capacity)
        .build()
        .unwrap();
    client.submit(common::node(&common::node_id(0), 0)).unwrap();
    gate.wait_arrived(1);
    (fake, gate, client)
}

#[test]
fn try_calls_fail_fast_on_a_full_queue_and_hand_the_notification_back() {
    let (fake, gate, client) = stalled(2);
    let queued = [
        client
            .try_send_async(common::node(&common::node_id(1), 1))
            .unwrap(),
        client
            .try_send_async(common::node(&common::node_id(2), 2))
            .unwrap(),
    ];
    assert_eq!(client.stats().queue_depth, 2);

    let n = common::node(&common::node_id(3), 3);
    let refused = client.try_send_async(n.clone()).unwrap_err();
    assert!(matches!(refused.error(), Error::QueueFull));
    assert_eq!(refused.into_notification(), n);
    let refused = client.try_submit(n.clone()).unwrap_err();
    assert!(matches!(refused.error(), Error::QueueFull));
    assert_eq!(refused.into_notification(), n);
    // Memory stays bounded: the queue never grows past its capacity.
    assert_eq!(client.stats().queue_depth, 2);

    gate.open();
    for p in queued {
        p.wait().unwrap();
    }
    client.try_submit(n).unwrap();
    client
        .flush(Instant::now() + Duration::from_secs(60))
        .unwrap();
    assert_eq!(fake.post_count(), 4);
}

#[test]
fn blocking_submission_waits_for_room() {
    let (fake, gate, client) = stalled(1);
    let client = Arc::new(client);
    client.submit(common::node(&common::node_id(1), 1)).unwrap(); // fills the queue

    let (tx, rx) = mpsc::channel();
    let c = Arc::clone(&client);
    let blocked = thread::spawn(move || {
        let result = c.send_async(common::node(&common::node_id(2), 2));
        tx.send(()).unwrap();
        result.unwrap().wait()
    });
    // The submitter cannot return while the queue is full (a sanity bound, not a
    // synchronisation: it must not return at all until the gate opens).
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    assert_eq!(client.stats().queue_depth, 1);
    gate.open();
    rx.recv().unwrap();
    blocked.join().unwrap().unwrap();
    client
        .flush(Instant::now() + Duration::from_secs(60))
        .unwrap();
    assert_eq!(fake.post_count(), 3);
}

#[test]
fn blocking_submission_gives_up_at_its_deadline() {
    let (_fake, gate, client) = stalled(1);
    client.submit(common::node(&common::node_id(1), 1)).unwrap();
    let n = common::node(&common::node_id(2), 2);
    let refused = client
        .send_async_with_deadline(n.clone(), Instant::now() + Duration::from_millis(20))
        .unwrap_err();
    assert!(matches!(refused.error(), Error::Timeout { .. }));
    assert_eq!(refused.into_notification(), n);
    gate.open();
}

#[test]
fn a_notification_queued_past_its_deadline_is_not_sent() {
    let (fake, gate, client) = stalled(4);
    let deadline = Instant::now() + Duration::from_millis(1);
    let late = client
        .send_async_with_deadline(common::node(&common::node_id(1), 1), deadline)
        .unwrap();
    let on_time = client
        .send_async(common::node(&common::node_id(2), 2))
        .unwrap();
    while Instant::now() <= deadline {
        thread::yield_now();
    }
    gate.open();
    assert!(matches!(
        late.wait().map_err(Error::from),
        Err(Error::Timeout { .. })
    ));
    on_time.wait().unwrap();
    let seqs: Vec<u64> = fake.posts().iter().map(common::seq).collect();
    assert_eq!(seqs, [0, 2], "the late notification was never posted");
    assert_eq!(client.stats().not_sent, 1);
}

#[test]
fn notify_returns_timeout_at_its_deadline_and_the_notification_is_not_sent() {
    let (fake, gate, client) = stalled(4);
    let result = client.notify_with_deadline(
        common::node(&common::node_id(1), 1),
        Instant::now() + Duration::from_millis(20),
    );
    assert!(matches!(
        result.map_err(Error::from),
        Err(Error::Timeout { .. })
    ));
    gate.open();
    client
        .flush(Instant::now() + Duration::from_secs(60))
        .unwrap();
    assert_eq!(fake.post_count(), 1);
}

#[test]
fn close_wakes_a_blocked_submitter_with_closed() {
    let (fake, gate, client) = stalled(1);
    let client = Arc::new(client);
    client.submit(common::node(&common::node_id(1), 1)).unwrap(); // fills the queue
    let c = Arc::clone(&client);
    let n = common::node(&common::node_id(2), 2);
    let n2 = n.clone();
    let blocked = thread::spawn(move || c.submit(n2));
    let result = client.close(Instant::now() + Duration::from_millis(20));
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    let refused = blocked.join().unwrap().unwrap_err();
    assert!(matches!(refused.error(), Error::Closed));
    assert_eq!(refused.into_notification(), n);
    gate.open();
    client
        .close(Instant::now() + Duration::from_secs(60))
        .unwrap();
    assert_eq!(
        fake.post_count(),
        1,
        "the queued one was abandoned, not sent"
    );
}
