//! The publisher's counters.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds (inclusive) of the resources-per-notification buckets; a last bucket
/// counts larger notifications.
pub const RESOURCES_BUCKETS: [u64; 8] = [1, 2, 5, 10, 50, 100, 500, 1000];

const BUCKETS: usize = RESOURCES_BUCKETS.len() + 1;

#[derive(Default)]
pub(crate) struct StatsCounters {
    published: AtomicU64,
    coalesced: AtomicU64,
    notifications: AtomicU64,
    resources: [AtomicU64; BUCKETS],
    lingered_us: AtomicU64,
    pub(crate) errors_dropped: Arc<AtomicU64>,
}

impl StatsCounters {
    pub(crate) fn published(&self) {
        self.published.fetch_add(1, Relaxed);
    }

    pub(crate) fn coalesced_if(&self, coalesced: bool) {
        if coalesced {
            self.coalesced.fetch_add(1, Relaxed);
        }
    }

    /// A notification of `resources` changes was built after its group waited `waited`.
    pub(crate) fn built(&self, resources: usize, waited: Duration) {
        self.notifications.fetch_add(1, Relaxed);
        let bucket = RESOURCES_BUCKETS
            .iter()
            .position(|&b| resources as u64 <= b)
            .unwrap_or(BUCKETS - 1);
        self.resources[bucket].fetch_add(1, Relaxed);
        let us = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        self.lingered_us.fetch_add(us, Relaxed);
    }

    pub(crate) fn snapshot(&self, pending: usize) -> PublisherStats {
        PublisherStats {
            published: self.published.load(Relaxed),
            coalesced: self.coalesced.load(Relaxed),
            notifications: self.notifications.load(Relaxed),
            resources_per_notification: std::array::from_fn(|i| self.resources[i].load(Relaxed)),
            lingered: Duration::from_micros(self.lingered_us.load(Relaxed)),
            pending,
            errors_dropped: self.errors_dropped.load(Relaxed),
        }
    }
}

/// A snapshot of a publisher's counters, from
/// [`Publisher::stats`](crate::publisher::Publisher::stats).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublisherStats {
    /// Changes accepted by `publish`, `publish_async` and `submit`.
    pub published: u64,
    /// Of those, changes that replaced an older pending change of the same resource.
    pub coalesced: u64,
    /// Notifications built from the changes.
    pub notifications: u64,
    /// Notifications by resources carried: `resources_per_notification[i]` counts those
    /// with at most `RESOURCES_BUCKETS[i]` (and more than the bucket before); the last
    /// entry counts larger ones.
    pub resources_per_notification: [u64; BUCKETS],
    /// Total time from each batch's oldest change being published to the batch being
    /// cut.
    pub lingered: Duration,
    /// Changes accepted and not yet taken into a batch (nor failed unsent) now.
    pub pending: usize,
    /// Failures of fire-and-forget changes dropped because the errors channel was full.
    pub errors_dropped: u64,
}
