//! Client-wide throttling end to end, through real TLS and the local receiver: a 429
//! with `Retry-After` answered to one notification pauses every worker's sends, the
//! pause counts against each notification's deadline, and `Stats` shows it.

#[path = "common/receiver.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::testing::{ArnReceiver, Fault};
use arn_client::transport::{ReceiverConfig, RetryPolicy};
use arn_client::{Client, Error};
use common::*;

/// A 4-worker client whose retry policy honours a `Retry-After` of seconds (the
/// shared fast policy caps every delay, and so every pause, at 50 ms).
fn client(receiver: &Arc<ArnReceiver>, config: ReceiverConfig) -> Client {
    Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(receiver))
        .workers(4)
        .retry_policy(RetryPolicy::new(
            3,
            Duration::from_millis(5),
            Duration::from_secs(60),
        ))
        .build()
        .unwrap()
}

/// Waits until the client has taken note of a `Retry-After` pause. `Stats` has no
/// wait helper, so this polls (bounded by [`WAIT`]).
fn wait_for_pause(client: &Client) {
    let give_up = Instant::now() + WAIT;
    while client.stats().throttle_pauses == 0 {
        assert!(
            Instant::now() < give_up,
            "the 429 never paused the client: {:?}",
            client.stats()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_retry_after_pauses_every_worker() {
    let (receiver, _cred, config) = setup("throttle-tok");
    let receiver = Arc::new(receiver);
    let c = client(&receiver, config);
    receiver.script([Fault::StatusRetryAfter(429, "1".into())]);
    let throttled = c
        .send_async(notification(vec![node("throttled", 0)]))
        .unwrap();
    assert_eq!(receiver.wait_for_requests(1, WAIT), 1);
    wait_for_pause(&c);

    // Eight notifications about other resources, free to go to any of 4 workers.
    let others: Vec<_> = (0..8)
        .map(|i| {
            c.send_async(notification(vec![node(&format!("other-{i}"), i)]))
                .unwrap()
        })
        .collect();
    throttled.wait().unwrap();
    for p in others {
        p.wait().unwrap();
    }

    let requests = receiver.requests();
    assert_eq!(requests.len(), 10, "one 429, its retry, eight others");
    assert_eq!(requests[0].status, Some(429));
    let resume = requests[0].answered + Duration::from_millis(900);
    for r in &requests[1..] {
        assert_eq!(r.status, Some(200));
        assert!(
            r.arrived >= resume,
            "request {} arrived {:?} after the 429, within its Retry-After",
            r.order,
            r.arrived.duration_since(requests[0].answered)
        );
    }
    assert_eq!(receiver.events().len(), 9);

    let stats = c.stats();
    assert_eq!(stats.throttle_pauses, 1, "{stats:?}");
    assert!(
        stats.throttled_for >= Duration::from_millis(999),
        "{stats:?}"
    );
    assert!(stats.throttled_tries >= 1, "{stats:?}");
    assert_eq!(stats.events_sent(), 9);
    c.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn a_pause_longer_than_the_deadline_fails_at_once_with_the_cause() {
    let (receiver, _cred, config) = setup("throttle-tok-2");
    let receiver = Arc::new(receiver);
    let c = client(&receiver, config);
    receiver.script([Fault::StatusRetryAfter(503, "30".into())]);

    // The notification that got the 503: its retry would come after its deadline.
    let deadline = Instant::now() + Duration::from_secs(5);
    let error = c
        .notify_with_deadline(notification(vec![node("throttled", 0)]), deadline)
        .unwrap_err()
        .into_error();
    match &error {
        Error::Timeout {
            last_error: Some(last),
            ..
        } => assert!(
            matches!(**last, Error::Http { status: 503, .. }),
            "{last:?}"
        ),
        other => panic!("expected a timeout after the 503, got {other:?}"),
    }

    // Another resource, sent during the 30 s pause with a 5 s deadline: no try.
    let deadline = Instant::now() + Duration::from_secs(5);
    let error = c
        .notify_with_deadline(notification(vec![node("other", 0)]), deadline)
        .unwrap_err()
        .into_error();
    assert!(
        matches!(
            error,
            Error::Timeout {
                last_error: None,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        receiver.request_count(),
        1,
        "only the 503'd request was sent"
    );

    let stats = c.stats();
    assert_eq!(stats.throttle_pauses, 1, "{stats:?}");
    assert!(stats.throttled_tries >= 1, "{stats:?}");
    assert_eq!(stats.events_failed_inline, 2, "{stats:?}");
}
