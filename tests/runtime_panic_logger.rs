//! Finding 4 of issue 8: an application `log` backend that panics on a worker thread
//! (outside the caught send) must not lose work. Its own test binary: the logger is
//! process-global.
mod common;

use std::time::{Duration, Instant};

use arn_client::testing::FakeTransport;
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

#[test]
fn a_panicking_log_backend_on_the_workers_loses_nothing() {
    log::set_logger(&PanickingLogger).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
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
