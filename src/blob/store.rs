//! The Azure Blob Storage implementation of [`BlobStore`] (`docs/protocol.md` section 7).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use azure_core::credentials::TokenCredential;
use azure_core::http::RequestContent;
use azure_core::Bytes;
use azure_storage_blob::models::{KeyInfo, StorageErrorCode};
use azure_storage_blob::{BlobServiceClient, BlobServiceClientOptions};
use azure_storage_common::models::UserDelegationKey;
use futures::executor::block_on;
use parking_lot::Mutex;
use time::OffsetDateTime;

use super::key::{spawn_refresher, FetchKey, KeyCache, KeySchedule, KeyStatus, Refresher};
use super::naming::{blob_name, container_name, Clock};
use super::sas::{blob_sas_url, SAS_LIFETIME};
use super::sdk_error::{error_code, map_sdk_error};
use crate::sdk_call::with_deadline;
use crate::transport::{BlobStore, UreqHttpClient};
use crate::{Error, SecretUrl};

/// How many container names to remember as created.
const REMEMBERED_CONTAINERS: usize = 64;

/// Uploads large resource payloads to Azure Blob Storage (official
/// `azure_storage_blob` 1.x through [`UreqHttpClient`], no async runtime) and returns
/// read-only user delegation SAS URLs.
///
/// Build it with [`BlobConfig::build`](super::BlobConfig::build). Dropping it (a
/// client drops its store when it is dropped) or [`AzureBlobStore::close`] stops the
/// key refresher thread and joins it (when a key request is in flight, the thread
/// ends when that request does, bounded by its 120 s budget, and is not waited for).
pub struct AzureBlobStore {
    inner: Arc<Inner>,
    refresher: Mutex<Refresher>,
}

struct Inner {
    service: Arc<BlobServiceClient>,
    service_url: String,
    account: String,
    container_ext: Option<String>,
    keys: Arc<KeyCache>,
    clock: Clock,
    fetch: Arc<FetchKey>,
    created: Mutex<HashSet<String>>,
    containers_created: Mutex<u64>,
}

impl fmt::Debug for AzureBlobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureBlobStore")
            .field("service_url", &self.inner.service_url)
            .field("container_ext", &self.inner.container_ext)
            .finish_non_exhaustive()
    }
}

impl AzureBlobStore {
    /// The store for the blob service at `endpoint`, with keys from `credential`
    /// refreshed on `schedule`, containers named by `clock` and `container_ext`.
    pub(crate) fn new(
        endpoint: &str,
        credential: Arc<dyn TokenCredential>,
        schedule: KeySchedule,
        clock: Clock,
        container_ext: Option<String>,
        http: Arc<UreqHttpClient>,
    ) -> Result<Self, Error> {
        let (url, account) = parse_endpoint(endpoint)?;
        let options = BlobServiceClientOptions {
            client_options: http.client_options(),
            ..Default::default()
        };
        let service = BlobServiceClient::new(url.clone(), Some(credential), Some(options))
            .map(Arc::new)
            .map_err(|e| Error::Config(format!("blob service client: {}", e.kind())))?;
        let keys = Arc::new(KeyCache::new());
        let fetch: Arc<FetchKey> = {
            let service = service.clone();
            Arc::new(move |deadline| fetch_key(&service, deadline))
        };
        let refresher = spawn_refresher(keys.clone(), fetch.clone(), schedule)?;
        log::debug!(
            "blob store for {} built; requesting the first user delegation key",
            url.as_str()
        );
        Ok(Self {
            inner: Arc::new(Inner {
                service,
                service_url: url.as_str().trim_end_matches('/').to_owned(),
                account,
                container_ext,
                keys,
                clock,
                fetch,
                created: Mutex::new(HashSet::new()),
                containers_created: Mutex::new(0),
            }),
            refresher: Mutex::new(refresher),
        })
    }

    /// Requests a user delegation key now and installs it, returning the request's
    /// error if it fails (for services that want to fail fast at startup: a missing
    /// role assignment answers [`Error::Blob`] with status 403).
    pub fn preflight(&self, deadline: Instant) -> Result<(), Error> {
        let key = (self.inner.fetch)(deadline)?;
        self.inner.keys.install(key);
        Ok(())
    }

    /// The user delegation key's state (keys obtained, failures, expiry).
    pub fn key_status(&self) -> KeyStatus {
        self.inner.keys.status()
    }

    /// Waits until `pred` holds for the key's state, or `timeout` passes (then
    /// `None`). For monitoring and tests.
    pub fn wait_key_status(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&KeyStatus) -> bool,
    ) -> Option<KeyStatus> {
        self.inner
            .keys
            .wait_status(Instant::now() + timeout, &mut pred)
    }

    /// How many containers this store created (a `ContainerAlreadyExists` answer
    /// counts too).
    pub fn containers_created(&self) -> u64 {
        *self.inner.containers_created.lock()
    }

    /// Stops the key refresher and joins it (see the type's docs); later uploads fail
    /// with [`Error::Closed`]. Idempotent.
    pub fn close(&self) {
        self.refresher.lock().stop();
    }

    /// The container a blob written now goes to.
    pub fn current_container(&self) -> String {
        container_name(self.inner.container_ext.as_deref(), (self.inner.clock)())
    }
}

impl Drop for AzureBlobStore {
    fn drop(&mut self) {
        self.refresher.get_mut().stop();
    }
}

impl BlobStore for AzureBlobStore {
    /// Requests a user delegation key now ([`AzureBlobStore::preflight`]).
    fn preflight(&self, deadline: Instant) -> Result<(), Error> {
        AzureBlobStore::preflight(self, deadline)
    }

