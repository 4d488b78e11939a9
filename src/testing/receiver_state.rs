//! What the local receiver shares with its connection threads: the script of faults,
//! the log of requests and accepted events, and the state behind both.

use std::collections::{HashMap, VecDeque};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};
use serde_json::Value;

use crate::model::Notification;

/// A scripted answer to one `POST /arnnotify`, taken from the queue in order; once the
/// queue is empty every request is handled normally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status (200 means: handle normally).
    Status(u16),
    /// Answer with this status and a `Retry-After` header value.
    StatusRetryAfter(u16, String),
    /// Close the connection without a response, after reading the whole request (the
    /// client sees the connection closed once its request went out: [`Sent::NoAnswer`]).
    ///
    /// [`Sent::NoAnswer`]: crate::Sent::NoAnswer
    Reset,
    /// Close the connection as soon as the request's head is read, its body unread
    /// (the kernel then resets it). A body larger than the socket buffers cannot go
    /// out whole: the client sees [`Sent::Never`]. Only from the general queue
    /// ([`ArnReceiver::script`](super::ArnReceiver::script)), for `POST /arnnotify`; the request is logged with no
    /// status and an empty body.
    ///
    /// [`Sent::Never`]: crate::Sent::Never
    ResetBeforeBody,
    /// Hold the connection without answering until [`ArnReceiver::release_stalled`](super::ArnReceiver::release_stalled),
    /// the receiver's drop or 30 s, then close it without a response.
    Stall,
}

/// One request as it arrived (every request, accepted or not).
#[derive(Clone, Debug)]
pub struct ReceivedRequest {
    /// 0-based arrival order among all requests.
    pub order: u64,
    /// The request path.
    pub path: String,
    /// The status answered; `None` for a reset or stalled request.
    pub status: Option<u16>,
    /// The body as sent (compressed when `compressed`).
    pub body: Vec<u8>,
    /// Whether `Content-Encoding: deflate` was set.
    pub compressed: bool,
    /// The `publisherinfo` header.
    pub publisher_info: Option<String>,
    /// When the whole request had been read.
    pub arrived: Instant,
    /// When its answer was decided (just before it was written), or the connection
    /// closed for a reset or stalled request.
    pub answered: Instant,
}

/// An event the receiver accepted (answered 200).
#[derive(Clone, Debug)]
pub struct AcceptedEvent {
    /// 0-based order among accepted events.
    pub order: u64,
    /// The order of the request that carried it (see [`ReceivedRequest::order`]).
    pub request: u64,
    /// When it arrived.
    pub arrived: Instant,
    /// The `publisherinfo` header.
    pub publisher_info: String,
    /// Whether the body was zlib-compressed.
    pub compressed: bool,
    /// Whether the resources were inline (`false`: fetched from `blobUri`).
    pub inline: bool,
    /// The event JSON (inflated).
    pub event: Value,
    /// The resources: inline, or fetched from the blob.
    pub resources: Vec<Value>,
    /// The notification, parsed and validated with the crate's model
    /// ([`ReceivedEvent::into_validated`](crate::model::ReceivedEvent::into_validated)).
    pub notification: Notification,
}

impl AcceptedEvent {
    /// The `resourceId` of each resource, in order.
    pub fn resource_ids(&self) -> Vec<String> {
        self.resources
            .iter()
            .map(|r| r["resourceId"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

#[derive(Default)]
pub(super) struct Log {
    pub(super) requests: Vec<ReceivedRequest>,
    pub(super) events: Vec<AcceptedEvent>,
    pub(super) stalled: usize,
}

pub(super) struct Inner {
    pub(super) token: String,
    pub(super) shutdown: AtomicBool,
    pub(super) script: Mutex<VecDeque<Fault>>,
    pub(super) targeted: Mutex<Vec<(String, VecDeque<Fault>)>>,
    pub(super) latency_us: AtomicU64,
    pub(super) log: Mutex<Log>,
    pub(super) changed: Condvar,
    pub(super) released: Mutex<u64>,
    pub(super) release: Condvar,
    pub(super) conns: Mutex<HashMap<u64, TcpStream>>,
    pub(super) threads: Mutex<Vec<JoinHandle<()>>>,
    pub(super) next_conn: AtomicU64,
    pub(super) blob_agent: ureq::Agent,
    pub(super) blobs: Mutex<HashMap<String, Vec<u8>>>,
}
