//! # arn-client
//!
//! A runtime-free, blocking client that publishes Azure Resource Notifications (ARN,
//! schema v3). Services that own Azure resources use it to tell ARN that a resource was
//! created, updated, deleted, moved or is still there (snapshot).
//!
//! - [`model`]: the ARN v3 model (ARM resource ids, notifications, validation, the
//!   event envelope and its encoder).
//! - [`Client`]: a fixed pool of OS worker threads that validate, encode, compress and
//!   send notifications (blocking `notify`, promises, or fire-and-forget).
//! - [`transport`]: the narrow blocking seam to the network (the ARN receiver, blob
//!   storage, tokens) and its real implementations.
//!
//! The wire contract follows `arn-protocol.md` (the reference Go client's protocol
//! notes); rules taken from it cite its sections.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
mod config;
mod delivery;
mod error;
mod failure;
mod promise;
mod scheduler;
mod secret;
mod stats;
mod worker;

pub mod auth;
pub mod blob;
pub mod model;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;

pub use client::Client;
pub use config::{ClientBuilder, OrderBy};
pub use delivery::Delivery;
pub use error::{Error, SubmitError};
pub use failure::{Errors, Failure};
pub use promise::Promise;
pub use secret::{SecretString, SecretUrl};
pub use stats::{LatencyHistogram, Stats, LATENCY_BUCKETS_MS};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
