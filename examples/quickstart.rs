//! A tour of arn-client against the local HTTPS ARN receiver (no Azure needed):
//!
//! ```text
//! cargo run --example quickstart
//! ```
//!
//! It starts the receiver (real TLS, a generated certificate), builds a client with a
//! static token, then sends: one blocking `notify`, a loop of async sends whose
//! promises are recycled, a burst of fire-and-forget sends while a thread drains
//! `errors()`, and one notification the receiver rejects (HTTP 400).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, Fault, ReceiverBlobStore, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

const TOKEN: &str = "quickstart-token";

fn node(cluster: &str, name: &str, ready: bool) -> Result<NotificationResource, arn_client::Error> {
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/{cluster}/nodes/{name}"
    ))?;
    let properties = serde_json::json!({ "ready": ready, "kubeletVersion": "1.30.1" });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", Some(&properties))?;
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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The receiver and a client that trusts its certificate.
    let receiver = Arc::new(
        ArnReceiver::builder()
            .token(TOKEN)
            .serve_blobs(true)
            .start()?,
    );
    println!("local ARN receiver at {}", receiver.url());
    let credential = StaticTokenCredential::new(TOKEN);
    let config = ReceiverConfig::new(receiver.url(), credential.shared())
        .add_root_certificate(receiver.certificate_pem())
        .compression(true);
    let compression = config.is_compressed();
    let client = Client::with_transports(
        config.into_transport()?,
        Arc::new(ReceiverBlobStore::new(Arc::clone(&receiver))),
    )
    .workers(4)
    .compression(compression)
    .build()?;
    let start = Instant::now();

    // 2. One blocking notify.
    client.notify(notification("mc-0", &["n0".into(), "n1".into()])?)?;
    println!("blocking notify: ok");

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

    // 4. Fire-and-forget: outcomes only reach errors(), drained by a thread.
    let errors = client.errors();
    let drain = std::thread::spawn(move || {
        let mut failures = 0;
        while let Ok(failure) = errors.recv() {
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
    // A large notification goes through the blob store.
    let many: Vec<String> = (0..300).map(|i| format!("big{i}")).collect();
    client.submit(notification("mc-big", &many)?)?;
    client.flush(Instant::now() + Duration::from_secs(60))?;
    println!("501 fire-and-forget sends flushed");

    // 5. One notification the receiver rejects.
    receiver.script([Fault::Status(400)]);
    match client.notify(notification("mc-0", &["rejected".into()])?) {
        Err(e) => println!("rejected as expected: {e}"),
        Ok(()) => println!("unexpected success"),
    }

    client.close(Instant::now() + Duration::from_secs(30))?;
    let stats = client.stats();
    drop(client);
    let failures = drain.join().expect("the drain thread");
    let elapsed = start.elapsed();

    // 6. What the receiver got.
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
