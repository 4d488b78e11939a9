//! Resource-level publishing: changes are grouped into notifications, coalesced per
//! resource and sent through a [`Client`].
//!
//! # Design
//! Pending changes wait in open groups, one per set of fields that must be equal
//! within a notification (context, resource type, API version, activity). A group is
//! handed to the client when it reaches the size limit, when its oldest change has
//! lingered for the linger time (a background thread, `arn-publisher-linger`), and on
//! [`Publisher::flush`] and [`Publisher::close`]. Hand-offs happen one at a time, in
//! the order groups were taken out, so a resource's changes reach the client in the
//! order they were published; from there the client's per-resource order applies (a
//! resource's next batch is never sent before its previous one has an outcome).
//!
//! The batch's outcome reaches every change in it through a callback on the worker
//! that finished the batch, so waiting costs no thread. A change replaced by a newer
//! one (coalescing) gets the outcome of the notification that carried the newer
//! state, marked `coalesced`.

mod change;
mod fanout;
mod groups;
mod stats;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Sender};
use parking_lot::{Condvar, Mutex};

pub use change::{Change, ChangeContext, ChangeFailure, ChangeOutcome, PublishError, Published};
use fanout::{Fanout, Waiters};
use groups::{Entry, Group, GroupKey, Groups, Limits, Reply};
use stats::StatsCounters;
pub use stats::{PublisherStats, RESOURCES_BUCKETS};

use crate::promise::PromisePool;
use crate::{Client, Error, Failure, Promise};

mod builder;
pub use builder::{PublisherBuilder, DEFAULT_LINGER};

/// The failures of [`Publisher::submit`]ted changes, each with its change handed back
/// when the publisher had it (bounded: drops when full, counted in
/// [`PublisherStats::errors_dropped`]).
pub type ChangeErrors = crate::Errors<ChangeFailure>;

/// The validated options of a publisher.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub(crate) limits: Limits,
    pub(crate) linger: Duration,
    pub(crate) coalesce: bool,
    pub(crate) inline_batches: bool,
    pub(crate) max_pending: usize,
    pub(crate) max_pending_bytes: usize,
    pub(crate) errors_capacity: usize,
}

struct State {
    groups: Groups,
    closed: bool,
}

struct Inner {
    client: Arc<Client>,
    options: Options,
    state: Mutex<State>,
    /// The linger thread waits here for a new group or the close.
    wake: Condvar,
    /// Blocked publishers wait here for room.
    room: Condvar,
    /// Held while a group is taken out and handed to the client: hand-offs are
    /// serialized, so they reach the client in the order they were taken out.
    handoff: Mutex<()>,
    pool: Arc<PromisePool<ChangeOutcome>>,
    errors: Sender<ChangeFailure>,
    stats: StatsCounters,
}

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
///     .linger(Duration::from_millis(5))
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
    inner: Arc<Inner>,
    linger: Mutex<Option<JoinHandle<()>>>,
    errors: ChangeErrors,
}

impl Publisher {
    /// A builder for a publisher over `client` (shared: the client still takes
    /// notifications directly too).
    pub fn builder(client: Arc<Client>) -> PublisherBuilder {
        PublisherBuilder::new(client)
    }

    pub(crate) fn start(client: Arc<Client>, mut options: Options) -> Result<Self, Error> {
        // Inline batches (by choice, or without blob storage): cap each batch's
        // resources JSON under the threshold (each entry counts its comma, the
        // brackets need one more byte).
        if options.inline_batches || client.inline_only_threshold().is_some() {
            let cap = client.inline_threshold().saturating_sub(2).max(1);
            let user = options.limits.max_bytes.unwrap_or(cap);
            options.limits.max_bytes = Some(user.min(cap));
        }
        let (tx, rx) = bounded(options.errors_capacity);
        let pool = PromisePool::new(client.promise_pool_size(), client.stats_inner());
        let inner = Arc::new(Inner {
            client,
            options,
            state: Mutex::new(State {
                groups: Groups::default(),
                closed: false,
            }),
            wake: Condvar::new(),
            room: Condvar::new(),
            handoff: Mutex::new(()),
            pool,
            errors: tx,
            stats: StatsCounters::default(),
        });
        let thread_inner = Arc::clone(&inner);
        let handle = std::thread::Builder::new()
            .name("arn-publisher-linger".into())
            .spawn(move || linger_loop(&thread_inner))
            .map_err(|e| Error::Spawn(e.into()))?;
        Ok(Self {
            inner,
            linger: Mutex::new(Some(handle)),
            errors: crate::Errors(rx),
        })
    }

    /// Publishes `change` and blocks until its outcome (the linger time, then the
    /// send), with the client's default deadline.
    pub fn publish(&self, change: Change) -> ChangeOutcome {
        match self.publish_async(change) {
            Ok(promise) => promise.wait(),
            Err(refused) => {
                let (error, change) = refused.into_parts();
                Err(ChangeFailure::new(error, Some(change), false, None))
            }
        }
    }

