//! A POST between tries: what a worker keeps of a send whose try failed and will be
//! retried, while the scheduler holds the notification for the backoff instead of a
//! sleeping worker (a batch waiting out 0.8 s then holds up only its own resources,
//! not a fourth of a 4-worker client: `benches/publish.rs`, the fault rows).

use std::time::Instant;

use uuid::Uuid;

use super::retry::Tries;

/// The event as it was first sent (byte for byte, the next try sends the same) and
/// the tries so far.
#[derive(Debug)]
pub(crate) struct Resend {
    /// The request body, zlib data when `compressed`.
    pub(crate) body: Vec<u8>,
    pub(crate) compressed: bool,
    pub(crate) event: SentEvent,
}

/// What is known of an event once its first try started.
#[derive(Debug)]
pub(crate) struct SentEvent {
    /// Whether the resources went inline (else in a blob the body points to).
    pub(crate) inline: bool,
    /// The event's size before compression.
    pub(crate) event_bytes: usize,
    /// The event's id.
    pub(crate) id: Uuid,
    /// When the first try started.
    pub(crate) start: Instant,
    pub(crate) tries: Tries,
}
