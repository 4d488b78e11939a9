//! The client: the submission API over the worker pool (`docs/protocol.md` section 8).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use crossbeam_channel::bounded;
use parking_lot::Mutex;

use crate::batch::Settled;
use crate::config::ClientOptions;
use crate::model::{Encoder, Notification};
use crate::promise::{PromisePool, Resolver};
use crate::scheduler::{Accepted, Job, Limits as SchedulerLimits, Reply, Scheduler, Ticket, Wait};
use crate::stats::StatsInner;
use crate::transport::SendGate;
use crate::transport::{BlobStore, EventTransport};
use crate::worker::{self, spawn_pool, SendContext};
use crate::{Delivery, Error, Errors, Failure, Promise, Stats, SubmitError};

/// Publishes notifications through a fixed pool of worker threads.
///
/// `Client` is `Send + Sync`: share it with an `Arc`.
///
/// Three ways to submit, as in the Go client:
/// - [`Client::notify`] blocks until the outcome;
/// - [`Client::send_async`] returns a [`Promise`];
/// - [`Client::submit`] is fire-and-forget: failures go to [`Client::errors`].
///
/// # Guarantees
/// - **Order per resource.** Two notifications that share a resource id (`resourceId`,
///   ignoring ASCII case) are sent in the order the client accepted them, and the
///   later one is not sent before the earlier one has its outcome, so two notifications
///   about one resource are never in flight at once; this holds for any mix of batches
///   and single-resource notifications, whatever their subjects. A failure releases the
///   next one like a success. "Accepted" is the order in which `notify`, `send_async`,
///   `submit` (and their variants) returned or started waiting for the outcome: from
///   one thread, the order of the calls.
/// - **No head-of-line blocking.** A notification waits only for earlier
///   notifications that share a resource with it: one that is slow, stalled or
///   retrying delays nothing else, and any free worker takes any ready notification.
///   [`OrderBy`] chooses stricter keys (per top-level resource, or global FIFO).
/// - **Exactly one outcome.** Every accepted notification gets exactly one outcome
///   (a promise's result, `notify`'s return, or, for a fire-and-forget failure, an
///   entry on [`Client::errors`] or the [`Stats::errors_dropped`] counter), also when
///   it panics in a transport, when the application's `log` backend panics on a
///   worker, when its deadline passes while it waits (it is then not sent; an idle
///   worker gives it `Timeout` at the deadline, or, when every worker is busy, the
///   next worker to look), and when [`Client::close`] gives up.
/// - **Throttling is client-wide.** A 429 or 503 with `Retry-After` pauses every
///   send to the receiver until it passes (counted against each deadline).
///
/// [`OrderBy`]: crate::OrderBy
///
/// Dropping the client closes it with the configured close timeout.
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::{Duration, Instant};
///
/// use arn_client::model::{
///     Activity, ArmResource, ChangeAction, Notification, NotificationResource, ResourceId,
/// };
/// use arn_client::testing::FakeTransport;
/// use arn_client::Client;
///
/// let fake = FakeTransport::new(); // the real receiver transport plugs in the same way
/// let client = Client::with_transports(fake.clone())
///     .workers(2)
///     .build()?;
///
/// let id = ResourceId::parse(
///     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/nodes/n1",
/// )?;
/// let node = serde_json::json!({ "name": "n1", "ready": true });
/// let arm = ArmResource::new(Activity::Snapshot, &id, "2024-01-01", &node)?;
/// let n = Notification::new(
///     "eastus",
///     "Microsoft.ContainerService",
///     vec![NotificationResource::new(arm, ChangeAction::Update)],
/// );
///
/// let report = client.notify(n.clone())?; // blocks until the outcome
/// assert!(report.inline);
/// let promise = client.send_async(n.clone())?; // returns at once
/// promise.wait()?; // and recycles the promise
/// client.submit(n)?; // fire-and-forget: failures go to client.errors()
/// client.close(Instant::now() + Duration::from_secs(10))?;
/// assert_eq!(fake.post_count(), 3);
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
pub struct Client {
    options: ClientOptions,
    ctx: Arc<SendContext>,
    closed: AtomicBool,
    scheduler: Arc<Scheduler>,
    handles: Mutex<Vec<JoinHandle<()>>>,
    pool: Arc<PromisePool<Settled>>,
    errors: Errors,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("workers", &self.options.workers)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl Client {
    pub(crate) fn start(
        options: ClientOptions,
        events: Arc<dyn EventTransport>,
        blobs: Option<Arc<dyn BlobStore>>,
    ) -> Result<Client, Error> {
        let stats = Arc::new(StatsInner::default());
        let (errors_tx, errors) = bounded(options.errors_capacity);
        let limits = SchedulerLimits {
            capacity: options.queue_capacity,
            max_bytes: options.max_pending_bytes,
            workers: options.workers,
            order_by: options.order_by,
        };
        let scheduler = Arc::new(Scheduler::new(
            limits,
            Arc::clone(&stats),
            errors_tx,
            options.on_delivery.clone(),
        ));
        let ctx = Arc::new(SendContext {
            encoder: Encoder::new(options.inline_threshold),
            compression: options.compression,
            retry_policy: options.retry_policy.clone(),
            events,
            blobs,
            gate: SendGate::new(Arc::clone(&stats)),
            callers: Mutex::default(),
            max_callers: options.workers,
        });
        let handles = spawn_pool(&options, &ctx, &scheduler)?;
        log::debug!("arn-client started with {} workers", options.workers);
        Ok(Client {
            closed: AtomicBool::new(false),
            scheduler,
            handles: Mutex::new(handles),
            pool: PromisePool::new(options.promise_pool_size, stats),
            errors: Errors(errors),
            options,
            ctx,
        })
    }

    /// Checks now, without sending anything, that the receiver's token and, with blob
    /// storage, its user delegation key can be had, and returns the first failure
    /// (e.g. [`Error::Credential`], or [`Error::Blob`] with status 403 for a missing
    /// role assignment). For services that want to fail fast at startup; `build()`
    /// itself never touches the network.
    pub fn preflight(&self, deadline: Instant) -> Result<(), Error> {
        self.ctx.events.preflight(deadline)?;
        match &self.ctx.blobs {
            Some(blobs) => blobs.preflight(deadline),
            None => Ok(()),
        }
    }

    /// Sends `n` and blocks until its outcome, with the default deadline: a
    /// [`Delivery`] report, or a [`Failure`] that hands the notification back.
    ///
    /// When `n` can go at once (no earlier notification about its resources is
    /// pending, no other notification is waiting for a worker, and fewer than
    /// [`workers`](crate::ClientBuilder::workers) are being sent), the calling thread,
    /// blocked anyway, sends it itself: no hand-off to a worker and back. Order and the
    /// limit on notifications in flight are the same either way.
    ///
    /// An empty notification succeeds at once without sending anything.
    pub fn notify(&self, n: Notification) -> Result<Delivery, Failure> {
        self.notify_with_deadline(n, self.default_deadline())
    }

    /// Sends `n` and blocks until its outcome, which comes by `deadline`: a
    /// notification not started by then is not sent and fails with
    /// [`Error::Timeout`]; one being sent stops retrying at the deadline (its request
    /// in progress ends by then too), and its `Timeout` carries the last try's error.
    /// The receiver may have got a notification that timed out while being sent.
    pub fn notify_with_deadline(
        &self,
        n: Notification,
        deadline: Instant,
    ) -> Result<Delivery, Failure> {
        let (promise, ticket) = self
            .promise_job(n, deadline, Wait::Until(deadline), true)
            .map_err(|e| {
                let (error, n) = e.into_parts();
                Failure::new(error, Some(n), None, 0)
            })?;
        match promise.wait_deadline(deadline) {
            Ok(outcome) => outcome,
            Err(promise) => {
                // Not started by its deadline: it gets its Timeout now, unsent.
                if let Some(ticket) = ticket {
                    self.scheduler.expire(ticket);
                }
                promise.wait()
            }
        }
    }

    /// Queues `n` with the default deadline and returns a promise of its outcome;
    /// blocks while the client is full (see
    /// [`ClientBuilder::queue_capacity`](crate::ClientBuilder::queue_capacity)).
    pub fn send_async(&self, n: Notification) -> Result<Promise, SubmitError> {
        let deadline = self.default_deadline();
        self.promise_job(n, deadline, Wait::Until(deadline), false)
            .map(|(p, _)| p)
    }

    /// Like [`Client::send_async`] with an explicit deadline (also the longest it
    /// blocks on a full client).
    pub fn send_async_with_deadline(
        &self,
        n: Notification,
        deadline: Instant,
    ) -> Result<Promise, SubmitError> {
        self.promise_job(n, deadline, Wait::Until(deadline), false)
            .map(|(p, _)| p)
    }

    /// Like [`Client::send_async`], but fails at once with [`Error::QueueFull`] (handing
    /// the notification back) when the client is full.
    pub fn try_send_async(&self, n: Notification) -> Result<Promise, SubmitError> {
        self.promise_job(n, self.default_deadline(), Wait::No, false)
            .map(|(p, _)| p)
    }

    /// Queues `n` fire-and-forget with the default deadline; blocks while the client is
    /// full. Failures go to [`Client::errors`]; successes are silent.
    pub fn submit(&self, n: Notification) -> Result<(), SubmitError> {
        let deadline = self.default_deadline();
        self.errors_job(n, deadline, Wait::Until(deadline))
    }

    /// Like [`Client::submit`] with an explicit deadline.
    pub fn submit_with_deadline(
        &self,
        n: Notification,
        deadline: Instant,
    ) -> Result<(), SubmitError> {
        self.errors_job(n, deadline, Wait::Until(deadline))
    }

    /// Like [`Client::submit`], but fails at once with [`Error::QueueFull`] (handing the
    /// notification back) when the client is full.
    pub fn try_submit(&self, n: Notification) -> Result<(), SubmitError> {
        self.errors_job(n, self.default_deadline(), Wait::No)
    }

    /// The failures of [`Client::submit`]ted notifications. The channel is bounded
    /// (see [`ClientBuilder::errors_capacity`](crate::ClientBuilder::errors_capacity));
    /// when full, failures are dropped and counted in [`Stats::errors_dropped`]. Nobody
    /// has to read it.
    pub fn errors(&self) -> Errors {
        self.errors.clone()
    }

    /// Blocks until every notification submitted before the call has an outcome;
    /// [`Error::Timeout`] if `deadline` passes first. Notifications submitted during
    /// the flush are not waited for. It holds nothing the workers or [`Client::close`]
    /// need while it waits.
    pub fn flush(&self, deadline: Instant) -> Result<(), Error> {
        if self.scheduler.flush(deadline) {
            Ok(())
        } else {
            Err(Error::TIMEOUT)
        }
    }

    /// Closes the client: stops intake (later submissions fail with [`Error::Closed`],
    /// and submitters blocked on a full client wake up with it), lets the workers send
    /// what is pending, and joins them.
    ///
    /// Idempotent. If `deadline` passes first, it gives up and returns
    /// [`Error::Timeout`]: every pending notification not being sent gets
    /// [`Error::Timeout`] now (fire-and-forget ones on [`Client::errors`]), so does the
    /// promise of every notification being sent, and no new try of those sends starts
    /// (a request in progress may finish; its outcome is then ignored). Stuck worker
    /// threads are left to end on their own. A later `close` waits, until its own
    /// deadline, only for those threads to end; dropping the client after a close that
    /// gave up does not wait at all.
    pub fn close(&self, deadline: Instant) -> Result<(), Error> {
        if !self.closed.swap(true, Ordering::AcqRel) {
            log::debug!("arn-client closing");
        }
        if self.scheduler.close(deadline, || self.ctx.gate.cancel()) {
            for handle in self.handles.lock().drain(..) {
                let _ = handle.join();
            }
            // No upload can start now: the store's key refresher stops here.
            if let Some(blobs) = &self.ctx.blobs {
                blobs.close();
            }
            log::debug!("arn-client closed");
            Ok(())
        } else {
            log::debug!("arn-client close timed out; gave up on pending notifications");
            Err(Error::TIMEOUT)
        }
    }

    /// Whether [`Client::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// A snapshot of the client's counters.
    pub fn stats(&self) -> Stats {
        self.scheduler.stats.snapshot(self.scheduler.queue_depth())
    }

    /// The scheduler (a publisher's changes are its entries too).
    pub(crate) fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }

