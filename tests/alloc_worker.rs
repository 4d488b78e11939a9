//! Once warm, the worker threads allocate nothing per notification for inline sends
//! with compression on: encoding, compressing, posting and reporting the outcome
//! reuse what the first notifications allocated. Its own test binary: it installs a
//! counting global allocator that counts only on threads named `arn-worker-*`, and
//! only while the test has counting switched on.
mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};

use counting_alloc::ALLOCATIONS;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use arn_client::testing::FakeTransport;
use arn_client::Client;

/// Whether allocations on worker threads are being counted.
static COUNTING: AtomicBool = AtomicBool::new(false);

/// What this thread is, learned on its first allocation while counting.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Unknown,
    /// Being learned: allocations made while reading the thread's name are not counted.
    Learning,
    Worker,
    Other,
}

thread_local! {
    static KIND: Cell<Kind> = const { Cell::new(Kind::Unknown) };
}

/// Counts the allocations of worker threads while the test has counting on.
fn decide() -> bool {
    if !COUNTING.load(Relaxed) {
        return false;
    }
    let Ok(kind) = KIND.try_with(Cell::get) else {
        return false; // a thread being torn down
    };
    let kind = match kind {
        Kind::Unknown => {
            KIND.with(|k| k.set(Kind::Learning));
            let worker = std::thread::current()
                .name()
                .is_some_and(|name| name.starts_with("arn-worker-"));
            let kind = if worker { Kind::Worker } else { Kind::Other };
            KIND.with(|k| k.set(kind));
            kind
        }
        kind => kind,
    };
    kind == Kind::Worker
}

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting::new(decide);

/// Held by each test: counting is process-wide, and every client's workers are named
/// `arn-worker-*`.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `f` with counting on; returns the allocations made on worker threads meanwhile.
fn worker_allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Relaxed);
    COUNTING.store(true, Relaxed);
    f();
    COUNTING.store(false, Relaxed);
    ALLOCATIONS.load(Relaxed) - before
}

fn far() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

/// A client that compresses, over `fake`.
fn client(fake: &Arc<FakeTransport>, workers: usize) -> Client {
    common::builder(fake, workers)
        .compression(true)
        .build()
        .unwrap()
}

/// AKS node notifications (`tests/vectors/payloads/node.json`, all inline) of 1, 10, 1
/// and 18 nodes in turn (bodies for both compressors), about different nodes so that
/// several go at once.
fn notifications(count: usize) -> Vec<arn_client::model::Notification> {
    let node = common::aks_node();
    let props: serde_json::Value =
        serde_json::from_str(node.resources[0].arm_resource.properties().unwrap()).unwrap();
    let mut next_id = 0;
    (0..count)
        .map(|i| {
            let nodes = [1, 10, 1, 18][i % 4];
            let resources = (next_id..next_id + nodes)
                .flat_map(|id| common::with_properties(&common::node_id(id), &props).resources)
                .collect();
            next_id += nodes;
            arn_client::model::Notification::new("eastus", "Microsoft.ContainerService", resources)
        })
        .collect()
}

/// Sends `batch` the three ways that reach the workers: promises waited for,
/// promises recycled, fire and forget; then waits until every one is sent.
fn send_all(client: &Client, batch: Vec<arn_client::model::Notification>) {
    let mut promises = Vec::with_capacity(batch.len());
    for (i, n) in batch.into_iter().enumerate() {
        match i % 3 {
            0 => promises.push(client.send_async(n).unwrap()),
            1 => client.send_async(n).unwrap().recycle(),
            _ => client.submit(n).unwrap(),
        }
    }
    for promise in promises {
        let delivery = promise.wait().unwrap();
        assert!(delivery.inline && delivery.sent_bytes < delivery.event_bytes);
    }
    client.flush(far()).unwrap();
}

#[test]
fn workers_allocate_nothing_per_inline_notification_once_warm() {
    let _serial = serial();
    // A transport that records nothing: a recording one allocates by design.
    let client = client(&FakeTransport::noop(), 2);

    // The counter sees the workers: cold buffers grow on their first notifications.
    let cold = notifications(8);
    assert!(worker_allocations_in(|| send_all(&client, cold)) > 0);

    // Warm up with the same mix as the counted passes.
    for _ in 0..3 {
        send_all(&client, notifications(300));
    }

    let mut total = 0;
    for _ in 0..2 {
        let batch = notifications(300);
        total += worker_allocations_in(|| send_all(&client, batch));
    }
    assert_eq!(total, 0, "allocations on arn-worker-* in 600 notifications");
    assert_eq!(client.stats().promises_active, 0);
    client.close(far()).unwrap();
}

#[test]
fn the_counter_sees_a_worker_that_allocates_per_notification() {
    let _serial = serial();
    // A fake that records each post (subject, headers) allocates on the worker.
    let client = client(&FakeTransport::without_bodies(), 2);
    send_all(&client, notifications(100));
    let allocations = worker_allocations_in(|| send_all(&client, notifications(100)));
    assert!(
        allocations >= 100,
        "{allocations} allocations in 100 notifications"
    );
    client.close(far()).unwrap();
}
