//! Finding 4 of issue 8: an application `log` backend that panics on a worker thread
//! (outside the caught send) must not lose work. Its own test binary: the logger is
//! process-global.
mod common;

use std::time::{Duration, Instant};

use arn_client::testing::{Behavior, FakeTransport, Gate};
use arn_client::{Delivery, Error, Failure};

/// Panics on every record logged from an arn-client worker thread.
struct PanickingLogger;

impl log::Log for PanickingLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, _: &log::Record<'_>) {
        let on_worker = std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("arn-worker"));
        if on_worker {
            panic!("the application's logger panicked");
        }
    }

    fn flush(&self) {}
}

/// Installs the logger once for the whole binary (its tests run in parallel).
fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        log::set_logger(&PanickingLogger).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

#[test]
fn a_panicking_log_backend_on_the_workers_loses_nothing() {
    install();
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 2)
        .errors_capacity(1000)
        .build()
        .unwrap();
    let (mut promises, mut submits, mut ok, mut failed) = (Vec::new(), 0, 0, 0);
    let mut count = |result: Result<Delivery, Failure>| match result.map_err(Failure::into_error) {
        Ok(_) => ok += 1,
        Err(Error::Panicked(_)) => failed += 1,
        Err(e) => panic!("unexpected outcome {e:?}"),
    };
    for i in 0..300 {
        let n = common::node(&common::node_id(i % 13), i as u64);
        match i % 3 {
            0 => promises.push(client.send_async(n).unwrap()),
            1 => {
                client.submit(n).unwrap();
                submits += 1;
            }
            _ => count(client.notify_with_deadline(n, Instant::now() + Duration::from_secs(60))),
        }
    }
    for p in promises {
        // A sanity bound, not a synchronisation: an outcome that never comes fails.
        let outcome = p.wait_timeout(Duration::from_secs(60));
        count(outcome.expect("an outcome"));
    }
    client
        .close(Instant::now() + Duration::from_secs(60))
        .unwrap();
    // Exactly one outcome each: the fire-and-forget failures are on the errors channel,
    // and every success was posted once.
    let reported: Vec<_> = client.errors().try_iter().collect();
    assert!(reported
        .iter()
        .all(|f| matches!(f.error(), Error::Panicked(_))));
    let failed = failed + reported.len();
    let ok = ok + submits - reported.len();
    assert_eq!(ok + failed, 300);
    assert_eq!(fake.post_count(), ok);
    assert_eq!(client.stats().panics as usize, failed);
}

/// Issue 18, finding 4: notifications that expire together while they wait are all
/// handed their `Timeout` by the worker's deadline sweep, though the one-time "errors
/// channel full" warning panics in the logger half-way through.
#[test]
fn a_panicking_log_backend_in_the_deadline_sweep_loses_nothing() {
    install();
    let fake = FakeTransport::new();
    let stuck = Gate::new();
    let id = common::node_id(1000);
    fake.script_subject(&id, Behavior::Gate(stuck.clone()));
    let client = common::builder(&fake, 2)
        .errors_capacity(1)
        .build()
        .unwrap();
    let client = std::sync::Arc::new(client);
    // Stuck on the caller's own thread (a send on a worker would log, and panic).
    let first = {
        let (client, n) = (std::sync::Arc::clone(&client), common::node(&id, 0));
        std::thread::spawn(move || client.notify(n))
    };
    stuck.wait_arrived(1);
    // Behind the stuck one (same resource), all with one deadline: they expire in one
    // sweep, and the second fire-and-forget failure finds the channel full.
    let deadline = Instant::now() + Duration::from_millis(200);
    let mut promises = Vec::new();
    for i in 1..=20u64 {
        let n = common::node(&id, i);
        if i % 2 == 0 {
            promises.push(client.send_async_with_deadline(n, deadline).unwrap());
        } else {
            client.submit_with_deadline(n, deadline).unwrap();
        }
    }
    for p in promises {
        let failure = p.wait().unwrap_err();
        assert!(
            matches!(failure.error(), Error::Timeout { .. }),
            "{failure:?}"
        );
    }
    stuck.open();
    first.join().unwrap().unwrap();
    client
        .close(Instant::now() + Duration::from_secs(60))
        .unwrap();
    let reported = client.errors().try_iter().count() as u64;
    assert_eq!(
        reported + client.stats().errors_dropped,
        10,
        "every submit's failure reported or counted"
    );
}
