//! Submission details: the errors channel, empty and oversized notifications, panics,
//! the blob path, compression and stats.
mod common;

use std::time::{Duration, Instant};

use arn_client::model::Rule;
use arn_client::testing::{Behavior, FakeTransport};
use arn_client::{Client, Error, Failure};

fn far() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

#[test]
fn errors_channel_drops_when_full_and_counts_exactly() {
    let fake = FakeTransport::new();
    fake.script_default(Behavior::Http(400));
    let client = common::builder(&fake, 2)
        .errors_capacity(3)
        .build()
        .unwrap();
    for i in 0..10 {
        client
            .submit(common::node(&common::node_id(i), i as u64))
            .unwrap();
    }
    client.flush(far()).unwrap();
    let failures: Vec<_> = client.errors().try_iter().collect();
    assert_eq!(failures.len(), 3);
    assert_eq!(client.stats().errors_dropped, 7);
    for f in &failures {
        assert!(matches!(f.error(), Error::Http { status: 400, .. }));
        assert_eq!(f.notification().unwrap().resources.len(), 1);
    }
    // Successes are silent.
    fake.script_default(Behavior::Ok);
    client.submit(common::node(&common::node_id(0), 0)).unwrap();
    client.flush(far()).unwrap();
    assert_eq!(client.errors().try_iter().count(), 0);
    assert_eq!(client.stats().errors_dropped, 7);
}

#[test]
fn an_empty_notification_succeeds_without_sending() {
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 2).build().unwrap();
    let mut empty = common::node(&common::node_id(0), 0);
    empty.resources.clear();
    client.notify(empty.clone()).unwrap();
    client.send_async(empty.clone()).unwrap().wait().unwrap();
    client.submit(empty).unwrap();
    client.flush(far()).unwrap();
    assert_eq!(fake.post_count(), 0);
}

#[test]
fn more_than_1000_resources_is_refused_at_submission() {
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 1).build().unwrap();
    let big = common::many(1001);
    let (error, back) = client.send_async(big.clone()).unwrap_err().into_parts();
    assert!(
        matches!(error, Error::Invalid(ref v) if v.rule == Rule::BatchSize),
        "{error:?}"
    );
    assert_eq!(back.resources.len(), 1001);
    assert!(matches!(client.submit(big.clone()), Err(e) if matches!(e.error(), Error::Invalid(_))));
    assert!(matches!(
        client.notify(big).map_err(Error::from),
        Err(Error::Invalid(_))
    ));
    assert_eq!(fake.post_count(), 0);
}

#[test]
fn invalid_notifications_fail_in_the_worker_without_sending() {
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 1).build().unwrap();
    let mut n = common::node(&common::node_id(0), 0);
    n.resources[0].resource_id = Some(String::new());
    assert!(matches!(
        client.notify(n).map_err(Error::from),
        Err(Error::Invalid(_))
    ));
    assert_eq!(fake.post_count(), 0);
    assert_eq!(client.stats().not_sent, 1);
}

#[test]
fn a_panicking_transport_fails_that_notification_only() {
    let fake = FakeTransport::new();
    fake.script_posts([Behavior::Panic]);
    let client = common::builder(&fake, 1).build().unwrap();
    let result = client.notify(common::node(&common::node_id(0), 0));
    assert!(
        matches!(result.as_ref().map_err(Failure::error), Err(Error::Panicked(ref m)) if m.contains("scripted panic")),
        "{result:?}"
    );
    // The worker lives on.
    client.notify(common::node(&common::node_id(0), 1)).unwrap();
    assert_eq!(client.stats().panics, 1);
    assert_eq!(fake.post_count(), 2);
}

#[test]
fn large_resources_go_through_blob_storage() {
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 1)
        .inline_threshold(64)
        .build()
        .unwrap();
    client.notify(common::node(&common::node_id(0), 7)).unwrap();
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 1);
    let resources: serde_json::Value = serde_json::from_slice(&uploads[0].resources).unwrap();
    assert_eq!(resources[0]["armResource"]["properties"]["seq"], 7);
    let event = common::body(&fake.posts()[0]);
    assert_eq!(event["data"]["resourcesContainer"], "blob");
    assert_eq!(
        event["data"]["resourcesBlobInfo"]["blobUri"],
        uploads[0].url.expose()
    );
    let stats = client.stats();
    assert_eq!((stats.events_sent_blob, stats.events_sent_inline), (1, 0));

    // A failed upload is the outcome; nothing is posted.
    fake.script_uploads([Behavior::Http(403)]);
    let result = client.notify(common::node(&common::node_id(0), 8));
    assert!(
        matches!(
            result.as_ref().map_err(Failure::error),
            Err(Error::Http { status: 403, .. })
        ),
        "{result:?}"
    );
    assert_eq!(fake.post_count(), 1);
}

#[test]
fn compression_sends_zlib_bodies() {
    let fake = FakeTransport::new();
    let client = common::builder(&fake, 2).compression(true).build().unwrap();
    let n = common::aks_node();
    for _ in 0..3 {
        client.notify(n.clone()).unwrap();
    }
    let posts = fake.posts();
    assert_eq!(posts.len(), 3);
    for post in &posts {
        assert!(post.compressed);
        assert_eq!(post.publisher_info, "Microsoft.ContainerService");
        let event = common::body(post); // inflated by the fake
        assert_eq!(event["data"]["resourcesContainer"], "inline");
        assert_eq!(event["subject"], common::node_id(0));
    }
    let stats = client.stats();
    assert_eq!(stats.events_sent_inline, 3);
    assert!(stats.bytes_sent > 0 && stats.bytes_sent < posts[0].body.len() as u64 * 3);
    assert_eq!(stats.send_latency.total(), 3);
}

#[test]
fn invalid_options_fail_build() {
    let fake = FakeTransport::new();
    let build = |b: arn_client::ClientBuilder| b.build().map(drop);
    for b in [
        Client::with_transports(fake.clone())
            .blob_store(fake.clone())
            .workers(0),
        Client::with_transports(fake.clone())
            .blob_store(fake.clone())
            .queue_capacity(0),
        Client::with_transports(fake.clone())
            .blob_store(fake.clone())
            .errors_capacity(0),
        Client::with_transports(fake.clone())
            .blob_store(fake.clone())
            .default_deadline(Duration::ZERO),
    ] {
        assert!(matches!(build(b), Err(Error::Config(_))));
    }
}

#[test]
fn promise_wait_timeout_keeps_the_promise() {
    let fake = FakeTransport::new();
    let gate = arn_client::testing::Gate::new();
    fake.script_posts([Behavior::Gate(gate.clone())]);
    let client = common::builder(&fake, 1).build().unwrap();
    let p = client
        .send_async(common::node(&common::node_id(0), 0))
        .unwrap();
    // The promise comes back, pending and usable; the outcome is read once.
    let p = p.wait_timeout(Duration::from_millis(5)).unwrap_err();
    assert!(!p.is_ready());
    gate.open();
    let report = p.wait().unwrap();
    assert_eq!(report.attempts, 1);
    let stats = client.stats();
    assert_eq!(stats.promises_timed_out, 1);
    assert_eq!(stats.promises_completed, 1);
    assert_eq!(stats.promises_active, 0);
}