    /// Stops and joins the key refresher ([`AzureBlobStore::close`]).
    fn close(&self) {
        AzureBlobStore::close(self)
    }

    fn upload(&self, resources: &[u8], deadline: Instant) -> Result<SecretUrl, Error> {
        let inner = &*self.inner;
        let key = inner.keys.current(deadline)?;
        let container = container_name(inner.container_ext.as_deref(), (inner.clock)());
        let blob = blob_name();
        let body = Bytes::copy_from_slice(resources);
        with_deadline(Some(deadline), || inner.put(&container, &blob, body))?;
        log::trace!("uploaded {} bytes to {container}/{blob}", resources.len());
        let now = OffsetDateTime::now_utc();
        blob_sas_url(
            &inner.service_url,
            &inner.account,
            &container,
            &blob,
            &key,
            now,
        )
    }
}

impl Inner {
    /// Uploads first; on `ContainerNotFound` creates the container and uploads again
    /// (`docs/protocol.md` section 7).
    fn put(&self, container: &str, blob: &str, body: Bytes) -> Result<(), Error> {
        let client = self
            .service
            .blob_client(container, blob)
            .block_blob_client();
        let first = block_on(client.upload(body.clone().into(), None));
        let Err(e) = first else { return Ok(()) };
        if error_code(&e) != Some(StorageErrorCode::ContainerNotFound.as_ref()) {
            return Err(map_sdk_error(e, "upload blob"));
        }
        self.create_container(container)?;
        block_on(client.upload(body.into(), None))
            .map(drop)
            .map_err(|e| map_sdk_error(e, "upload blob"))
    }

    fn create_container(&self, container: &str) -> Result<(), Error> {
        let client = self.service.blob_container_client(container);
        match block_on(client.create(None)) {
            Ok(_) => log::debug!("created blob container {container}"),
            Err(e) if error_code(&e) == Some(StorageErrorCode::ContainerAlreadyExists.as_ref()) => {
                log::debug!("blob container {container} already exists");
            }
            Err(e) => return Err(map_sdk_error(e, "create container")),
        }
        *self.containers_created.lock() += 1;
        let mut created = self.created.lock();
        if created.len() >= REMEMBERED_CONTAINERS {
            created.clear();
        }
        if !created.insert(container.to_owned()) {
            log::debug!("blob container {container} had to be created again");
        }
        Ok(())
    }
}

/// Requests a user delegation key valid from now (whole seconds, `KeyInfo`) for 7
/// days (`docs/protocol.md` section 7).
fn fetch_key(service: &BlobServiceClient, deadline: Instant) -> Result<UserDelegationKey, Error> {
    let now = OffsetDateTime::now_utc();
    let start = now.replace_nanosecond(0).unwrap_or(now);
    let info = KeyInfo {
        start: Some(start),
        expiry: Some(start + SAS_LIFETIME),
        ..Default::default()
    };
    let content =
        RequestContent::try_from(info).map_err(|e| map_sdk_error(e, "encode key request"))?;
    let response = with_deadline(Some(deadline), || {
        block_on(service.get_user_delegation_key(content, None))
    })
    .map_err(|e| map_sdk_error(e, "get user delegation key"))?;
    let key = response
        .into_model()
        .map_err(|e| map_sdk_error(e, "read user delegation key"))?;
    // Fail here rather than at every upload when the service left out a field.
    azure_storage_sas::SasBuilder::new("check", &key, start + SAS_LIFETIME).map_err(|_| {
        Error::Blob {
            status: None,
            code: None,
            request_id: None,
            message: "the user delegation key lacks a required field".into(),
        }
    })?;
    Ok(key)
}

/// Splits a blob service URL into its normalized form (no trailing slash, no query)
/// and the account name: the first path segment for a path-style URL
/// (`https://127.0.0.1:10000/devstoreaccount1`), else the first label of the host.
pub(crate) fn parse_endpoint(endpoint: &str) -> Result<(azure_core::http::Url, String), Error> {
    let bad = |why: &str| Error::Config(format!("invalid blob endpoint: {why}"));
    let mut url = azure_core::http::Url::parse(endpoint.trim()).map_err(|_| bad("not a URL"))?;
    if url.scheme() != "https" {
        return Err(bad("it must use https"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must have no query string or fragment"));
    }
    let path = url.path().trim_matches('/').to_owned();
    if path.contains('/') {
        return Err(bad("at most one path segment (the account) is allowed"));
    }
    let host = url.host_str().ok_or_else(|| bad("no host"))?.to_owned();
    let account = if path.is_empty() {
        host.split('.').next().unwrap_or_default().to_owned()
    } else {
        path.clone()
    };
    if account.is_empty() {
        return Err(bad("no account name"));
    }
    // a trailing slash would yield `//container`.
    url.set_path(&path);
    Ok((url, account))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_give_the_account() {
        let (u, a) = parse_endpoint("https://acct.blob.core.windows.net/").unwrap();
        assert_eq!(a, "acct");
        assert_eq!(
            u.as_str().trim_end_matches('/'),
            "https://acct.blob.core.windows.net"
        );
        let (u, a) = parse_endpoint("https://127.0.0.1:10000/devstoreaccount1/").unwrap();
        assert_eq!(a, "devstoreaccount1");
        assert_eq!(u.as_str(), "https://127.0.0.1:10000/devstoreaccount1");
    }

    #[test]
    fn bad_endpoints_are_config_errors() {
        for e in [
            "http://acct.blob.core.windows.net",
            "not a url",
            "https://acct.blob.core.windows.net/?sv=1",
            "https://h/a/b",
        ] {
            assert!(matches!(parse_endpoint(e), Err(Error::Config(_))), "{e}");
        }
    }
}
