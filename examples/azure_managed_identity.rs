//! The real-Azure configuration: a managed identity (system-assigned, or user-assigned
//! with `AZURE_CLIENT_ID`) for both the ARN receiver and Blob Storage, with every Azure
//! SDK request sent through arn-client's ureq `HttpClient` (no tokio anywhere).
//!
//! Needs Azure (an App Service, VM or AKS pod with a managed identity), so CI only
//! builds it:
//!
//! ```text
//! ARN_ENDPOINT=https://<receiver> ARN_STORAGE_URL=https://<account>.blob.core.windows.net \
//!     cargo run --example azure_managed_identity
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::auth::{install_blocking_runtime, Cloud};
use arn_client::blob::BlobConfig;
use arn_client::model::{
    Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
};
use arn_client::transport::{ReceiverConfig, UreqHttpClient};
use arn_client::Client;
use azure_core::credentials::TokenCredential;
use azure_identity::{ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId};

fn env(name: &str) -> Result<String, Box<dyn std::error::Error>> {
    std::env::var(name).map_err(|_| format!("set {name}").into())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The Azure SDK's sleeps and spawns on OS threads. Call this first, before any SDK
    // use; an application that installed its own runtime skips it.
    install_blocking_runtime()?;

    // Every SDK request (the managed identity token endpoint, blob storage) goes
    // through one blocking ureq client.
    let http = Arc::new(UreqHttpClient::builder().build()?);
    let options = ManagedIdentityCredentialOptions {
        user_assigned_id: std::env::var("AZURE_CLIENT_ID")
            .ok()
            .map(UserAssignedId::ClientId),
        client_options: http.client_options(),
    };
    let credential: Arc<dyn TokenCredential> = ManagedIdentityCredential::new(Some(options))?;

    let receiver = ReceiverConfig::new(env("ARN_ENDPOINT")?, Arc::clone(&credential))
        .cloud(Cloud::AzurePublic)
        .timeout(Duration::from_secs(30));
    let blob = BlobConfig::new(env("ARN_STORAGE_URL")?, credential).container_ext("example");
    // Validates both configurations; no network until the first notification (the first
    // user delegation key is requested in the background).
    let client = Client::builder(receiver)
        .blob_storage(blob)
        .compression(true)
        .workers(8)
        .build()?;

    let id = ResourceId::parse(&env("ARN_RESOURCE_ID")?)?;
    let properties = serde_json::json!({ "example": true });
    let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &properties)?;
    let n = Notification::new(
        env("ARN_LOCATION").unwrap_or_else(|_| "eastus".into()),
        id.resource_type().namespace().to_string(),
        vec![NotificationResource::new(arm, ChangeAction::Update)],
    );
    client.notify(n)?;
    println!("notification accepted");
    client.close(Instant::now() + Duration::from_secs(30))?;
    Ok(())
}
