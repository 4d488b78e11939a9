//! Large payloads through Azure Blob Storage (`docs/protocol.md` section 7).
//!
//! Resources whose JSON is 42,000 bytes or more are uploaded as a block blob
//! `{uuid}.txt` into a container per UTC hour (`arm-ext-nt-[{ext}-]YYYY-MM-DD-H`), and
//! the event carries a read-only user delegation SAS URL to it. [`BlobConfig`] builds
//! an [`AzureBlobStore`], the real [`BlobStore`](crate::transport::BlobStore), on the
//! official `azure_storage_blob` 1.x crates, driven without an async runtime.

mod config;
mod key;
mod naming;
mod sas;
mod sdk_error;
mod store;

pub use config::BlobConfig;
pub use key::KeyStatus;
pub use naming::container_name;
pub use store::AzureBlobStore;
