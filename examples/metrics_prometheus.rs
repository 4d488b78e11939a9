//! OpenTelemetry metrics as a service exposes them: arn-client's instruments on an
//! `SdkMeterProvider` whose reader is the Prometheus exporter, printed in the
//! Prometheus text format that a `/metrics` endpoint serves to a scrape. No async
//! runtime: the exporter collects when the registry is gathered.
//!
//! ```text
//! cargo run --example metrics_prometheus --features opentelemetry,testing
//! ```
//!
//! An application adds (besides arn-client with the `opentelemetry` feature):
//!
//! ```toml
//! opentelemetry_sdk = { version = "0.33", default-features = false, features = ["metrics"] }
//! opentelemetry-prometheus = "0.33"
//! prometheus = { version = "0.14", default-features = false }
//! ```
//!
//! (The `testing` feature here only provides the local receiver the notifications go
//! to.)

use std::time::{Duration, Instant};

use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::testing::{ArnReceiver, Fault, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder, TextEncoder};

const TOKEN: &str = "metrics-dev-token";

fn node(name: &str) -> Result<Notification, arn_client::Error> {
    let id = ResourceId::parse(&format!(
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg\
         /providers/Microsoft.ContainerService/managedClusters/mc/nodes/{name}"
    ))?;
    let properties = serde_json::json!({ "ready": true });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &properties)?;
    Ok(Notification::new(
        "eastus",
        "Microsoft.ContainerService",
        vec![NotificationResource::new(arm, ChangeAction::Update)],
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The service's metrics: a Prometheus registry behind an OpenTelemetry provider.
    let registry = prometheus::Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()?;
    let provider = SdkMeterProvider::builder().with_reader(exporter).build();

    // A client (here against the local receiver) and its instruments on the provider.
    let receiver = ArnReceiver::start(TOKEN)?;
    let config = ReceiverConfig::new(receiver.url(), StaticTokenCredential::new(TOKEN).shared())
        .add_root_certificate(receiver.certificate_pem());
    let client = std::sync::Arc::new(Client::builder(config).build()?);
    arn_client::metrics::register(&client, &provider);

    // Some traffic: five accepted, one rejected for good (HTTP 400).
    for i in 0..5 {
        client.notify(node(&format!("n{i}"))?)?;
    }
    receiver.script([Fault::Status(400)]);
    let rejected = client.notify(node("bad")?);
    assert!(rejected.is_err());

    // What GET /metrics would answer: the registry gathered, in the text format.
    let mut text = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut text)?;
    let text = String::from_utf8(text)?;
    print!("{text}");
    let sent = text
        .lines()
        .find(|l| l.starts_with("arn_sdk_event_sent_total{inline=\"true\",success=\"true\""))
        .ok_or("no arn_sdk_event_sent_total line for accepted inline events")?;
    assert!(sent.ends_with(" 5"), "{sent}");

    client.close(Instant::now() + Duration::from_secs(10))?;
    provider.shutdown()?;
    Ok(())
}
