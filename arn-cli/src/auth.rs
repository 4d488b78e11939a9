//! Credentials for `arn send`: a static bearer token (the local receiver, or a token
//! obtained elsewhere), or one of the `azure_identity` credentials, whose requests go
//! through arn-client's blocking ureq HTTP client (no async runtime).

use std::sync::Arc;

use arn_client::testing::{AzuriteCredential, StaticTokenCredential};
use arn_client::transport::UreqHttpClient;
use azure_core::credentials::TokenCredential;
use azure_identity::{
    AzureCliCredential, ClientAssertionCredentialOptions, ClientSecretCredential,
    ClientSecretCredentialOptions, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId, WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};

/// Where a token comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthKind {
    /// A static bearer token: `--token` or `ARN_TOKEN` (e.g. the one `arn receive`
    /// prints).
    Token,
    /// The Azure CLI's signed-in account (`az login`).
    AzureCli,
    /// The managed identity of the VM, App Service or pod (user-assigned with
    /// `AZURE_CLIENT_ID`).
    ManagedIdentity,
    /// Workload identity federation (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_FEDERATED_TOKEN_FILE`, as set in an AKS pod).
    WorkloadIdentity,
    /// A service principal's secret from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
    /// `AZURE_CLIENT_SECRET`.
    ClientSecret,
    /// The fixed development token Azurite accepts (storage only).
    Azurite,
}

/// Builds the credential of `kind`; `token` is the static token for
/// [`AuthKind::Token`]. Errors are one-line messages for the user.
pub fn credential(
    kind: AuthKind,
    token: Option<&str>,
    http: &Arc<UreqHttpClient>,
) -> Result<Arc<dyn TokenCredential>, String> {
    let sdk = |what: &str, e: azure_core::Error| format!("{what} credential: {e}");
    match kind {
        AuthKind::Token => match token {
            Some(t) if !t.is_empty() => Ok(StaticTokenCredential::new(t).shared()),
            _ => Err("--auth token needs a token: set ARN_TOKEN or pass --token".into()),
        },
        AuthKind::AzureCli => {
            let c = AzureCliCredential::new(None).map_err(|e| sdk("Azure CLI", e))?;
            Ok(c)
        }
        AuthKind::ManagedIdentity => {
            let options = ManagedIdentityCredentialOptions {
                user_assigned_id: std::env::var("AZURE_CLIENT_ID")
                    .ok()
                    .map(UserAssignedId::ClientId),
                client_options: http.client_options(),
            };
            let c = ManagedIdentityCredential::new(Some(options))
                .map_err(|e| sdk("managed identity", e))?;
            Ok(c)
        }
        AuthKind::WorkloadIdentity => {
            let options = WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: http.client_options(),
                },
                ..Default::default()
            };
            let c = WorkloadIdentityCredential::new(Some(options))
                .map_err(|e| sdk("workload identity", e))?;
            Ok(c)
        }
        AuthKind::ClientSecret => {
            let var = |name: &str| std::env::var(name).map_err(|_| format!("set {name}"));
            let (tenant, client, secret) = (
                var("AZURE_TENANT_ID")?,
                var("AZURE_CLIENT_ID")?,
                var("AZURE_CLIENT_SECRET")?,
            );
            let options = ClientSecretCredentialOptions {
                client_options: http.client_options(),
            };
            let c = ClientSecretCredential::new(&tenant, client, secret.into(), Some(options))
                .map_err(|e| sdk("client secret", e))?;
            Ok(c)
        }
        AuthKind::Azurite => Ok(Arc::new(AzuriteCredential::new())),
    }
}
