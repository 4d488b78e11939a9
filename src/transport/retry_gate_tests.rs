//! The retry loop under the client-wide [`SendGate`]: a `Retry-After` pauses every
//! send, a pause past the deadline ends the retries, a cancelled gate starts no try.
//! Apart from both files' own tests, so that neither imports the other's.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::gate::SendGate;
use super::retry::run_with_retries;
use super::retry::tests::{fast, http};
use super::RetryPolicy;
use crate::stats::StatsInner;
use crate::{Error, Sent};

fn gate() -> (SendGate, Arc<StatsInner>) {
    let stats = Arc::new(StatsInner::default());
    (SendGate::new(Arc::clone(&stats)), stats)
}

#[test]
fn retry_after_pauses_every_send_through_the_gate() {
    let (gate, stats) = gate();
    let policy = fast();
    let deadline = Instant::now() + Duration::from_secs(60);
    let throttle = Some(Duration::from_millis(300));
    let mut first = Some(http(429, throttle));
    let start = Instant::now();
    let r = run_with_retries(
        || first.take().map_or(Ok(()), Err),
        deadline,
        &RetryPolicy {
            max_delay: Duration::from_secs(1),
            ..policy.clone()
        },
        || 1.0,
        Some(&gate),
    );
    assert!(r.is_ok(), "{r:?}");
    assert!(start.elapsed() >= Duration::from_millis(300));
    // Another notification, sent while a pause is in force, waits it out too.
    gate.pause_for(Duration::from_millis(300));
    let paused = Instant::now();
    let tried_at = Cell::new(None);
    let r = run_with_retries(
        || {
            tried_at.set(Some(Instant::now()));
            Ok(())
        },
        deadline,
        &policy,
        || 1.0,
        Some(&gate),
    );
    assert!(r.is_ok());
    assert!(tried_at.get().unwrap() >= paused + Duration::from_millis(300));
    let snap = stats.snapshot(0);
    assert_eq!(snap.throttle_pauses, 2);
    // The first notification's own backoff covered its pause: only the second
    // one had to wait for the gate.
    assert_eq!(snap.throttled_tries, 1, "{snap:?}");
    assert!(snap.throttled_for >= Duration::from_millis(600));
}

#[test]
fn a_pause_past_the_deadline_times_out_with_the_last_error() {
    let (gate, _) = gate();
    let tries = Cell::new(0);
    let r = run_with_retries(
        || {
            tries.set(tries.get() + 1);
            Err(http(503, Some(Duration::from_secs(3600))))
        },
        Instant::now() + Duration::from_secs(30),
        &RetryPolicy::default(),
        || 1.0,
        Some(&gate),
    );
    assert_eq!(tries.get(), 1);
    match r {
        Err(Error::Timeout {
            last_error: Some(last),
        }) => assert!(matches!(*last, Error::Http { status: 503, .. })),
        other => panic!("{other:?}"),
    }
    // A notification that never tried: a bare timeout, without a try.
    let r = run_with_retries(
        || panic!("no try may start"),
        Instant::now() + Duration::from_secs(30),
        &RetryPolicy::default(),
        || 1.0,
        Some(&gate),
    );
    assert!(
        matches!(r, Err(Error::Timeout { last_error: None })),
        "{r:?}"
    );
}

#[test]
fn once_cancelled_no_new_try_starts() {
    let (gate, _) = gate();
    let tries = Cell::new(0);
    let r = run_with_retries(
        || {
            tries.set(tries.get() + 1);
            gate.cancel();
            Err(Error::connection(Sent::Never, "refused", None))
        },
        Instant::now() + Duration::from_secs(60),
        &RetryPolicy::default(),
        || 1.0,
        Some(&gate),
    );
    assert_eq!(
        tries.get(),
        1,
        "the backoff sleep woke and no retry started"
    );
    match r {
        Err(Error::Timeout {
            last_error: Some(last),
        }) => assert!(matches!(*last, Error::Connection { .. })),
        other => panic!("{other:?}"),
    }
}
