//! The development loop: a `Client` against the local HTTPS ARN receiver, no Azure
//! account needed.
//!
//! ```text
//! cargo run --example local_receiver
//! ```
//!
//! The receiver (`arn_client::testing::ArnReceiver`, feature `testing`) listens on
//! 127.0.0.1 with real TLS and a certificate generated at start, checks the bearer
//! token, inflates compressed bodies, validates every event and records what it
//! accepted. The client is built exactly as on Azure, except that the credential is a
//! static token and the receiver's certificate is trusted explicitly.

use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, Fault, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

const TOKEN: &str = "local-dev-token";
const CLUSTER: &str = "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg\
    /providers/Microsoft.ContainerService/managedClusters/mc";

/// A snapshot of AKS node `name`, or its deletion.
fn node(name: &str, deleted: bool) -> Result<NotificationResource, arn_client::Error> {
    let id = ResourceId::parse(&format!("{CLUSTER}/nodes/{name}"))?;
    let (arm, change) = if deleted {
        let arm = ArmResource::without_properties(Activity::Delete, &id, "2024-01-01")?;
        (arm, ChangeAction::Delete)
    } else {
        let properties = serde_json::json!({ "ready": true, "kubeletVersion": "1.30.1" });
        let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &properties)?;
        (arm, ChangeAction::Update)
    };
    Ok(NotificationResource::new(arm, change))
}

fn notification(resources: Vec<NotificationResource>) -> Notification {
    Notification::new("eastus", "Microsoft.ContainerService", resources)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. The receiver, and a client that trusts its certificate.
    let receiver = ArnReceiver::start(TOKEN)?;
    let config = ReceiverConfig::new(receiver.url(), StaticTokenCredential::new(TOKEN).shared())
        .add_root_certificate(receiver.certificate_pem());
    let client = Client::builder(config).compression(true).build()?;
    println!("local ARN receiver at {}", receiver.url());

    // 2. A few notifications: one node, a batch of three, a deletion.
    let sends = [
        notification(vec![node("aks-nodepool1-0", false)?]),
        notification(vec![
            node("aks-nodepool1-1", false)?,
            node("aks-nodepool1-2", false)?,
            node("aks-nodepool1-3", false)?,
        ]),
        notification(vec![node("aks-nodepool1-0", true)?]),
    ];
    for n in sends {
        let report = client.notify(n)?;
        println!(
            "sent event {}: {} bytes, {} compressed, {} attempt(s) in {:.1?}",
            report.event_id, report.event_bytes, report.sent_bytes, report.attempts, report.elapsed
        );
    }

    // 3. A notification the receiver rejects: the failure hands it back.
    receiver.script([Fault::Status(400)]);
    match client.notify(notification(vec![node("aks-nodepool1-9", false)?])) {
        Ok(_) => return Err("the receiver was scripted to reject this one".into()),
        Err(failure) => println!(
            "rejected: {} (notification handed back: {})",
            failure.error(),
            failure.notification().is_some()
        ),
    }

    // 4. Close, then look at what the receiver accepted.
    client.close(Instant::now() + Duration::from_secs(10))?;
    for e in receiver.events() {
        println!(
            "accepted #{}: {} {} (inline: {}, compressed: {}), resources {:?}",
            e.order,
            e.event["eventType"].as_str().unwrap_or_default(),
            e.event["subject"].as_str().unwrap_or_default(),
            e.inline,
            e.compressed,
            e.resource_ids()
                .iter()
                .map(|id| id.rsplit('/').next().unwrap_or_default())
                .collect::<Vec<_>>(),
        );
    }
    Ok(())
}
