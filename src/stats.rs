//! Client statistics: plain atomic counters and a snapshot type.
//!
//! They mirror the Go client's metrics (`docs/protocol.md` section 8): `event_sent`,
//! `event_sent_bytes` and `event_sent_ms`, each by success × inline, `promise` (error,
//! timeout) and `current_promise_count`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds (inclusive, milliseconds) of the send latency buckets; a last bucket
/// counts everything slower.
pub const LATENCY_BUCKETS_MS: [u64; 14] = [
    1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000,
];

const BUCKETS: usize = LATENCY_BUCKETS_MS.len() + 1;

/// The live counters, shared by the client, its workers and its promises.
///
/// `events`, `bytes` and `latency` are indexed `[success][inline]` (`usize::from(bool)`).
#[derive(Default)]
pub(crate) struct StatsInner {
    events: [[AtomicU64; 2]; 2],
    not_sent: AtomicU64,
    bytes: [[AtomicU64; 2]; 2],
    latency: [[[AtomicU64; BUCKETS]; 2]; 2],
    panics: AtomicU64,
    promises_active: AtomicI64,
    promises_completed: AtomicU64,
    promises_failed: AtomicU64,
    promises_timed_out: AtomicU64,
    errors_dropped: AtomicU64,
    throttle_pauses: AtomicU64,
    throttled_nanos: AtomicU64,
    throttled_tries: AtomicU64,
}

impl StatsInner {
    /// Records one event POST (after retries): its outcome, form, size and latency.
    /// `bytes` is the body posted, whether or not the receiver accepted it.
    pub(crate) fn event_sent(&self, ok: bool, inline: bool, bytes: usize, took: Duration) {
        let (s, i) = (usize::from(ok), usize::from(inline));
        self.events[s][i].fetch_add(1, Relaxed);
        self.bytes[s][i].fetch_add(bytes as u64, Relaxed);
        let ms = took.as_millis();
        let bucket = LATENCY_BUCKETS_MS
            .iter()
            .position(|&b| ms <= u128::from(b))
            .unwrap_or(BUCKETS - 1);
        self.latency[s][i][bucket].fetch_add(1, Relaxed);
    }

    /// A notification that failed before any POST (expired, invalid, upload failed).
    pub(crate) fn not_sent(&self) {
        self.not_sent.fetch_add(1, Relaxed);
    }

    pub(crate) fn panicked(&self) {
        self.panics.fetch_add(1, Relaxed);
    }

    pub(crate) fn promise_created(&self) {
        self.promises_active.fetch_add(1, Relaxed);
    }

    pub(crate) fn promise_dropped(&self) {
        self.promises_active.fetch_sub(1, Relaxed);
    }

