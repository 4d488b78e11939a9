//! Close, flush and drop: draining under load, giving up at a deadline, refusing
//! later submissions.
mod common;

use std::time::{Duration, Instant};

use arn_client::testing::{Behavior, FakeTransport, Gate};
use arn_client::Error;

fn far() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

#[test]
fn close_under_load_drains_everything_queued() {
    let fake = FakeTransport::new();
    fake.script_default(Behavior::Delay(Duration::from_micros(100)));
    let client = common::builder(&fake, 2)
        .queue_capacity(600)
        .build()
        .unwrap();
    let promises: Vec<_> = (0..500)
        .map(|i| {
            client
                .send_async(common::node(&common::node_id(i % 7), i as u64))
                .unwrap()
        })
        .collect();
    for i in 0..500 {
        client
            .submit(common::node(&common::node_id(i % 5), i as u64))
            .unwrap();
    }
    client.close(far()).unwrap();
    for p in promises {
        p.wait().unwrap();
    }
    assert_eq!(fake.post_count(), 1000);
    assert_eq!(client.stats().queue_depth, 0);
    // Idempotent.
    client.close(far()).unwrap();
    client.flush(far()).unwrap();
}

#[test]
fn submissions_after_close_are_refused_with_the_notification() {
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 2).build().unwrap();
    client.close(far()).unwrap();
    assert!(client.is_closed());
    let n = common::node(&common::node_id(1), 1);
    for refused in [
        client.submit(n.clone()).unwrap_err(),
        client.try_submit(n.clone()).unwrap_err(),
        client.send_async(n.clone()).unwrap_err(),
        client.try_send_async(n.clone()).unwrap_err(),
    ] {
        let (error, back) = refused.into_parts();
        assert!(matches!(error, Error::Closed), "{error:?}");
        assert_eq!(back, n);
    }
    assert!(matches!(
        client.notify(n).map_err(Error::from),
        Err(Error::Closed)
    ));
    assert_eq!(fake.post_count(), 0);
}

#[test]
fn close_with_a_stuck_transport_times_out_and_resolves_every_promise() {
    let (_, gate, builder) = common::gated(2);
    let client = builder.queue_capacity(32).build().unwrap();
    let promises: Vec<_> = (0..20)
        .map(|i| {
            client
                .send_async(common::node(&common::node_id(i), i as u64))
                .unwrap()
        })
        .collect();
    for i in 0..5 {
        client
            .submit(common::node(&common::node_id(i), 100))
            .unwrap();
    }
    gate.wait_arrived(1);
    let result = client.close(Instant::now() + Duration::from_millis(50));
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    // Nothing hangs: every promise has an error now (in flight or queued).
    for p in promises {
        assert!(p.is_ready());
        assert!(matches!(
            p.wait().map_err(Error::from),
            Err(Error::Timeout { .. })
        ));
    }
    // The queued fire-and-forget ones were reported on the errors channel.
    let reported: Vec<_> = client.errors().try_iter().collect();
    assert!(reported
        .iter()
        .all(|f| matches!(f.error(), Error::Timeout { .. })));
    assert!(client.submit(common::node(&common::node_id(0), 0)).is_err());
    gate.open();
    client.close(far()).unwrap();
    assert!(
        gate.arrived() <= 2,
        "nothing more was sent after close gave up"
    );
}

#[test]
fn drop_with_a_stuck_transport_returns() {
    let (_, gate, builder) = common::gated(1);
    let client = builder
        .close_timeout(Duration::from_millis(20))
        .build()
        .unwrap();
    let promise = client
        .send_async(common::node(&common::node_id(0), 0))
        .unwrap();
    gate.wait_arrived(1);
    drop(client);
    assert!(matches!(
        promise.wait().map_err(Error::from),
        Err(Error::Timeout { .. })
    ));
    gate.open();
}

#[test]
fn flush_waits_for_everything_submitted_before_it() {
    let fake = FakeTransport::new();
    fake.script_default(Behavior::Delay(Duration::from_micros(200)));
    let client = common::builder(&fake, 3).build().unwrap();
    for i in 0..300 {
        client
            .submit(common::node(&common::node_id(i % 11), i as u64))
            .unwrap();
    }
    client.flush(far()).unwrap();
    assert_eq!(fake.post_count(), 300);
    assert_eq!(client.stats().queue_depth, 0);
}

#[test]
fn flush_with_a_stuck_transport_times_out() {
    let fake = FakeTransport::new();
    let gate = Gate::new();
    fake.script_posts([Behavior::Gate(gate.clone())]);
    let client = common::builder(&fake, 2).build().unwrap();
    client.submit(common::node(&common::node_id(0), 0)).unwrap();
    gate.wait_arrived(1);
    let result = client.flush(Instant::now() + Duration::from_millis(20));
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    gate.open();
    client.flush(far()).unwrap();
}

#[test]
fn drop_drains_what_is_queued() {
    let fake = FakeTransport::new();
    fake.script_default(Behavior::Delay(Duration::from_micros(100)));
    let client = common::builder(&fake, 2)
        .queue_capacity(200)
        .build()
        .unwrap();
    for i in 0..200 {
        client
            .submit(common::node(&common::node_id(i % 9), i as u64))
            .unwrap();
    }
    drop(client);
    assert_eq!(fake.post_count(), 200);
}
