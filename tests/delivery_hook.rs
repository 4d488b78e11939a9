//! Delivery hooks for fire-and-forget sends (`ClientBuilder::on_delivery`,
//! `PublisherBuilder::on_delivery`), end to end through real TLS and the local
//! receiver: the hook sees every outcome, successes and failures, once each, and a
//! failure still reaches the errors channel; a panicking hook loses nothing.

#[path = "common/receiver.rs"]
mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arn_client::model::{Notification, NotificationResource};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::Fault;
use arn_client::Client;
use common::*;

const WAIT: Duration = Duration::from_secs(60);

fn notification(i: usize) -> Notification {
    Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        vec![node(&format!("n{i}"), i as u64).with_correlation_id(i.to_string())],
    )
}

#[test]
fn the_client_hook_sees_every_submitted_outcome_once() {
    let (receiver, _cred, config) = setup("hook-tok");
    // Every fifth request refused for good (400 is not retried).
    receiver.script((0..40).map(|i| {
        if i % 5 == 0 {
            Fault::Status(400)
        } else {
            Fault::Status(200)
        }
    }));
    let seen: Arc<Mutex<HashMap<String, bool>>> = Arc::default();
    let client = {
        let seen = Arc::clone(&seen);
        Client::with_transports(config.into_transport().unwrap())
            .workers(1) // requests in submission order, so the script is exact
            .on_delivery(move |n, outcome| {
                let id = n.resources[0].correlation_id.clone();
                let before = seen.lock().unwrap().insert(id, outcome.is_ok());
                assert!(before.is_none(), "one outcome each");
            })
            .build()
            .unwrap()
    };
    for i in 0..40 {
        client.submit(notification(i)).unwrap();
    }
    client.close(Instant::now() + WAIT).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 40);
    let failed: Vec<usize> = (0..40).filter(|i| !seen[&i.to_string()]).collect();
    assert_eq!(failed, (0..40).step_by(5).collect::<Vec<_>>());
    assert_eq!(receiver.events().len(), 32);
    let reported = client.errors().try_iter().count();
    assert_eq!(reported, 8, "failures still reach the errors channel");
}

#[test]
fn a_panicking_client_hook_loses_no_failure() {
    let (receiver, _cred, config) = setup("hook-tok");
    receiver.script([Fault::Status(400), Fault::Status(400)]);
    let client = Client::with_transports(config.into_transport().unwrap())
        .workers(1)
        .on_delivery(|_, _| panic!("the application's hook panicked"))
        .build()
        .unwrap();
    for i in 0..4 {
        client.submit(notification(i)).unwrap();
    }
    client.close(Instant::now() + WAIT).unwrap();
    assert_eq!(client.errors().try_iter().count(), 2);
    assert_eq!(receiver.events().len(), 2);
}

#[test]
fn the_publisher_hook_sees_every_change_with_its_resource() {
    let (receiver, _cred, config) = setup("hook-tok");
    let client = Arc::new(
        Client::with_transports(config.into_transport().unwrap())
            .build()
            .unwrap(),
    );
    type Seen = Vec<(String, String, bool)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let publisher = {
        let seen = Arc::clone(&seen);
        Publisher::builder(Arc::clone(&client))
            .on_delivery(move |r: &NotificationResource, outcome| {
                let published = outcome.as_ref().expect("the receiver takes everything");
                let entry = (
                    r.sent_resource_id().to_owned(),
                    r.correlation_id.clone(),
                    published.coalesced,
                );
                seen.lock().unwrap().push(entry);
            })
            .build()
            .unwrap()
    };
    let ctx = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    // 300 changes of 30 nodes: some coalesce, every one gets an outcome.
    for seq in 0..300usize {
        let r = node(&format!("n{}", seq % 30), seq as u64).with_correlation_id(seq.to_string());
        publisher.submit(Change::new(Arc::clone(&ctx), r)).unwrap();
    }
    publisher.flush(Instant::now() + WAIT).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 300, "one outcome per change");
    let stats = publisher.stats();
    assert_eq!(
        seen.iter().filter(|s| s.2).count() as u64,
        stats.coalesced,
        "coalesced changes are marked"
    );
    // Every reported resource reached the receiver (the newer state, when coalesced).
    let sent: std::collections::HashSet<String> = receiver
        .events()
        .iter()
        .flat_map(|e| {
            e.resources
                .iter()
                .map(|r| r["correlationId"].as_str().unwrap_or_default().to_owned())
        })
        .collect();
    assert!(seen.iter().all(|(_, corr, _)| sent.contains(corr)));
    publisher.close(Instant::now() + WAIT).unwrap();
    client.close(Instant::now() + WAIT).unwrap();
}
