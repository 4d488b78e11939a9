//! The scheduler review's findings (issue 18), each reproduced through the public API
//! and the `testing` fakes; each failed before its fix.
mod common;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use arn_client::model::Notification;
use arn_client::testing::{Behavior, FakeTransport, Gate};
use arn_client::Error;
use common::*;

const WAIT: Duration = Duration::from_secs(30);

/// One notification about both `a` and `b`.
fn pair(a: usize, b: usize) -> Notification {
    let mut n = node(&node_id(a), 0);
    n.resources.push(node(&node_id(b), 0).resources.remove(0));
    n
}

/// Finding 1: after a close that gave up while a send still runs, `stats()` neither
/// panics nor reports a huge queue depth.
#[test]
fn stats_after_a_close_that_gave_up_on_a_running_send() {
    let (_fake, gate, builder) = gated(1);
    let client = builder.build().unwrap();
    client.submit(node(&node_id(0), 0)).unwrap();
    gate.wait_arrived(1);
    client.submit(node(&node_id(1), 1)).unwrap();
    let closed = client.close(Instant::now() + Duration::from_millis(50));
    assert!(matches!(closed, Err(Error::Timeout { .. })), "{closed:?}");
    let stats = client.stats();
    assert_eq!(stats.queue_depth, 0, "{stats:?}");
    gate.open();
}

/// Finding 2: a blocking `notify` sent on the caller's thread counts against the
/// in-flight limit like a worker's send: with one worker, one send at a time.
#[test]
fn the_callers_own_send_counts_against_the_in_flight_limit() {
    let (fake, gate, builder) = gated(1);
    let client = Arc::new(builder.build().unwrap());
    let caller = {
        let client = Arc::clone(&client);
        thread::spawn(move || client.notify(node(&node_id(0), 0)))
    };
    gate.wait_arrived(1); // the caller sends it itself, and is stuck in the transport
    let promise = client.send_async(node(&node_id(1), 1)).unwrap();
    // Not a timing bound: with the limit broken, the worker reaches the gate in this
    // time; with it kept, it never does until the caller's send ends.
    thread::sleep(Duration::from_millis(300));
    assert_eq!(gate.arrived(), 1, "two sends in flight with workers(1)");
    gate.open();
    caller.join().unwrap().unwrap();
    promise.wait().unwrap();
    assert_eq!(fake.post_count(), 2);
    client.close(Instant::now() + WAIT).unwrap();
}

/// Finding 3: an entry that expires while it waits leaves the graph at once: it no
/// longer holds up an entry it shares no resource with the stuck one.
#[test]
fn an_expired_notification_holds_up_nothing() {
    let fake = FakeTransport::new();
    let stuck = Gate::new();
    fake.script_subject(&node_id(1), Behavior::Gate(stuck.clone()));
    let client = builder(&fake, 2).build().unwrap();
    let a = client.send_async(node(&node_id(1), 0)).unwrap(); // r1: stuck
    stuck.wait_arrived(1);
    let b = client
        .send_async_with_deadline(pair(1, 2), Instant::now() + Duration::from_millis(100))
        .unwrap(); // r1 + r2: waits behind a, expires
    let failure = b.wait().unwrap_err();
    assert!(
        matches!(failure.error(), Error::Timeout { .. }),
        "{failure:?}"
    );
    let c = client.send_async(node(&node_id(2), 2)).unwrap(); // r2 only
    let outcome = c.wait_timeout(WAIT);
    assert!(
        matches!(outcome, Ok(Ok(_))),
        "c waited for a, which it shares nothing with"
    );
    stuck.open();
    a.wait().unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}

/// Finding 5: `flush` returns only once a close that gave up has handed out every
/// outcome it drained.
#[test]
fn flush_passes_only_after_a_giving_up_close_handed_out_every_outcome() {
    let (_fake, gate, builder) = gated(1);
    let client = Arc::new(builder.queue_capacity(100_000).build().unwrap());
    let mut promises = vec![client.send_async(node(&node_id(0), 0)).unwrap()];
    gate.wait_arrived(1);
    promises.extend((1..20_000).map(|i| client.send_async(node(&node_id(0), i)).unwrap()));
    let flusher = {
        let client = Arc::clone(&client);
        thread::spawn(move || {
            let flushed = client.flush(Instant::now() + WAIT);
            // Read at once, on the flushing thread: flush returned, so every outcome
            // must be out already.
            let pending = promises.iter().filter(|p| !p.is_ready()).count();
            (flushed, pending)
        })
    };
    thread::sleep(Duration::from_millis(100)); // the flush waits by now
    let closed = client.close(Instant::now() + Duration::from_millis(10));
    assert!(closed.is_err());
    let (flushed, pending) = flusher.join().unwrap();
    assert!(flushed.is_ok(), "{flushed:?}");
    assert_eq!(pending, 0, "flush returned with promises pending");
    gate.open();
}
