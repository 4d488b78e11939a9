//! Resource-level publishing: changes are batched into notifications, coalesced per
//! resource and sent through a [`Client`].
//!
//! # Design
//! A published change is an entry of the client's scheduler of its own, keyed by its
//! resource, in the same graph, ready queue and bounds as the client's notifications
//! (see `scheduler`). A change is ready when nothing earlier about its resource is
//! pending. Ready changes wait in groups, one per set of fields that must be equal
//! within a notification (publisher, context, resource type, API version, activity);
//! a group is due when it holds a full batch, when its oldest change has lingered for
//! the linger time, or at once during a flush or close. A free worker then cuts the
//! batch from the changes ready at that moment, oldest first. So a batch that fails
//! and retries holds up only later changes of its own resources; every other change
//! goes on in other batches.
//!
//! A newer change of a resource whose change from the same publisher is still waiting
//! (for a batch, or for an earlier batch of the resource to end) replaces it: the receiver gets the newest
//! state once, and the older change's outcome is the newer one's, marked `coalesced`.
//! Coalescing reaches as far as the change waits: up to the moment a worker takes it
//! into a batch.
//!
//! The batch's outcome reaches every change in it on the worker that finished the
//! batch, so waiting costs no thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::bounded;

use crate::batch::ChangeReply as Reply;
pub use crate::batch::{
    Change, ChangeContext, ChangeFailure, ChangeOutcome, PublishError, Published, PublisherStats,
    RESOURCES_BUCKETS,
};
use crate::batch::{ChangeJob, GroupKey, OnChangeDelivery, Options, PublisherShared, Settled};
use crate::hook::Hook;
use crate::promise::PromisePool;
use crate::scheduler::Wait;
use crate::{Client, Error, Promise};

mod builder;
pub use builder::{PublisherBuilder, DEFAULT_LINGER};

/// The failures of [`Publisher::submit`]ted changes, each with its change handed back
/// when the publisher had it (bounded: drops when full, counted in
/// [`PublisherStats::errors_dropped`]).
pub type ChangeErrors = crate::Errors<ChangeFailure>;

/// Publishes resource changes, batching them into notifications (see the module docs).
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
///
/// use arn_client::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};
/// use arn_client::publisher::{Change, ChangeContext, Publisher};
/// use arn_client::testing::FakeTransport;
/// use arn_client::Client;
///
/// let fake = FakeTransport::new();
/// let client = Arc::new(Client::with_transports(fake.clone()).build()?);
/// let publisher = Publisher::builder(Arc::clone(&client))
///     .linger(Duration::from_secs(60)) // here: only the flush sends, whatever the machine's pace
///     .build()?;
///
/// let context = Arc::new(ChangeContext::new("eastus", "Microsoft.ContainerService"));
/// for i in 0..10 {
///     let id: ResourceId = format!("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc/nodes/n{i}").parse()?;
///     let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &serde_json::json!({ "ready": true }))?;
///     publisher.submit(Change::new(Arc::clone(&context), NotificationResource::new(arm, ChangeAction::Update)))?;
/// }
/// publisher.flush(Instant::now() + Duration::from_secs(10))?;
/// assert_eq!(fake.post_count(), 1, "ten changes, one notification");
/// # Ok(()) }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
pub struct Publisher {
    client: Arc<Client>,
    shared: Arc<PublisherShared>,
    pool: Arc<PromisePool<Settled>>,
    errors: ChangeErrors,
    closed: AtomicBool,
}

impl Publisher {
    /// A builder for a publisher over `client` (shared: the client still takes
    /// notifications directly too).
    pub fn builder(client: Arc<Client>) -> PublisherBuilder {
        PublisherBuilder::new(client)
    }

    pub(crate) fn start(
        client: Arc<Client>,
        mut options: Options,
        on_delivery: Option<Hook<OnChangeDelivery>>,
    ) -> Result<Self, Error> {
        // Inline batches (by choice, or without blob storage): cap each batch's
        // resources JSON under the threshold (each entry counts its comma, the
        // brackets need one more byte).
        if options.inline_batches || client.inline_only_threshold().is_some() {
            let cap = client.inline_threshold().saturating_sub(2).max(1);
            let user = options.limits.max_bytes.unwrap_or(cap);
            options.limits.max_bytes = Some(user.min(cap));
        }
        let (tx, rx) = bounded(options.errors_capacity);
        let pool = client.promise_pool();
        Ok(Self {
            client,
            shared: Arc::new(PublisherShared::new(options, tx, on_delivery)),
            pool,
            errors: crate::Errors(rx),
            closed: AtomicBool::new(false),
        })
    }

    /// Publishes `change` and blocks until its outcome (the linger time, then the
    /// send), with the client's default deadline.
    pub fn publish(&self, change: Change) -> ChangeOutcome {
        match self.publish_async(change) {
            Ok(promise) => promise.wait(),
            Err(refused) => {
                let (error, change) = refused.into_parts();
                Err(ChangeFailure::new(error, Some(change), None, 0))
            }
        }
    }

    /// Publishes `change` and returns a promise of its outcome; blocks while the
    /// client is full (see [`ClientBuilder::queue_capacity`](crate::ClientBuilder::queue_capacity)).
    pub fn publish_async(&self, change: Change) -> Result<Promise<ChangeOutcome>, PublishError> {
        self.enqueue_promise(change, true)
    }

