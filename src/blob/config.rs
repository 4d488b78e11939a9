//! The blob store's configuration.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azure_core::credentials::TokenCredential;

use super::key::KeySchedule;
use super::naming::{validate_ext, Clock};
use super::store::AzureBlobStore;
use crate::transport::{Proxy, UreqHttpClient, UreqHttpClientBuilder};
use crate::Error;

/// Configures an [`AzureBlobStore`]: the storage account, the Azure AD credential
/// and the container name extension.
///
/// Proxies: by default the store reads `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` and
/// `NO_PROXY` (or their lowercase forms) once, when it is built, and sends every
/// storage request through a `CONNECT` tunnel unless `NO_PROXY` names the account's
/// host; [`BlobConfig::proxy`] overrides the environment. The rules are in [`Proxy`].
///
/// ```no_run
/// # fn f(credential: std::sync::Arc<dyn azure_core::credentials::TokenCredential>) -> Result<(), arn_client::Error> {
/// use arn_client::blob::BlobConfig;
/// let store = BlobConfig::new("https://myaccount.blob.core.windows.net", credential)
///     .container_ext("aks")
///     .build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
#[must_use = "a configuration does nothing until it is built or given to ClientBuilder::blob_storage"]
pub struct BlobConfig {
    pub(crate) endpoint: String,
    pub(crate) credential: Arc<dyn TokenCredential>,
    pub(crate) container_ext: Option<String>,
    /// The HTTP client the SDK sends through (trusted roots, timeouts).
    pub(crate) http: UreqHttpClientBuilder,
    pub(crate) schedule: KeySchedule,
    pub(crate) clock: Clock,
}

impl fmt::Debug for BlobConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobConfig")
            .field("endpoint", &crate::secret::strip_query(&self.endpoint))
            .field("container_ext", &self.container_ext)
            .field("http", &self.http)
            .field("key_refresh_interval", &self.schedule.refresh_interval)
            .finish_non_exhaustive()
    }
}

impl BlobConfig {
    /// A configuration for the blob service at `endpoint`
    /// (`https://{account}.blob.core.windows.net`, or a path-style URL
    /// `https://127.0.0.1:PORT/{account}` for an emulator), authenticated with
    /// `credential` (which also signs the user delegation key request).
    pub fn new(endpoint: impl Into<String>, credential: Arc<dyn TokenCredential>) -> Self {
        Self {
            endpoint: endpoint.into(),
            credential,
            container_ext: None,
            http: UreqHttpClient::builder(),
            schedule: KeySchedule {
                refresh_interval: Duration::from_secs(23 * 3600),
                retry_initial: Duration::from_secs(1),
                retry_max: Duration::from_secs(300),
            },
            clock: Arc::new(SystemTime::now),
        }
    }

    /// Puts `ext` in container names: `arm-ext-nt-{ext}-YYYY-MM-DD-H`. Lower-cased, then
    /// it must match `^[a-z0-9-]{1,41}$`, or `build()` fails with [`Error::Config`].
    /// Defaults to no extension (`arm-ext-nt-YYYY-MM-DD-H`).
    pub fn container_ext(mut self, ext: impl Into<String>) -> Self {
        self.container_ext = Some(ext.into());
        self
    }

    /// Trusts this root certificate (PEM, possibly several blocks, or DER) INSTEAD of
    /// the built-in webpki roots, as [`ReceiverConfig::add_root_certificate`] (for a
    /// local emulator with a generated certificate). Defaults to none: the built-in
    /// roots.
    ///
    /// [`ReceiverConfig::add_root_certificate`]: crate::transport::ReceiverConfig::add_root_certificate
    pub fn add_root_certificate(mut self, pem_or_der: impl AsRef<[u8]>) -> Self {
        self.http = self.http.add_root_certificate(pem_or_der);
        self
    }

    /// Limits one HTTP exchange with the storage service (the SDK may retry within an
    /// upload's deadline). Defaults to 30 seconds.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.request_timeout(timeout);
        self
    }

    /// Limits establishing a connection. Defaults to 10 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.connect_timeout(timeout);
        self
    }

    /// The HTTP proxy to the storage account: [`Proxy::url`] (every request through
    /// it), [`Proxy::none`] (direct), or [`Proxy::from_env`] (`HTTPS_PROXY`,
    /// `NO_PROXY`, ... read when the store is built). Defaults to
    /// [`Proxy::from_env`]. The credential's token requests go through its own HTTP
    /// client (see [`UreqHttpClientBuilder::proxy`]).
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.http = self.http.proxy(proxy);
        self
    }

    /// How often the user delegation key (valid 7 days) is renewed in the background.
    /// Defaults to 23 hours (`docs/protocol.md` section 7).
    pub fn key_refresh_interval(mut self, interval: Duration) -> Self {
        self.schedule.refresh_interval = interval;
        self
    }

    /// The first and the longest delay between failed key requests (doubling in
    /// between). Defaults to 1 second and 5 minutes.
    pub fn key_retry_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.schedule.retry_initial = initial;
        self.schedule.retry_max = max.max(initial);
        self
    }

    /// The clock that picks the hourly container (for tests that must not depend on
    /// the hour changing); key and SAS times always use the system clock.
    /// Defaults to [`SystemTime::now`].
    pub fn clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the configuration and builds the store. Does not touch the network:
    /// the first user delegation key is requested on a background thread (see
    /// [`AzureBlobStore::preflight`] to wait for it).
    pub fn build(self) -> Result<AzureBlobStore, Error> {
        let container_ext = self
            .container_ext
            .as_deref()
            .map(validate_ext)
            .transpose()?;
        if self.schedule.refresh_interval.is_zero() || self.schedule.retry_initial.is_zero() {
            return Err(Error::Config(
                "key refresh interval and backoff must be positive".into(),
            ));
        }
        let http = Arc::new(self.http.build()?);
        AzureBlobStore::new(
            &self.endpoint,
            self.credential,
            self.schedule,
            self.clock,
            container_ext,
            http,
        )
    }
}
