//! A tour of arn-client against the local HTTPS ARN receiver (no Azure needed):
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! It starts the receiver (real TLS, a generated certificate), builds a client with a
//! static token, then sends: one blocking `notify`, a loop of async sends whose
//! promises are recycled, a burst of fire-and-forget sends while a thread drains
//! `errors()`, one large notification (1000 AKS nodes, about 2 MB) through Azure Blob
//! Storage emulated by Azurite when `scripts/install-test-deps.sh` has installed it,
//! and one notification the receiver rejects (HTTP 400).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::blob::BlobConfig;
use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::publisher::{Change, ChangeContext, Publisher};
use arn_client::testing::{ArnReceiver, Azurite, AzuriteCredential, Fault, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

const TOKEN: &str = "quickstart-token";

fn node(cluster: &str, name: &str, ready: bool) -> Result<NotificationResource, arn_client::Error> {
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/{cluster}/nodes/{name}"
    ))?;
    let properties = serde_json::json!({ "ready": ready, "kubeletVersion": "1.30.1" });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &properties)?;
    Ok(NotificationResource::new(arm, ChangeAction::Update))
}

fn notification(cluster: &str, names: &[String]) -> Result<Notification, arn_client::Error> {
    let resources = names
        .iter()
        .map(|n| node(cluster, n, true))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        resources,
    ))
}

/// 1000 AKS nodes with the real node payload: about 2 MB of resources JSON, far over
/// the 42,000-byte inline threshold, so it goes through blob storage.
fn large_notification() -> Result<Notification, Box<dyn std::error::Error>> {
    let payload: serde_json::Value =
        serde_json::from_str(include_str!("../tests/vectors/payloads/node.json"))?;
    let mut resources = Vec::with_capacity(1000);
    for i in 0..1000 {
        let id = ResourceId::parse(&format!(
            "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc-big/nodes/aks-nodepool1-vmss{i:06}"
        ))?;
        let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &payload)?;
        resources.push(NotificationResource::new(arm, ChangeAction::Update));
    }
    Ok(Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        resources,
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Azurite (when installed), the receiver, and a client that trusts both.
    let azurite = if Azurite::is_installed() {
        let azurite = Azurite::start()?;
        println!("Azurite (blob storage) at {}", azurite.service_url());
        Some(azurite)
    } else {
        println!(
            "Azurite is not installed (run scripts/install-test-deps.sh): \
             SKIPPING the large notification through blob storage"
        );
        None
    };
    let mut receiver = ArnReceiver::builder().token(TOKEN);
    if let Some(azurite) = &azurite {
        // The receiver fetches blob resources through their SAS URLs.
        receiver = receiver.add_root_certificate(azurite.cert_pem());
    }
    let receiver = Arc::new(receiver.start()?);
    println!("local ARN receiver at {}", receiver.url());
    let credential = StaticTokenCredential::new(TOKEN);
    let config = ReceiverConfig::new(receiver.url(), credential.shared())
        .add_root_certificate(receiver.certificate_pem());
    let builder = match &azurite {
        // The real configuration: receiver + blob storage, as on Azure.
        Some(azurite) => Client::builder(config).blob_storage(
            BlobConfig::new(azurite.service_url(), Arc::new(AzuriteCredential::new()))
                .add_root_certificate(azurite.cert_pem()),
        ),
        // No blob storage: notifications too large to go inline are refused.
        None => Client::builder(config),
    };
    let client = Arc::new(builder.compression(true).workers(4).build()?);
    let start = Instant::now();

    // 2. One blocking notify.
    let report = client.notify(notification("mc-0", &["n0".into(), "n1".into()])?)?;
    println!(
        "blocking notify: ok, event {} ({} bytes, {} on the wire, {} attempt)",
        report.event_id, report.event_bytes, report.sent_bytes, report.attempts
    );

    // 3. Async sends; each promise is recycled when waited on.
    let mut window = std::collections::VecDeque::new();
    for i in 0..200 {
        let n = notification(&format!("mc-{}", i % 8), &[format!("n{i}")])?;
        window.push_back(client.send_async(n)?);
        if window.len() == 16 {
            window.pop_front().expect("a promise").wait()?;
        }
    }
    for p in window {
        p.wait()?;
    }
    println!("200 async sends: ok");

    // 3b. Resource-level publishing: 300 single-node changes to 30 nodes, batched into
    //     a few notifications; a node's pending change is replaced by its newer one.
    let publisher = Publisher::builder(Arc::clone(&client)).build()?;
    let context = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
    for i in 0..300 {
        let resource = node("mc-pub", &format!("n{}", i % 30), i % 2 == 0)?;
        publisher.submit(Change::new(Arc::clone(&context), resource))?;
    }
    publisher.close(Instant::now() + Duration::from_secs(30))?;
    let stats = publisher.stats();
    println!(
        "publisher: {} changes, {} coalesced, {} notifications",
        stats.published, stats.coalesced, stats.notifications
    );
    drop(publisher); // it holds the client

    // 4. Fire-and-forget: outcomes only reach errors(), drained by a thread.
    let errors = client.errors();
    let drain = std::thread::spawn(move || {
        let mut failures = 0;
        while let Some(failure) = errors.recv() {
            failures += 1;
            println!("  error channel: {failure}");
        }
        failures
    });
    for i in 0..500 {
        client.submit(notification(
            &format!("burst-{}", i % 16),
            &[format!("b{i}")],
        )?)?;
    }
    client.flush(Instant::now() + Duration::from_secs(60))?;
    println!("500 fire-and-forget sends flushed");

    // 5. A large notification: uploaded to blob storage, then the event carries a
    //    read-only SAS URL that the receiver follows.
    if azurite.is_some() {
        let big = large_notification()?;
        let t = Instant::now();
        client.notify(big)?;
        println!(
            "1000-node notification via Azurite: ok in {:.2?}",
            t.elapsed()
        );
    }

    // 6. One notification the receiver rejects.
    receiver.script([Fault::Status(400)]);
    match client.notify(notification("mc-0", &["rejected".into()])?) {
        Err(e) => println!("rejected as expected: {e}"),
        Ok(_) => println!("unexpected success"),
    }

    client.close(Instant::now() + Duration::from_secs(30))?;
    let stats = client.stats();
    drop(client);
    let failures = drain.join().expect("the drain thread");
    let elapsed = start.elapsed();

    // 7. What the receiver got.
    let events = receiver.events();
    let inline = events.iter().filter(|e| e.inline).count();
    let compressed = events.iter().filter(|e| e.compressed).count();
    println!(
        "receiver: {} requests, {} events accepted ({} inline, {} blob, {} compressed) in {:.2?} ({:.0}/s); {} fire-and-forget failures",
        receiver.request_count(),
        events.len(),
        inline,
        events.len() - inline,
        compressed,
        elapsed,
        events.len() as f64 / elapsed.as_secs_f64(),
        failures,
    );
    println!(
        "client stats: {} inline + {} blob sent, {} failed",
        stats.events_sent_inline,
        stats.events_sent_blob,
        stats.events_failed_inline + stats.events_failed_blob
    );
    Ok(())
}
