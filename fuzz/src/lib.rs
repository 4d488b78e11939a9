//! What the fuzz targets share: the client's zlib compressor, compiled from its sources.
//!
//! The compressor (`src/compress.rs` and its own deflate in `src/compress/`) is private
//! to arn-client. Rather than a fuzz-only API in the library, this crate compiles the
//! same source files (`#[path]`), so the target fuzzes exactly the code the client
//! runs, size cut-over included, and the library exposes nothing for it.

/// What `src/compress.rs` calls `crate::Error`: the client's error.
pub use arn_client::Error;

/// The library's source folder, so that `compress.rs` finds its submodules in
/// `compress/` as it does there.
#[allow(dead_code)]
#[path = "../../src"]
mod client {
    pub(crate) mod compress;
}

use client::compress;

/// The client's reusable zlib compressor: its own deflate for bodies of one window
/// (32 kB) or less, zlib-rs above.
#[derive(Default)]
pub struct Zlib(compress::Compressor);

impl Zlib {
    /// Compresses `input` into `out` (replacing what it held) as one zlib stream.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        compress::zlib(&mut self.0, input, out)
    }
}
