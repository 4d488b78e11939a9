//! The event encoder (`arn-protocol.md` sections 1 and 3). STUB: to be implemented.

use super::Notification;
use crate::Error;

/// Resources JSON shorter than this goes inline (the Go constant `InlineSize`).
pub const DEFAULT_INLINE_THRESHOLD: usize = 42_000;

/// `additionalBatchProperties.sdkVersion` of every event this crate sends.
pub const SDK_VERSION: &str = concat!("rust@", env!("CARGO_PKG_VERSION"));

/// Encodes notifications into event bytes.
#[derive(Clone, Debug)]
pub struct Encoder {
    inline_threshold: usize,
}

impl Default for Encoder {
    fn default() -> Self {
        Self {
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
        }
    }
}

/// Reusable buffers for encoding: keep one per worker.
#[derive(Debug, Default)]
pub struct EncodeBuf {
    resources: Vec<u8>,
    event: Vec<u8>,
}

/// The result of [`Encoder::encode`].
#[derive(Debug)]
pub enum Encoded<'b> {
    /// The notification has no resources: nothing to send.
    Empty,
    /// The whole event, resources inline.
    Inline(&'b [u8]),
    /// The resources go to blob storage first.
    Blob(PendingBlob<'b>),
}

/// A notification whose resources must be uploaded before its event can be built.
#[derive(Debug)]
pub struct PendingBlob<'b> {
    buf: &'b mut EncodeBuf,
}

impl Encoder {
    /// An encoder with the given inline threshold (bytes).
    pub fn new(inline_threshold: usize) -> Self {
        Self { inline_threshold }
    }

    /// Validates and encodes `n` into `buf`.
    pub fn encode<'b>(
        &self,
        n: &Notification,
        buf: &'b mut EncodeBuf,
    ) -> Result<Encoded<'b>, Error> {
        let _ = (n, self.inline_threshold);
        Ok(Encoded::Inline(&buf.event))
    }
}

impl<'b> PendingBlob<'b> {
    /// The resources JSON to upload.
    pub fn resources(&self) -> &[u8] {
        &self.buf.resources
    }

    /// The event bytes, once the blob's read URL is known.
    pub fn finish(self, blob_uri: &str) -> &'b [u8] {
        let _ = blob_uri;
        &self.buf.event
    }
}
