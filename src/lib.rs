//! # arn-client
//!
//! A runtime-free, blocking client that publishes Azure Resource Notifications (ARN,
//! schema v3). Services that own Azure resources use it to tell ARN that a resource was
//! created, updated, deleted, moved or is still there (snapshot).
//!
//! No async runtime: a fixed pool of OS worker threads validates, encodes, compresses
//! and sends notifications, so the client fits any ordinary Rust program.
//!
//! # Getting started
//!
//! Build a notification, build a client, send it, read the delivery report, close.
//! This example talks to the local HTTPS receiver of the `testing` feature (real TLS
//! on 127.0.0.1); on Azure, the credential is an `azure_identity` one (added with
//! `default-features = false`: its defaults bring tokio; the README's "The client on
//! Azure" has the snippet) and the URL your ARN receiver's (see [`Client::builder`]).
//!
//! ```
//! # #[cfg(feature = "testing")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::{Duration, Instant};
//!
//! use arn_client::model::{
//!     Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
//! };
//! use arn_client::testing::{ArnReceiver, StaticTokenCredential};
//! use arn_client::transport::ReceiverConfig;
//! use arn_client::Client;
//!
//! // 1. A notification: one AKS node, still there as described (a snapshot).
//! let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000\
//!     /resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc\
//!     /nodes/aks-nodepool1-0"
//!     .parse()?;
//! let properties = serde_json::json!({ "ready": true });
//! let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &properties)?;
//! let notification = Notification::new(
//!     "eastus",
//!     "Microsoft.ContainerService",
//!     vec![NotificationResource::new(arm, ChangeAction::Update)],
//! );
//!
//! // 2. A client for a receiver (here the local one, which expects this token).
//! let receiver = ArnReceiver::start("dev-token")?;
//! let credential = StaticTokenCredential::new("dev-token").shared();
//! let config = ReceiverConfig::new(receiver.url(), credential)
//!     .add_root_certificate(receiver.certificate_pem());
//! let client = Client::builder(config).compression(true).build()?;
//!
//! // 3. Send it and read the delivery report. On failure, `notify` returns a
//! //    `Failure` that hands the notification back.
//! let report = client.notify(notification)?;
//! println!(
//!     "event {}: {} bytes, {} on the wire, {} attempt(s), {:?}",
//!     report.event_id, report.event_bytes, report.sent_bytes, report.attempts, report.elapsed,
//! );
//! assert!(report.inline);
//!
//! // 4. Close: stop accepting, let queued notifications finish by the deadline.
//! client.close(Instant::now() + Duration::from_secs(10))?;
//! assert_eq!(receiver.events().len(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "testing"))]
//! # fn main() {}
//! ```
//!
//! `examples/local_receiver.rs` is the same development loop as a program
//! (`cargo run --example local_receiver`), and `examples/quickstart.rs` a longer tour.
//!
//! # The main types
//!
//! - [`model`]: the ARN v3 model: [`ResourceId`](model::ResourceId) (ARM resource ids,
//!   parsed as the Azure SDKs do), [`Notification`](model::Notification),
//!   [`NotificationResource`](model::NotificationResource) and
//!   [`ArmResource`](model::ArmResource), validation, the subject, and the
//!   [`Encoder`](model::Encoder) of the event envelope.
//! - [`Client`], built by a [`ClientBuilder`]: three ways to submit:
//!   [`Client::notify`] blocks and returns a [`Delivery`] report or a [`Failure`];
//!   [`Client::send_async`] returns a [`Promise`]; [`Client::submit`] is
//!   fire-and-forget, its failures arriving on [`Errors`] ([`Client::errors`]). A
//!   refused submission is a [`SubmitError`], which also hands the notification back.
//!   A [`Publisher`](publisher::Publisher)'s changes end in the same types
//!   (`Failure<Change>`, `SubmitError<Change>`, `Errors<Failure<Change>>`) and take
//!   their promises from the client's pool.
//!   [`Error`] is the crate's one error type; [`Stats`] its counters.
//! - [`transport`]: the ARN receiver ([`ReceiverConfig`](transport::ReceiverConfig)),
//!   retries ([`RetryPolicy`](transport::RetryPolicy)) and the narrow blocking traits
//!   the client sends through.
//! - [`blob`]: Azure Blob Storage for notifications too large to go inline
//!   ([`BlobConfig`](blob::BlobConfig), optional: see [`ClientBuilder::blob_storage`]).
//! - [`auth`]: clouds and token scopes ([`Cloud`](auth::Cloud)), the token cache.
//!
//! # Feature flags
//!
//! None is on by default.
//!
//! - `receiver`: the `arn_client::testing` module's local HTTPS ARN receiver
//!   (`ArnReceiver`, real TLS with a generated certificate), a static token credential
//!   and a local Azurite for blob storage. The `arn` command line tool's `receive` uses
//!   it. For development and tests, not for production.
//! - `testing`: `receiver`, plus scripted fakes of the transport seam
//!   (`FakeTransport`). For tests, examples and benchmarks.
//! - `opentelemetry`: OpenTelemetry metrics, the `arn_client::metrics` module: the
//!   reference client's five instruments (`arn_sdk_event_sent`,
//!   `arn_sdk_event_sent_bytes`, `arn_sdk_event_sent_ms`, `arn_sdk_promise`,
//!   `arn_sdk_current_promise_count`), registered on a `MeterProvider` you supply and
//!   fed from the same counters as [`Stats`]. Only the OpenTelemetry API crate, no
//!   async runtime.
//!
//! # The wire contract
//!
//! What goes on the wire (the HTTP request, the event envelope, validation, the
//! subject, resource ids, blob storage, ordering, metrics) is described in the
//! repository's `docs/protocol.md`, which follows the reference Go client
//! (`github.com/Azure/arn-sdk`) and says where this crate deliberately differs. The
//! API docs cite it as "`docs/protocol.md` section N".
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

mod batch;
mod builder;
mod client;
mod compress;
mod config;
mod delivery;
mod error;
mod failure;
mod hook;
mod promise;
mod sanitize;
mod scheduler;
mod sdk_call;
mod secret;
mod stats;
mod worker;

pub mod auth;
pub mod blob;
#[cfg(feature = "opentelemetry")]
#[cfg_attr(docsrs, doc(cfg(feature = "opentelemetry")))]
pub mod metrics;
pub mod model;
pub mod publisher;
#[cfg(feature = "receiver")]
#[cfg_attr(docsrs, doc(cfg(feature = "receiver")))]
pub mod testing;
pub mod transport;

pub use builder::ClientBuilder;
pub use client::Client;
pub use config::OrderBy;
pub use delivery::Delivery;
pub use error::{Cause, Error, Sent};
pub use failure::{Errors, Failure, SubmitError};
pub use promise::Promise;
pub use secret::{SecretString, SecretUrl};
pub use stats::{LatencyHistogram, Stats, LATENCY_BUCKETS_MS};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
