//! Delivery reports and failures through real TLS: which event carried a notification,
//! how big it was, how many tries it took; and clients without blob storage.

#[path = "common/receiver.rs"]
mod common;

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use arn_client::testing::Fault;
use arn_client::{Client, Error};
use common::*;

fn inflated(body: &[u8], compressed: bool) -> Vec<u8> {
    if !compressed {
        return body.to_vec();
    }
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(body)
        .read_to_end(&mut json)
        .unwrap();
    json
}

fn event_id_of(body: &[u8], compressed: bool) -> String {
    let event: serde_json::Value = serde_json::from_slice(&inflated(body, compressed)).unwrap();
    event["id"].as_str().unwrap().to_string()
}

#[test]
fn a_delivery_report_names_the_event_the_receiver_accepted() {
    let (receiver, _cred, config) = setup("report-tok");
    let receiver = Arc::new(receiver);
    let c = Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(&receiver))
        .compression(true)
        .retry_policy(fast_policy())
        .inline_threshold(4096)
        .build()
        .unwrap();
    // Inline, after one 503: two attempts.
    receiver.script([Fault::Status(503)]);
    let report = c.notify(notification(vec![node("a", 1)])).unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let accepted = &requests[1];
    assert_eq!(report.attempts, 2);
    assert!(report.inline);
    assert_eq!(report.sent_bytes, accepted.body.len());
    assert_eq!(
        report.event_id.to_string(),
        event_id_of(&accepted.body, true)
    );
    assert_eq!(report.event_bytes, inflated(&accepted.body, true).len());
    assert!(report.sent_bytes < report.event_bytes, "compressed");
    assert!(report.elapsed > std::time::Duration::ZERO);

    // Through blob storage.
    let large = notification((0..100).map(|i| node(&format!("n{i}"), i)).collect());
    let report = c.notify(large).unwrap();
    assert!(!report.inline);
    assert_eq!(report.attempts, 1);
    let last = receiver.events().pop().unwrap();
    assert!(!last.inline);
    assert_eq!(
        report.event_id.to_string(),
        last.event["id"].as_str().unwrap()
    );
    c.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn a_failure_hands_the_notification_back_with_its_event_id() {
    let (receiver, _cred, config) = setup("failure-tok");
    let receiver = Arc::new(receiver);
    let c = Client::with_transports(config.into_transport().unwrap())
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    receiver.script([Fault::Status(400)]);
    let n = notification(vec![node("rejected", 1)]);
    let failure = c.notify(n.clone()).unwrap_err();
    assert!(matches!(failure.error(), Error::Http { status: 400, .. }));
    assert_eq!(failure.attempts(), 1);
    let request = &receiver.requests()[0];
    assert_eq!(
        failure.event_id().unwrap().to_string(),
        event_id_of(&request.body, false)
    );
    assert_eq!(failure.into_notification(), Some(n));

    // Fire-and-forget failures carry the same.
    receiver.script([Fault::Status(400)]);
    c.submit(notification(vec![node("rejected-too", 1)]))
        .unwrap();
    let failure = c.errors().recv_timeout(WAIT).unwrap();
    assert_eq!(failure.attempts(), 1);
    assert!(failure.event_id().is_some());
    assert!(std::error::Error::source(&failure).is_some());
    c.close(Instant::now() + WAIT).unwrap();
}

#[test]
fn without_blob_storage_a_large_notification_is_refused_at_submission() {
    let (receiver, _cred, config) = setup("inline-only-tok");
    let c = Client::builder(config).build().unwrap();
    let large = notification((0..400).map(|i| node(&format!("n{i}"), i)).collect());
    let refused = c.submit(large.clone()).unwrap_err();
    match refused.error() {
        Error::TooLarge {
            size, threshold, ..
        } => {
            assert_eq!(*threshold, arn_client::model::DEFAULT_INLINE_THRESHOLD);
            assert!(*size >= *threshold, "{size}");
            assert_eq!(*size, serde_json::to_vec(&large.resources).unwrap().len());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(refused.notification(), &large);
    let failure = c.notify(large.clone()).unwrap_err();
    assert!(matches!(failure.error(), Error::TooLarge { .. }));
    assert_eq!(failure.attempts(), 0);
    assert_eq!(failure.into_notification(), Some(large));
    // Small ones still go, inline.
    let report = c.notify(notification(vec![node("small", 1)])).unwrap();
    assert!(report.inline);
    assert_eq!(receiver.request_count(), 1);
    c.close(Instant::now() + WAIT).unwrap();
}

/// A retry made by a worker after its notification waited in the scheduler for the
/// backoff (`send_async`, not the caller's own thread) sends the first try's bytes
/// again, and the report counts both tries and names that event.
#[test]
fn a_parked_retry_sends_the_same_event_again() {
    let (receiver, _cred, config) = setup("parked-tok");
    let receiver = Arc::new(receiver);
    let c = Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(&receiver))
        .compression(true)
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    receiver.script([Fault::Status(503)]);
    let report = c
        .send_async(notification(vec![node("a", 1)]))
        .unwrap()
        .wait()
        .unwrap();
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].status, Some(503));
    assert_eq!(requests[0].body, requests[1].body, "the same bytes");
    assert_eq!(report.attempts, 2);
    assert_eq!(report.sent_bytes, requests[1].body.len());
    assert_eq!(
        report.event_id.to_string(),
        event_id_of(&requests[1].body, true)
    );
    assert_eq!(receiver.events().len(), 1);
    c.close(Instant::now() + WAIT).unwrap();
}

/// A published change's failure is the client's `Failure` for a change: it says how
/// many tries were made and which event carried it, as a notification's does, and
/// hands the change back.
#[test]
fn a_failed_change_reports_its_tries_and_event() {
    use arn_client::model::{Activity, ArmResource, ChangeAction, NotificationResource};
    use arn_client::publisher::{Change, ChangeContext, Publisher};

    let (receiver, _cred, config) = setup("change-tok");
    let receiver = Arc::new(receiver);
    let c = Client::with_transports(config.into_transport().unwrap())
        .blob_store(receiver_blobs(&receiver))
        .retry_policy(fast_policy())
        .build()
        .unwrap();
    let publisher = Publisher::builder(Arc::new(c)).build().unwrap();
    receiver.script((0..4).map(|_| Fault::Status(503))); // the first try, 3 retries
    let id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse().unwrap();
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-03-01", &1).unwrap();
    let context = Arc::new(ChangeContext::new("eastus", "Microsoft.Compute"));
    let change = Change::new(
        context,
        NotificationResource::new(arm, ChangeAction::Update),
    );
    let failure = publisher.publish(change.clone()).unwrap_err();
    assert!(matches!(failure.error(), Error::Http { status: 503, .. }));
    assert_eq!(failure.attempts(), 4);
    let requests = receiver.requests();
    assert_eq!(requests.len(), 4);
    assert_eq!(
        failure.event_id().map(|id| id.to_string()),
        Some(event_id_of(&requests[3].body, requests[3].compressed))
    );
    assert!(!failure.coalesced());
    assert!(failure
        .to_string()
        .starts_with("publishing a change failed: "));
    assert_eq!(failure.into_change(), Some(change));
    publisher.close(Instant::now() + WAIT).unwrap();
}
