//! The README's "The client on Azure" and "Metrics" as a program: a managed identity
//! for the ARN receiver and for Blob Storage, every Azure SDK request through
//! arn-client's blocking ureq `HttpClient`, and the client's metrics in the Prometheus
//! text format. CI builds it (and checks that its dependency tree holds no tokio);
//! running it needs Azure:
//!
//! ```text
//! ARN_ENDPOINT=https://<receiver> ARN_STORAGE_URL=https://<account>.blob.core.windows.net \
//!     cargo run --manifest-path examples/app/Cargo.toml
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::auth::Cloud;
use arn_client::blob::BlobConfig;
use arn_client::transport::{ReceiverConfig, UreqHttpClient};
use arn_client::Client;
use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder, TextEncoder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (Ok(endpoint), Ok(storage)) = (
        std::env::var("ARN_ENDPOINT"),
        std::env::var("ARN_STORAGE_URL"),
    ) else {
        eprintln!("set ARN_ENDPOINT and ARN_STORAGE_URL (this program needs Azure)");
        return Ok(());
    };
    // Credentials reach Entra ID through arn-client's blocking ureq HttpClient.
    let http = Arc::new(UreqHttpClient::builder().build()?);
    let credential = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
        client_options: http.client_options(),
        ..Default::default()
    }))?;
    let receiver = ReceiverConfig::new(endpoint, credential.clone()).cloud(Cloud::AzurePublic);
    let blob = BlobConfig::new(storage, credential).container_ext("myservice");
    let client = Arc::new(
        Client::builder(receiver)
            .blob_storage(blob)
            .compression(true)
            .build()?,
    );
    // The metrics, as the service's `/metrics` endpoint would serve them.
    let registry = prometheus::Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()?;
    let provider = SdkMeterProvider::builder().with_reader(exporter).build();
    arn_client::metrics::register(&client, &provider);

    client.preflight(Instant::now() + Duration::from_secs(30))?;
    println!("ready: a token for the receiver and a user delegation key");
    client.close(Instant::now() + Duration::from_secs(30))?;
    let mut text = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut text)?;
    print!("{}", String::from_utf8(text)?);
    Ok(())
}