    /// Like [`Publisher::publish_async`], but hands the change back at once with
    /// [`Error::QueueFull`] when the client is full.
    pub fn try_publish_async(
        &self,
        change: Change,
    ) -> Result<Promise<ChangeOutcome>, PublishError> {
        self.enqueue_promise(change, false)
    }

    /// Publishes `change` fire-and-forget; blocks while the client is full.
    /// Failures go to [`Publisher::errors`].
    pub fn submit(&self, change: Change) -> Result<(), PublishError> {
        self.enqueue(change, Reply::Errors, true)
    }

    /// Like [`Publisher::submit`], but hands the change back at once with
    /// [`Error::QueueFull`] when the client is full.
    pub fn try_submit(&self, change: Change) -> Result<(), PublishError> {
        self.enqueue(change, Reply::Errors, false)
    }

    /// The failures of [`Publisher::submit`]ted changes, each with its change handed
    /// back (a bounded channel that drops when full, counted in
    /// [`PublisherStats::errors_dropped`]).
    pub fn errors(&self) -> ChangeErrors {
        self.errors.clone()
    }

    /// Sends every pending change now (nothing lingers meanwhile) and blocks until
    /// every change published before the call has an outcome; [`Error::Timeout`] if
    /// `deadline` passes first. This is the client's flush: notifications submitted
    /// to the client before the call are waited for too.
    pub fn flush(&self, deadline: Instant) -> Result<(), Error> {
        self.client.flush(deadline)
    }

    /// Stops taking changes ([`Error::Closed`]), sends the pending ones and waits,
    /// until `deadline`, for their outcomes. Changes not being sent by then fail with
    /// [`Error::Timeout`], unsent; a batch being sent gets its outcome from its
    /// worker. Returns by `deadline`. The client stays open. Idempotent; dropping the
    /// publisher closes it with the client's close timeout.
    pub fn close(&self, deadline: Instant) -> Result<(), Error> {
        self.closed.store(true, Ordering::Release);
        match self.client.flush(deadline) {
            Err(Error::Timeout { .. }) => {
                self.client.scheduler().expire_changes(&self.shared);
                Err(Error::TIMEOUT)
            }
            other => other,
        }
    }

    /// A snapshot of the publisher's counters.
    pub fn stats(&self) -> PublisherStats {
        self.shared.stats.snapshot(self.shared.pending())
    }

    fn enqueue_promise(
        &self,
        change: Change,
        block: bool,
    ) -> Result<Promise<ChangeOutcome>, PublishError> {
        let (promise, resolver) = self.pool.promise();
        self.enqueue(change, Reply::Promise(resolver), block)
            .map(|()| promise)
    }

    fn enqueue(&self, change: Change, reply: Reply, block: bool) -> Result<(), PublishError> {
        // A change that can never be sent is refused now, not in a batch.
        let len = match self.check(&change) {
            Ok(len) => len,
            Err(error) => return Err(refuse(error, reply, change)),
        };
        if self.closed.load(Ordering::Acquire) {
            return Err(refuse(Error::Closed, reply, change));
        }
        let accepted = Instant::now();
        let deadline = accepted + self.client.timeouts().0;
        let Change { context, resource } = change;
        let job = ChangeJob {
            group: GroupKey::of(&self.shared, context, &resource),
            resource,
            own: reply,
            replaced: Vec::new(),
            deadline,
            accepted,
            bytes: len + 1,
            publisher: Arc::clone(&self.shared),
        };
        let wait = if block {
            Wait::Until(deadline)
        } else {
            Wait::No
        };
        // Counted before the scheduler can take it into a batch.
        self.shared.queued();
        match self.client.scheduler().accept_change(job, wait) {
            Ok(coalesced) => {
                self.shared.stats.published();
                if coalesced {
                    self.shared.dequeued();
                    self.shared.stats.coalesced_if(true);
                }
                Ok(())
            }
            Err((error, job)) => {
                self.shared.dequeued();
                let (own, change) = job.hand_back();
                Err(refuse(error, own, change))
            }
        }
    }

    /// The JSON length of `change`'s resource, counted once (it sizes the batches), or
    /// why the change can never be sent: invalid in its context, or too large to go
    /// inline even alone (its resource and the brackets) on a client without blob
    /// storage.
    fn check(&self, change: &Change) -> Result<usize, Error> {
        crate::batch::validate(&change.context, &change.resource).map_err(Error::Invalid)?;
        let len = crate::model::json_len(&change.resource)?;
        match self.client.inline_only_threshold() {
            Some(threshold) if len + 2 >= threshold => Err(Error::TooLarge {
                size: len + 2,
                threshold,
            }),
            _ => Ok(len),
        }
    }
}

/// Refuses `change`: its reply is disarmed, the change handed back.
fn refuse(error: Error, reply: Reply, change: Change) -> PublishError {
    if let Reply::Promise(resolver) = reply {
        resolver.disarm();
    }
    PublishError::new(error, change)
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let timeout = self.client.timeouts().1;
        if let Some(deadline) = Instant::now().checked_add(timeout) {
            let _ = self.close(deadline);
        }
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;

    #[test]
    fn a_publisher_takes_its_promises_from_its_clients_pool() {
        let fake = crate::testing::FakeTransport::new();
        let client = Arc::new(Client::with_transports(fake).build().unwrap());
        let publisher = Publisher::builder(Arc::clone(&client)).build().unwrap();
        assert!(Arc::ptr_eq(&publisher.pool, &client.promise_pool()));
    }
}
