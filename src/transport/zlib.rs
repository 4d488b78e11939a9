//! [`Zlib`]: the client's compressor of event bodies, for callers that post events
//! themselves.

use crate::compress::{zlib, Compressor};
use crate::Error;

/// The client's zlib compressor for event bodies: what it sends with
/// `Content-Encoding: deflate` ([`EventPost::compressed`](super::EventPost::compressed)),
/// for callers that post events themselves
/// ([`post_with_retries`](super::post_with_retries)) and for the benches.
/// Keep one per thread and reuse it: once warm, compressing allocates nothing.
///
/// ```
/// use std::io::Read;
///
/// let event = br#"{"id":"00000000-0000-0000-0000-000000000001"}"#;
/// let mut zlib = arn_client::transport::Zlib::default();
/// let mut body = Vec::new();
/// zlib.compress(event, &mut body)?;
/// let mut back = Vec::new();
/// flate2::read::ZlibDecoder::new(&body[..]).read_to_end(&mut back)?;
/// assert_eq!(back, event);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Default)]
pub struct Zlib(Compressor);

impl Zlib {
    /// Compresses `input` into `out` (replacing what it held) as one zlib stream
    /// (RFC 1950); `out` keeps its capacity. Fails with [`Error::Encode`] only if
    /// zlib-rs fails.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        zlib(&mut self.0, input, out)
    }
}

impl std::fmt::Debug for Zlib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Zlib").finish_non_exhaustive()
    }
}