    /// An outcome was handed to a promise's waiter; `failed` if it was a failure.
    pub(crate) fn promise_completed(&self, failed: bool) {
        self.promises_completed.fetch_add(1, Relaxed);
        if failed {
            self.promises_failed.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn promise_timed_out(&self) {
        self.promises_timed_out.fetch_add(1, Relaxed);
    }

    /// Counts one failure dropped because the errors channel was full; returns whether
    /// it was the first (so the caller warns once).
    pub(crate) fn error_dropped(&self) -> bool {
        self.errors_dropped.fetch_add(1, Relaxed) == 0
    }

    /// A `Retry-After` answer started or extended the client-wide pause by `added`.
    pub(crate) fn throttle_paused(&self, added: Duration) {
        self.throttle_pauses.fetch_add(1, Relaxed);
        let nanos = u64::try_from(added.as_nanos()).unwrap_or(u64::MAX);
        self.throttled_nanos.fetch_add(nanos, Relaxed);
    }

    /// A try waited for the client-wide pause before it started (or gave up).
    pub(crate) fn throttled_try(&self) {
        self.throttled_tries.fetch_add(1, Relaxed);
    }

    pub(crate) fn snapshot(&self, queue_depth: usize) -> Stats {
        let events = |ok: bool, inline: bool| {
            self.events[usize::from(ok)][usize::from(inline)].load(Relaxed)
        };
        let bytes =
            |ok: bool, inline: bool| self.bytes[usize::from(ok)][usize::from(inline)].load(Relaxed);
        let latency = |ok: bool, inline: bool| {
            let counters = &self.latency[usize::from(ok)][usize::from(inline)];
            LatencyHistogram {
                counts: std::array::from_fn(|i| counters[i].load(Relaxed)),
            }
        };
        let (bytes_sent_inline, bytes_sent_blob) = (bytes(true, true), bytes(true, false));
        let send_latency_sent_inline = latency(true, true);
        let send_latency_sent_blob = latency(true, false);
        let send_latency_failed_inline = latency(false, true);
        let send_latency_failed_blob = latency(false, false);
        let send_latency = LatencyHistogram {
            counts: std::array::from_fn(|i| {
                send_latency_sent_inline.counts[i]
                    + send_latency_sent_blob.counts[i]
                    + send_latency_failed_inline.counts[i]
                    + send_latency_failed_blob.counts[i]
            }),
        };
        Stats {
            events_sent_inline: events(true, true),
            events_sent_blob: events(true, false),
            events_failed_inline: events(false, true),
            events_failed_blob: events(false, false),
            not_sent: self.not_sent.load(Relaxed),
            bytes_sent: bytes_sent_inline + bytes_sent_blob,
            bytes_sent_inline,
            bytes_sent_blob,
            bytes_failed_inline: bytes(false, true),
            bytes_failed_blob: bytes(false, false),
            send_latency,
            send_latency_sent_inline,
            send_latency_sent_blob,
            send_latency_failed_inline,
            send_latency_failed_blob,
            panics: self.panics.load(Relaxed),
            promises_active: self.promises_active.load(Relaxed).max(0) as u64,
            promises_completed: self.promises_completed.load(Relaxed),
            promises_failed: self.promises_failed.load(Relaxed),
            promises_timed_out: self.promises_timed_out.load(Relaxed),
            errors_dropped: self.errors_dropped.load(Relaxed),
            throttle_pauses: self.throttle_pauses.load(Relaxed),
            throttled_for: Duration::from_nanos(self.throttled_nanos.load(Relaxed)),
            throttled_tries: self.throttled_tries.load(Relaxed),
            queue_depth,
        }
    }
}

/// A snapshot of a client's counters, from [`Client::stats`](crate::Client::stats).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Inline events the receiver accepted.
    pub events_sent_inline: u64,
    /// Blob events the receiver accepted.
    pub events_sent_blob: u64,
    /// Inline events whose POST failed (after retries).
    pub events_failed_inline: u64,
    /// Blob events whose POST failed (after retries).
    pub events_failed_blob: u64,
    /// Notifications that failed before any POST: expired in the queue, invalid, or
    /// their blob upload failed.
    pub not_sent: u64,
    /// Body bytes of accepted events (compressed size when compression is on):
    /// `bytes_sent_inline + bytes_sent_blob`.
    pub bytes_sent: u64,
    /// Body bytes of accepted inline events (compressed size when compression is on).
    pub bytes_sent_inline: u64,
    /// Body bytes of accepted blob events: the small event pointing to the blob, not
    /// the blob (compressed size when compression is on).
    pub bytes_sent_blob: u64,
    /// Body bytes posted for inline events whose POST failed (after retries; the
    /// body's size once, not once per try).
    pub bytes_failed_inline: u64,
    /// Body bytes posted for blob events whose POST failed (after retries; the body's
    /// size once, not once per try).
    pub bytes_failed_blob: u64,
    /// Latency of each send (blob upload plus POST with its retries), accepted or not:
    /// the sum of the four histograms below.
    pub send_latency: LatencyHistogram,
    /// Latency of the sends of accepted inline events.
    pub send_latency_sent_inline: LatencyHistogram,
    /// Latency of the sends of accepted blob events (blob upload included).
    pub send_latency_sent_blob: LatencyHistogram,
    /// Latency of the sends of inline events whose POST failed (after retries).
    pub send_latency_failed_inline: LatencyHistogram,
    /// Latency of the sends of blob events whose POST failed (after retries; blob
    /// upload included).
    pub send_latency_failed_blob: LatencyHistogram,
    /// Sends that panicked (each resolved with [`Error::Panicked`](crate::Error)).
    pub panics: u64,
    /// Promises handed out and not yet recycled or dropped.
    pub promises_active: u64,
    /// Outcomes handed to promise waiters.
    pub promises_completed: u64,
    /// Of those, the failures.
    pub promises_failed: u64,
    /// Promise waits ([`Promise::wait_timeout`](crate::Promise::wait_timeout),
    /// [`Promise::wait_deadline`](crate::Promise::wait_deadline)) that ran out of time
    /// and handed the promise back.
    pub promises_timed_out: u64,
    /// Failures of fire-and-forget submissions dropped because the errors channel was
    /// full.
    pub errors_dropped: u64,
    /// HTTP 429 and 503 answers with a `Retry-After` that started or extended the
    /// client-wide pause: while it lasts no worker starts a try (first or retry).
    pub throttle_pauses: u64,
    /// The time the client spent paused by `Retry-After` answers (overlapping pauses
    /// counted once). A pause is at most the retry policy's `max_delay`.
    pub throttled_for: Duration,
    /// Tries (first or retry) that had to wait for the client-wide pause before they
    /// could start, including those that failed with
    /// [`Error::Timeout`](crate::Error) because the pause outlasted their deadline.
    pub throttled_tries: u64,
    /// Notifications accepted and not being sent: ready, or waiting for an earlier
    /// notification about the same resource.
    pub queue_depth: usize,
}

impl Stats {
    /// Events the receiver accepted, inline and blob.
    pub fn events_sent(&self) -> u64 {
        self.events_sent_inline + self.events_sent_blob
    }