    /// Publishes `change` and returns a promise of its outcome; blocks while the
    /// publisher is full (see [`PublisherBuilder::max_pending`]).
    pub fn publish_async(&self, change: Change) -> Result<Promise<ChangeOutcome>, PublishError> {
        self.enqueue_promise(change, true)
    }

    /// Like [`Publisher::publish_async`], but hands the change back at once with
    /// [`Error::QueueFull`] when the publisher is full.
    pub fn try_publish_async(
        &self,
        change: Change,
    ) -> Result<Promise<ChangeOutcome>, PublishError> {
        self.enqueue_promise(change, false)
    }

    /// Publishes `change` fire-and-forget; blocks while the publisher is full.
    /// Failures go to [`Publisher::errors`].
    pub fn submit(&self, change: Change) -> Result<(), PublishError> {
        self.enqueue(change, Reply::Errors, true)
    }

    /// Like [`Publisher::submit`], but hands the change back at once with
    /// [`Error::QueueFull`] when the publisher is full.
    pub fn try_submit(&self, change: Change) -> Result<(), PublishError> {
        self.enqueue(change, Reply::Errors, false)
    }

    /// The failures of [`Publisher::submit`]ted changes, each with its change handed
    /// back (a bounded channel that drops when full, counted in
    /// [`PublisherStats::errors_dropped`]).
    pub fn errors(&self) -> ChangeErrors {
        self.errors.clone()
    }

    /// Hands every pending change to the client now and blocks until every change
    /// published before the call has an outcome; [`Error::Timeout`] if `deadline`
    /// passes first.
    pub fn flush(&self, deadline: Instant) -> Result<(), Error> {
        let ids = self.inner.state.lock().groups.all();
        for gid in ids {
            if !self.inner.hand_off(gid, Some(deadline)) {
                return Err(Error::TIMEOUT);
            }
        }
        self.inner.client.flush(deadline)
    }

    /// Stops taking changes ([`Error::Closed`]), hands the pending ones to the client
    /// and waits, until `deadline`, for their outcomes. Changes the client has no room
    /// for by then fail with [`Error::Timeout`], unsent, so every change has an
    /// outcome. The client stays open. Idempotent; dropping the publisher closes it
    /// with the client's close timeout.
    pub fn close(&self, deadline: Instant) -> Result<(), Error> {
        self.inner.state.lock().closed = true;
        self.inner.wake.notify_all();
        self.inner.room.notify_all();
        if let Some(handle) = self.linger.lock().take() {
            let _ = handle.join();
        }
        match self.flush(deadline) {
            Err(Error::Timeout { .. }) => {
                self.inner.fail_pending(&Error::TIMEOUT);
                Err(Error::TIMEOUT)
            }
            other => other,
        }
    }

    /// A snapshot of the publisher's counters.
    pub fn stats(&self) -> PublisherStats {
        let pending = self.inner.state.lock().groups.changes;
        self.inner.stats.snapshot(pending)
    }

    fn enqueue_promise(
        &self,
        change: Change,
        block: bool,
    ) -> Result<Promise<ChangeOutcome>, PublishError> {
        let (promise, resolver) = self.inner.pool.promise();
        self.enqueue(change, Reply::Promise(resolver), block)
            .map(|()| promise)
    }

    fn enqueue(&self, change: Change, reply: Reply, block: bool) -> Result<(), PublishError> {
        // A change that can never be sent is refused now, not in a batch.
        let len = match self.inner.check(&change) {
            Ok(len) => len,
            Err(error) => return Err(refuse(error, reply, change)),
        };
        let deadline = Instant::now() + self.inner.client.timeouts().0;
        let Change { context, resource } = change;
        let mut entry = Entry::new(context, resource, reply, deadline, len + 1);
        let key = GroupKey::of(&entry.context, &entry.resource);
        let opts = self.inner.options;
        loop {
            let mut state = self.inner.state.lock();
            if state.closed {
                return Err(refuse_entry(Error::Closed, entry));
            }
            let full = state.groups.changes >= opts.max_pending
                || state.groups.bytes >= opts.max_pending_bytes;
            if full {
                if !block {
                    return Err(refuse_entry(Error::QueueFull, entry));
                }
                if self.inner.room.wait_until(&mut state, deadline).timed_out() {
                    return Err(refuse_entry(Error::TIMEOUT, entry));
                }
                continue;
            }
            let was_empty = state.groups.is_empty();
            let now = Instant::now();
            match state
                .groups
                .add(entry, &key, opts.coalesce, opts.limits, now)
            {
                Ok(added) => {
                    drop(state);
                    self.inner.stats.published();
                    if was_empty {
                        self.inner.wake.notify_one();
                    }
                    self.inner.stats.coalesced_if(added.coalesced);
                    if let Some(gid) = added.sealed {
                        if block {
                            self.inner.hand_off(gid, None);
                        } else {
                            // A hand-off may wait for room in the client: the linger
                            // thread makes it.
                            self.inner.wake.notify_one();
                        }
                    }
                    return Ok(());
                }
                Err((back, gid)) => {
                    // The group in the way goes first (handed off here, or by the linger
                    // thread for a `try_` call, which must not wait), then try again.
                    drop(state);
                    entry = back;
                    if !block {
                        self.inner.wake.notify_one();
                        return Err(refuse_entry(Error::QueueFull, entry));
                    }
                    self.inner.hand_off(gid, None);
                }
            }
        }
    }
}

