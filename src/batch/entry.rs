//! A published change as the scheduler holds it, the group it may share a
//! notification with, and the publisher state its outcome reports to.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use super::change::{Change, ChangeContext, ChangeFailure, ChangeOutcome};
use super::stats::StatsCounters;
use crate::hook::Hook;
use crate::model::{Activity, NotificationResource, ResourceType};
use crate::promise::Resolver;
use crate::Error;

/// How large a batch may grow.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) max_resources: usize,
    /// The most bytes of a batch's resources JSON (brackets included).
    pub(crate) max_bytes: Option<usize>,
}

/// A publisher's validated options.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Options {
    pub(crate) limits: Limits,
    pub(crate) linger: Duration,
    pub(crate) coalesce: bool,
    pub(crate) inline_batches: bool,
    pub(crate) errors_capacity: usize,
}

/// The function of [`PublisherBuilder::on_delivery`](crate::publisher::PublisherBuilder::on_delivery).
pub(crate) type OnChangeDelivery = dyn Fn(&NotificationResource, &ChangeOutcome) + Send + Sync;

/// What the scheduler and the outcomes of a publisher's changes share with it.
pub(crate) struct PublisherShared {
    pub(crate) options: Options,
    errors: Sender<ChangeFailure>,
    /// Sees every outcome of a fire-and-forget change.
    pub(crate) on_delivery: Option<Hook<OnChangeDelivery>>,
    pub(crate) stats: StatsCounters,
    /// Changes accepted and not yet taken into a batch (nor expired).
    pending: AtomicUsize,
}

impl PublisherShared {
    pub(crate) fn new(
        options: Options,
        errors: Sender<ChangeFailure>,
        on_delivery: Option<Hook<OnChangeDelivery>>,
    ) -> Self {
        Self {
            options,
            errors,
            on_delivery,
            stats: StatsCounters::default(),
            pending: AtomicUsize::new(0),
        }
    }

    /// Whether a newer change replaces a queued one of its resource.
    pub(crate) fn coalesce(&self) -> bool {
        self.options.coalesce
    }

    /// The batch limits and the linger time.
    pub(crate) fn batching(&self) -> (Limits, Duration) {
        (self.options.limits, self.options.linger)
    }

    /// A change was accepted as an entry of its own.
    pub(crate) fn queued(&self) {
        self.pending.fetch_add(1, Relaxed);
    }

    /// A change left the queue (taken into a batch, expired or failed unsent).
    pub(crate) fn dequeued(&self) {
        self.pending.fetch_sub(1, Relaxed);
    }

    /// Changes accepted and not yet taken into a batch.
    pub(crate) fn pending(&self) -> usize {
        self.pending.load(Relaxed)
    }

    /// A batch of `resources` changes was cut, its oldest published `waited` ago.
    pub(crate) fn built(&self, resources: usize, waited: Option<Duration>) {
        self.stats.built(resources, waited.unwrap_or_default());
    }

    /// Puts a failure on the errors channel, or counts it dropped.
    pub(crate) fn report(&self, failure: ChangeFailure) {
        if let Err(TrySendError::Full(_)) = self.errors.try_send(failure) {
            self.stats.errors_dropped.fetch_add(1, Relaxed);
        }
    }
}

/// Where a change's outcome goes.
pub(crate) enum Reply {
    /// To a promise.
    Promise(Resolver<ChangeOutcome>),
    /// Failures to the publisher's errors channel.
    Errors,
}

/// What must be equal for two changes to share a notification: the publisher (its
/// batch limits), the context, resource type, API version sent and activity.
///
/// A batch is therefore not validated again when it is sent: each change was validated
/// at publish as the only resource of a notification in its context, and with these
/// equal the rules across resources hold too (one resource type, one API version,
/// the tenants and API version of equal contexts); the publisher's `max_batch` keeps
/// it within `MAX_BATCH_SIZE`, and a context has no batch properties
/// (`validity_tests.rs` goes through every rule).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct GroupKey {
    publisher: usize,
    context: Arc<ChangeContext>,
    /// A clone shares the id's type string (a reference count).
    resource_type: ResourceType,
    /// The API version sent: the ARM resource's shared string (a reference count), or
    /// a copy of the resource's override.
    api_version: Arc<str>,
    activity: Activity,
}

