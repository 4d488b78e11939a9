//! Shared helpers for the tests that run against a real Azurite.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use arn_client::blob::BlobConfig;
use arn_client::testing::{agent_trusting, Azurite, AzuriteCredential};
use arn_client::transport::UreqHttpClient;
use azure_storage_blob::{BlobServiceClient, BlobServiceClientOptions};

/// Starts Azurite or FAILS the test with instructions (never skips).
pub fn start_azurite() -> Azurite {
    match Azurite::start() {
        Ok(a) => a,
        Err(e) => panic!(
            "this test needs a real Azurite and could not start one: {e}\n\
             install it with scripts/install-test-deps.sh"
        ),
    }
}

/// A blob config for `azurite`, trusting its certificate.
pub fn config(azurite: &Azurite, credential: Arc<AzuriteCredential>) -> BlobConfig {
    BlobConfig::new(azurite.service_url(), credential)
        .add_root_certificate(azurite.cert_pem())
        .request_timeout(Duration::from_secs(30))
}

/// A ureq agent trusting Azurite's certificate, reading every status as a response.
pub fn agent(azurite: &Azurite) -> ureq::Agent {
    agent_trusting(azurite.cert_pem(), Duration::from_secs(30)).expect("Azurite's certificate")
}

/// GETs `url`, returning the status and body.
pub fn get(agent: &ureq::Agent, url: &str) -> (u16, Vec<u8>) {
    let resp = agent.get(url).call().expect("GET reaches Azurite");
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .into_with_config()
        .limit(64 << 20)
        .read_to_vec()
        .expect("read body");
    (status, body)
}

/// An SDK client for Azurite with the crate's ureq transport (to inspect and delete
/// containers behind the store's back).
pub fn service_client(azurite: &Azurite) -> BlobServiceClient {
    let http = Arc::new(
        UreqHttpClient::builder()
            .add_root_certificate(azurite.cert_pem())
            .build()
            .unwrap(),
    );
    let options = BlobServiceClientOptions {
        client_options: http.client_options(),
        ..Default::default()
    };
    BlobServiceClient::new(
        azurite.service_url().parse().unwrap(),
        Some(Arc::new(AzuriteCredential::new())),
        Some(options),
    )
    .unwrap()
}

/// The resources JSON of a notification about 1000 AKS nodes (properties from the
/// payload vector), exactly as the encoder hands it to the blob store (~1.9 MB).
pub fn thousand_node_resources() -> Vec<u8> {
    use arn_client::model::*;
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/payloads/node.json"
    ))
    .expect("tests/vectors/payloads/node.json");
    let payload: serde_json::Value = serde_json::from_slice(&raw).expect("node.json is JSON");
    let resources: Vec<NotificationResource> = (0..1000)
        .map(|i| {
            let id = ResourceId::parse(&format!(
                "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/n{i}"
            ))
            .unwrap();
            let arm =
                ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &payload).unwrap();
            NotificationResource::new(arm, ChangeAction::Update)
        })
        .collect();
    let n = Notification::new("eastus", "Microsoft.ContainerService", resources);
    let mut buf = EncodeBuf::new();
    match Encoder::default().encode(&n, &mut buf).unwrap() {
        Encoded::Blob(pending) => pending.resources().to_vec(),
        _ => panic!("1000 nodes must not fit inline"),
    }
}