    /// The promise pool, shared with the client's publishers.
    pub(crate) fn promise_pool(&self) -> Arc<PromisePool<Settled>> {
        Arc::clone(&self.pool)
    }

    /// The inline threshold: resources JSON this long or longer goes to blob storage.
    pub(crate) fn inline_threshold(&self) -> usize {
        self.ctx.encoder.inline_threshold()
    }

    /// The inline threshold when the client has no blob storage (every notification
    /// must then go inline), else `None`.
    pub(crate) fn inline_only_threshold(&self) -> Option<usize> {
        match self.ctx.blobs {
            Some(_) => None,
            None => Some(self.ctx.encoder.inline_threshold()),
        }
    }

    /// The configured default deadline and close timeout.
    pub(crate) fn timeouts(&self) -> (std::time::Duration, std::time::Duration) {
        (self.options.default_deadline, self.options.close_timeout)
    }

    fn default_deadline(&self) -> Instant {
        Instant::now() + self.options.default_deadline
    }

    /// Queues `n` with a promise; the ticket is `None` for an empty notification
    /// (resolved at once, nothing queued).
    /// `send_here`: a caller that blocks for the outcome anyway sends a notification
    /// that is ready at once itself (see [`Scheduler::accept_claiming`]).
    fn promise_job(
        &self,
        n: Notification,
        deadline: Instant,
        wait: Wait,
        send_here: bool,
    ) -> Result<(Promise, Option<Ticket>), SubmitError> {
        // A blocking `notify` learns that a notification is too large to go inline
        // from its encoding (the same `TooLarge`, the notification handed back), so
        // it is not serialized twice.
        let n = self.check(n, !send_here)?;
        if n.resources.is_empty() {
            return Ok((self.pool.resolved(Ok(Delivery::empty())), None));
        }
        let (promise, resolver) = self.pool.promise();
        let job = Job {
            notification: n,
            deadline,
            accepted: Instant::now(),
            reply: Reply::Promise(resolver),
        };
        match self.scheduler.accept_claiming(job, wait, send_here) {
            Ok(Accepted::Queued(ticket)) => Ok((promise, Some(ticket))),
            Ok(Accepted::Claimed(task)) => {
                let job = task.job();
                let result = worker::send_on_caller(&self.ctx, &self.scheduler.stats, job);
                // The outcome goes to the promise; the node is released on drop.
                drop(task.complete(result));
                Ok((promise, None))
            }
            Err((error, job)) => {
                if let Reply::Promise(resolver) = job.reply {
                    Resolver::disarm(resolver);
                }
                Err(SubmitError::new(error, job.notification))
            }
        }
    }

