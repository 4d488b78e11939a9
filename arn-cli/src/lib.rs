//! The library side of the `arn` binary: reading notification files ([`input`], with
//! the resume files' `# from` comments: [`origin`]). A
//! library target so that the fuzz targets in `fuzz/` can reach the input splitter;
//! not an API of its own.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod input;
pub mod origin;