    /// Events posted (after retries) with this outcome and form: one of
    /// `events_{sent,failed}_{inline,blob}`.
    pub fn events(&self, success: bool, inline: bool) -> u64 {
        match (success, inline) {
            (true, true) => self.events_sent_inline,
            (true, false) => self.events_sent_blob,
            (false, true) => self.events_failed_inline,
            (false, false) => self.events_failed_blob,
        }
    }

    /// Body bytes of the events posted with this outcome and form: one of
    /// `bytes_{sent,failed}_{inline,blob}`.
    pub fn bytes(&self, success: bool, inline: bool) -> u64 {
        match (success, inline) {
            (true, true) => self.bytes_sent_inline,
            (true, false) => self.bytes_sent_blob,
            (false, true) => self.bytes_failed_inline,
            (false, false) => self.bytes_failed_blob,
        }
    }

    /// Latency of the sends of events with this outcome and form: one of
    /// `send_latency_{sent,failed}_{inline,blob}`.
    pub fn send_latency_of(&self, success: bool, inline: bool) -> &LatencyHistogram {
        match (success, inline) {
            (true, true) => &self.send_latency_sent_inline,
            (true, false) => &self.send_latency_sent_blob,
            (false, true) => &self.send_latency_failed_inline,
            (false, false) => &self.send_latency_failed_blob,
        }
    }
}

/// Send latencies counted in fixed buckets ([`LATENCY_BUCKETS_MS`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LatencyHistogram {
    /// `counts[i]` counts sends of at most `LATENCY_BUCKETS_MS[i]` milliseconds (and
    /// more than the bucket before); the last entry counts the slower ones.
    pub counts: [u64; BUCKETS],
}