    fn errors_job(
        &self,
        n: Notification,
        deadline: Instant,
        wait: Wait,
    ) -> Result<(), SubmitError> {
        let n = self.check(n, true)?;
        if n.resources.is_empty() {
            return Ok(());
        }
        let job = Job {
            notification: n,
            deadline,
            accepted: Instant::now(),
            reply: Reply::Errors,
        };
        self.scheduler
            .accept(job, wait)
            .map(|_| ())
            .map_err(|(error, job)| SubmitError::new(error, job.notification))
    }

    /// Rejects a notification that can never be sent (`docs/protocol.md` section 1):
    /// more than 1000 resources, or (with `size`) too large to go inline without blob
    /// storage.
    pub(crate) fn check(&self, n: Notification, size: bool) -> Result<Notification, SubmitError> {
        if let Err(error) = n.check_batch_size() {
            return Err(SubmitError::new(Error::Invalid(error), n));
        }
        if size && self.ctx.blobs.is_none() {
            if let Err(error) = self.ctx.encoder.fits_inline(&n) {
                return Err(SubmitError::new(error, n));
            }
        }
        Ok(n)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.scheduler.gave_up() {
            return;
        }
        if let Some(deadline) = Instant::now().checked_add(self.options.close_timeout) {
            if self.close(deadline).is_err() {
                log::debug!("arn-client dropped before its workers finished");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Client>();
        assert_send_sync::<Promise>();
        assert_send_sync::<Failure>();
    }
}