/// A taken group as a notification (its resources in entry order), the replies of
/// each resource, and the batch's deadline (its earliest change's). Groups are capped
/// by their exact JSON size, so a batch never needs cutting to go inline.
fn batch(group: Group) -> (crate::model::Notification, Vec<Waiters>, Instant) {
    let deadline = group
        .entries
        .iter()
        .map(|e| e.deadline)
        .min()
        .expect("a group has entries");
    let context = Arc::clone(&group.entries[0].context);
    let mut resources = Vec::with_capacity(group.entries.len());
    let mut waiters = Vec::with_capacity(group.entries.len());
    for e in group.entries {
        resources.push(e.resource);
        waiters.push(Waiters {
            context: e.context,
            own: e.own,
            replaced: e.replaced,
        });
    }
    (context.notification(resources), waiters, deadline)
}

/// Refuses `change`: its reply is disarmed, the change handed back.
fn refuse(error: Error, reply: Reply, change: Change) -> PublishError {
    if let Reply::Promise(resolver) = reply {
        resolver.disarm();
    }
    PublishError::new(error, change)
}

/// Refuses the change of `entry` (see [`refuse`]).
fn refuse_entry(error: Error, entry: Entry) -> PublishError {
    refuse(error, entry.own, Change::new(entry.context, entry.resource))
}

impl Inner {
    /// The JSON length of `change`'s resource, counted once (it sizes the batches), or
    /// why the change can never be sent: invalid in its context, or too large to go
    /// inline even alone (its resource and the brackets) on a client without blob
    /// storage.
    fn check(&self, change: &Change) -> Result<usize, Error> {
        change::validate(&change.context, &change.resource).map_err(Error::Invalid)?;
        let len = crate::model::json_len(&change.resource)?;
        match self.client.inline_only_threshold() {
            Some(threshold) if len + 2 >= threshold => Err(Error::TooLarge {
                size: len + 2,
                threshold,
            }),
            _ => Ok(len),
        }
    }

    /// Takes group `gid` out (if still open) and hands it to the client; the batch's
    /// outcome goes to each of its changes.
    ///
    /// With `until`, it first waits until then for room in the client and leaves the
    /// group open (returning `false`) if there is none; without, the hand-off itself
    /// waits for room, up to the batch's deadline (back-pressure on `publish`).
    fn hand_off(&self, gid: u64, until: Option<Instant>) -> bool {
        let _order = self.handoff.lock();
        if let Some(until) = until {
            if !self.client.wait_for_room(until) {
                return false;
            }
        }
        let Some(group) = self.state.lock().groups.take(gid) else {
            return true;
        };
        self.room.notify_all();
        self.stats
            .built(group.entries.len(), group.opened.elapsed());
        let (n, waiters, deadline) = batch(group);
        let fan = self.fanout(waiters);
        self.client.submit_with_callback(
            n,
            deadline,
            Box::new(move |outcome| fan.deliver(outcome)),
        );
        true
    }

    /// Fails every change still pending with `error`, unsent (close gave up).
    fn fail_pending(&self, error: &Error) {
        let _order = self.handoff.lock();
        let groups: Vec<Group> = {
            let mut state = self.state.lock();
            let ids = state.groups.all();
            ids.into_iter()
                .filter_map(|gid| state.groups.take(gid))
                .collect()
        };
        self.room.notify_all();
        for group in groups {
            let (n, waiters, _) = batch(group);
            let failure = Failure::new(error.duplicate(), Some(n), None, 0);
            self.fanout(waiters).deliver(Err(failure));
        }
    }

    fn fanout(&self, waiters: Vec<Waiters>) -> Fanout {
        Fanout {
            waiters,
            errors: self.errors.clone(),
            dropped: Arc::clone(&self.stats.errors_dropped),
        }
    }
}

/// The linger thread: hands off groups whose oldest change has waited long enough.
fn linger_loop(inner: &Inner) {
    let linger = inner.options.linger;
    loop {
        let mut state = inner.state.lock();
        if state.closed {
            return;
        }
        let due = state.groups.due(Instant::now(), linger);
        if due.is_empty() {
            match state.groups.next_due(linger) {
                Some(at) => {
                    inner.wake.wait_until(&mut state, at);
                }
                None => inner.wake.wait(&mut state),
            }
            continue;
        }
        drop(state);
        for gid in due {
            // Bounded waits for room, so a close is noticed; a group the client has no
            // room for stays open and comes back as due.
            if !inner.hand_off(gid, Some(Instant::now() + Duration::from_millis(50))) {
                break;
            }
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        if self.inner.state.lock().closed {
            return;
        }
        let timeout = self.inner.client.timeouts().1;
        if let Some(deadline) = Instant::now().checked_add(timeout) {
            let _ = self.close(deadline);
        }
    }
}