impl LatencyHistogram {
    /// The number of sends recorded.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_land_in_their_counters_and_buckets() {
        let s = StatsInner::default();
        s.event_sent(true, true, 100, Duration::from_micros(500));
        s.event_sent(true, false, 50, Duration::from_millis(7));
        s.event_sent(false, true, 999, Duration::from_secs(60));
        s.not_sent();
        assert!(s.error_dropped());
        assert!(!s.error_dropped());
        let snap = s.snapshot(3);
        assert_eq!(snap.events_sent(), 2);
        assert_eq!(snap.events_failed_inline, 1);
        assert_eq!(snap.bytes_sent, 150);
        assert_eq!(snap.not_sent, 1);
        assert_eq!(snap.errors_dropped, 2);
        assert_eq!(snap.queue_depth, 3);
        assert_eq!(snap.send_latency.counts[0], 1);
        assert_eq!(snap.send_latency.counts[3], 1);
        assert_eq!(snap.send_latency.counts[BUCKETS - 1], 1);
        assert_eq!(snap.send_latency.total(), 3);
    }

    #[test]
    fn bytes_and_latency_are_kept_per_outcome_and_form() {
        let s = StatsInner::default();
        s.event_sent(true, true, 100, Duration::from_micros(500));
        s.event_sent(true, true, 10, Duration::from_millis(30));
        s.event_sent(true, false, 50, Duration::from_millis(7));
        s.event_sent(false, true, 999, Duration::from_secs(60));
        s.event_sent(false, false, 7, Duration::from_millis(2));
        let snap = s.snapshot(0);
        // bytes_sent keeps its meaning: accepted events only.
        assert_eq!(snap.bytes_sent, 160);
        assert_eq!((snap.bytes_sent_inline, snap.bytes_sent_blob), (110, 50));
        assert_eq!((snap.bytes_failed_inline, snap.bytes_failed_blob), (999, 7));
        let bucket = |ms: u64| LATENCY_BUCKETS_MS.iter().position(|&b| b == ms).unwrap();
        let only = |entries: &[(usize, u64)]| {
            let mut counts = [0; BUCKETS];
            for &(i, n) in entries {
                counts[i] = n;
            }
            counts
        };
        assert_eq!(
            snap.send_latency_sent_inline.counts,
            only(&[(bucket(1), 1), (bucket(50), 1)])
        );
        assert_eq!(snap.send_latency_sent_blob.counts, only(&[(bucket(10), 1)]));
        assert_eq!(
            snap.send_latency_failed_inline.counts,
            only(&[(BUCKETS - 1, 1)])
        );
        assert_eq!(
            snap.send_latency_failed_blob.counts,
            only(&[(bucket(2), 1)])
        );
        // send_latency keeps its meaning: every send.
        assert_eq!(
            snap.send_latency.counts,
            only(&[
                (bucket(1), 1),
                (bucket(2), 1),
                (bucket(10), 1),
                (bucket(50), 1),
                (BUCKETS - 1, 1)
            ])
        );
        // The accessors read the same fields.
        for (success, inline, events, bytes, latency) in [
            (true, true, 2, 110, &snap.send_latency_sent_inline),
            (true, false, 1, 50, &snap.send_latency_sent_blob),
            (false, true, 1, 999, &snap.send_latency_failed_inline),
            (false, false, 1, 7, &snap.send_latency_failed_blob),
        ] {
            assert_eq!(snap.events(success, inline), events);
            assert_eq!(snap.bytes(success, inline), bytes);
            assert_eq!(snap.send_latency_of(success, inline), latency);
            assert_eq!(latency.total(), events);
        }
    }

    #[test]
    fn promise_counters() {
        let s = StatsInner::default();
        s.promise_created();
        s.promise_created();
        s.promise_dropped();
        s.promise_completed(true);
        s.promise_timed_out();
        let snap = s.snapshot(0);
        assert_eq!(snap.promises_active, 1);
        assert_eq!(snap.promises_completed, 1);
        assert_eq!(snap.promises_failed, 1);
        assert_eq!(snap.promises_timed_out, 1);
    }

    #[test]
    fn throttle_counters() {
        let s = StatsInner::default();
        s.throttle_paused(Duration::from_millis(1500));
        s.throttle_paused(Duration::from_millis(500));
        s.throttled_try();
        let snap = s.snapshot(0);
        assert_eq!(snap.throttle_pauses, 2);
        assert_eq!(snap.throttled_for, Duration::from_secs(2));
        assert_eq!(snap.throttled_tries, 1);
    }
}
