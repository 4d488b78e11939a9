//! Shutdown races from issue 8, reproduced through the public API: flush against a
//! concurrent close, drop after a close that gave up, submissions racing with close,
//! and sends abandoned by close that must not be tried again.
mod common;

use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use arn_client::testing::{Behavior, FakeTransport};
use arn_client::transport::RetryPolicy;
use arn_client::Error;

fn far() -> Instant {
    Instant::now() + Duration::from_secs(60)
}

/// Finding 3: flush waits on a full client while another thread closes it; once the
/// transport frees up, both end well before their deadlines (flush used to hold the
/// queue senders, so the workers never saw the close and both timed out).
#[test]
fn flush_and_a_concurrent_close_both_finish_when_the_transport_frees_up() {
    let (fake, gate, builder) = common::gated(1);
    let client = Arc::new(builder.queue_capacity(4).build().unwrap());
    for i in 0..5 {
        client.submit(common::node(&common::node_id(i), 0)).unwrap();
    }
    gate.wait_arrived(1);
    let c = Arc::clone(&client);
    let flusher = thread::spawn(move || c.flush(far()));
    let c = Arc::clone(&client);
    let closer = thread::spawn(move || c.close(far()));
    gate.open();
    flusher.join().unwrap().unwrap();
    closer.join().unwrap().unwrap();
    assert_eq!(fake.post_count(), 5);
}

/// Finding 5: dropping the client after a close that gave up does not wait for the
/// close timeout again (here an hour: a second wait would hang the test).
#[test]
fn drop_after_a_close_that_gave_up_does_not_wait_again() {
    let (_, gate, builder) = common::gated(1);
    let client = builder
        .close_timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    let promise = client
        .send_async(common::node(&common::node_id(0), 0))
        .unwrap();
    gate.wait_arrived(1);
    let closed = client.close(Instant::now() + Duration::from_millis(20));
    assert!(matches!(closed, Err(Error::Timeout { .. })), "{closed:?}");
    let (tx, rx) = mpsc::channel();
    let dropper = thread::spawn(move || {
        drop(client);
        tx.send(()).unwrap();
    });
    // The gate is still shut: only a drop that does not wait can return.
    rx.recv_timeout(Duration::from_secs(60))
        .expect("drop returned without waiting for the stuck worker");
    dropper.join().unwrap();
    assert!(matches!(
        promise.wait().map_err(Error::from),
        Err(Error::Timeout { .. })
    ));
    gate.open();
}

/// Finding 5: notifications submitted from several threads while close gives up each
/// get an outcome by the time close returns; none is left queued behind the stuck
/// worker.
#[test]
fn submissions_racing_with_a_close_that_gives_up_all_have_outcomes_when_it_returns() {
    let (_, gate, builder) = common::gated(2);
    let client = Arc::new(builder.build().unwrap());
    let start = Arc::new(Barrier::new(5));
    let submitters: Vec<_> = (0..4)
        .map(|t| {
            let client = Arc::clone(&client);
            let start = Arc::clone(&start);
            thread::spawn(move || {
                start.wait();
                let mut accepted = Vec::new();
                for i in 0..500 {
                    let n = common::node(&common::node_id(t * 1000 + i % 7), i as u64);
                    match client.send_async(n) {
                        Ok(p) => accepted.push(p),
                        Err(e) => assert!(matches!(e.error(), Error::Closed), "{e:?}"),
                    }
                }
                accepted
            })
        })
        .collect();
    start.wait();
    gate.wait_arrived(1);
    let closed = client.close(Instant::now() + Duration::from_millis(30));
    let promises: Vec<_> = submitters
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    // Close returned before the submitters were joined: whatever it accepted had an
    // outcome when it returned (checked now, before the gate opens).
    assert!(matches!(closed, Err(Error::Timeout { .. })), "{closed:?}");
    assert!(!promises.is_empty());
    for p in &promises {
        assert!(p.is_ready(), "an accepted notification has no outcome");
    }
    gate.open();
    client.close(far()).unwrap();
    assert!(
        gate.arrived() <= 2,
        "nothing was started after close gave up"
    );
}

/// Issue 8, item 6: after close gives up, a retrying notification is not tried again
/// (its try in progress finishes; no new one starts).
#[test]
fn close_that_gives_up_cancels_further_retries() {
    let fake = FakeTransport::new();
    fake.script_default(Behavior::Http(503));
    let client = common::builder(&fake, 1)
        .retry_policy(RetryPolicy::new(
            50,
            Duration::from_millis(20),
            Duration::from_millis(20),
        ))
        .build()
        .unwrap();
    let promise = client
        .send_async(common::node(&common::node_id(0), 0))
        .unwrap();
    while fake.post_count() < 2 {
        thread::yield_now();
    }
    let closed = client.close(Instant::now() + Duration::from_millis(10));
    assert!(matches!(closed, Err(Error::Timeout { .. })), "{closed:?}");
    let tries_at_close = fake.post_count();
    assert!(matches!(
        promise.wait().map_err(Error::from),
        Err(Error::Timeout { .. })
    ));
    // The worker ends once its current wait is over, without another try.
    client.close(far()).unwrap();
    assert!(
        fake.post_count() <= tries_at_close + 1,
        "{} tries after close gave up at {tries_at_close}",
        fake.post_count()
    );
}