impl GroupKey {
    pub(crate) fn of(
        publisher: &Arc<PublisherShared>,
        context: Arc<ChangeContext>,
        r: &NotificationResource,
    ) -> Self {
        let api_version = match &r.api_version {
            Some(version) => Arc::from(version.as_str()),
            None => Arc::clone(&r.arm_resource.api_version),
        };
        Self {
            publisher: Arc::as_ptr(publisher) as usize,
            context,
            resource_type: r.arm_resource.resource_type().clone(),
            api_version,
            activity: r.arm_resource.activity(),
        }
    }
}

/// One published change, with the replies of the older changes it replaced.
pub(crate) struct ChangeJob {
    pub(crate) resource: NotificationResource,
    pub(crate) own: Reply,
    /// Replies of the changes this one replaced (coalesced), oldest first.
    pub(crate) replaced: Vec<Reply>,
    pub(crate) deadline: Instant,
    /// When it was published.
    pub(crate) accepted: Instant,
    /// The resource's JSON size, plus one for the comma that separates it.
    pub(crate) bytes: usize,
    /// Its group, which holds its context.
    pub(crate) group: GroupKey,
    pub(crate) publisher: Arc<PublisherShared>,
}

impl ChangeJob {
    /// The notification-level fields it is sent with.
    pub(crate) fn context(&self) -> &Arc<ChangeContext> {
        &self.group.context
    }

    /// Its reply and the change, handed back (it was refused).
    pub(crate) fn hand_back(self) -> (Reply, Change) {
        (self.own, Change::new(self.group.context, self.resource))
    }

    /// Whether `other` may replace this change: the same publisher's, about the same
    /// resource (ARM ids compare case-insensitively, as the ordering keys do).
    pub(crate) fn replaceable_by(&self, other: &ChangeJob) -> bool {
        // Only a change of the same publisher: the replaced change's replies, counts,
        // hook and errors channel are its publisher's.
        Arc::ptr_eq(&self.publisher, &other.publisher)
            && self
                .resource
                .sent_resource_id()
                .eq_ignore_ascii_case(other.resource.sent_resource_id())
    }

    /// This newer change replaces `older`: its replies become this one's.
    pub(crate) fn absorb(&mut self, older: ChangeJob) {
        let ChangeJob { own, replaced, .. } = older;
        let mut all = replaced;
        all.push(own);
        all.append(&mut self.replaced);
        self.replaced = all;
    }

    /// Handles of its promises (close may give up on them while it is sent).
    pub(crate) fn promise_handles(&self, out: &mut Vec<Resolver<ChangeOutcome>>) {
        promise_handles(&self.own, &self.replaced, out);
    }

    /// Fails the change unsent with `error`, handing it back.
    pub(crate) fn fail(self, error: Error) {
        let ChangeJob {
            group,
            resource,
            own,
            replaced,
            publisher,
            ..
        } = self;
        for reply in replaced {
            let failure = ChangeFailure::coalesced_away(error.clone(), None, 0);
            deliver(&publisher, reply, Err(failure), Some(&resource));
        }
        let change = Change::new(group.context, resource);
        let failure = ChangeFailure::new(error, Some(change), None, 0);
        deliver(&publisher, own, Err(failure), None);
    }
}

/// Handles of the promises among a change's own reply and those it replaced.
pub(crate) fn promise_handles(
    own: &Reply,
    replaced: &[Reply],
    out: &mut Vec<Resolver<ChangeOutcome>>,
) {
    for reply in std::iter::once(own).chain(replaced) {
        if let Reply::Promise(r) = reply {
            out.push(r.handle());
        }
    }
}

/// Gives `outcome` to `reply`: a promise; or for a fire-and-forget change, the
/// delivery hook (told the resource that carried the change: `carrier`, else the
/// change handed back) and, for a failure, the errors channel.
pub(crate) fn deliver(
    publisher: &PublisherShared,
    reply: Reply,
    outcome: ChangeOutcome,
    carrier: Option<&NotificationResource>,
) {
    match reply {
        Reply::Promise(r) => r.resolve(outcome),
        Reply::Errors => {
            if let Some(hook) = &publisher.on_delivery {
                let handed_back = outcome.as_ref().err().and_then(|f| f.change());
                if let Some(r) = carrier.or(handed_back.map(|c| &c.resource)) {
                    hook.run(|f| f(r, &outcome));
                }
            }
            if let Err(failure) = outcome {
                publisher.report(failure);
            }
        }
    }
}
