//! The publisher's options and their defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{ChangeOutcome, Publisher};
use crate::batch::{Limits, OnChangeDelivery, Options};
use crate::hook::Hook;
use crate::model::NotificationResource;
use crate::model::MAX_BATCH_SIZE;
use crate::{Client, Error};

/// The default linger time (see [`PublisherBuilder::linger`]).
pub const DEFAULT_LINGER: Duration = Duration::from_millis(5);

/// Builds a [`Publisher`]; each setter consumes and returns the builder.
#[must_use = "a builder does nothing until build() is called"]
pub struct PublisherBuilder {
    client: Arc<Client>,
    options: Options,
    on_delivery: Option<Hook<OnChangeDelivery>>,
}

impl fmt::Debug for PublisherBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublisherBuilder")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl PublisherBuilder {
    pub(crate) fn new(client: Arc<Client>) -> Self {
        Self {
            client,
            options: Options {
                limits: Limits {
                    max_resources: MAX_BATCH_SIZE,
                    max_bytes: None,
                },
                linger: DEFAULT_LINGER,
                coalesce: true,
                inline_batches: true,
                errors_capacity: 1024,
            },
            on_delivery: None,
        }
    }

    /// The most resources in one notification, 1 to 1000: a group is sent when it is
    /// this large. Defaults to 1000.
    pub fn max_batch(mut self, resources: usize) -> Self {
        self.options.limits.max_resources = resources;
        self
    }

    /// Whether batches are cut to go inline (their resources JSON under the client's
    /// inline threshold), or may grow to [`max_batch`](PublisherBuilder::max_batch)
    /// resources and go through blob storage when large (`false`; needs a client with
    /// blob storage). Defaults to `true`, chosen by measurement (`benches/publish.rs`,
    /// 100,000 AKS node changes of about 2.5 kB, receiver latency 5 ms, 8 workers, on
    /// a 2-core machine): inline batches delivered 12,000–16,000 changes/s against
    /// 12,000–13,600 for blob batches, and when the receiver keeps up (5,000 changes/s)
    /// their p99 publish-to-delivery latency was 12.6 ms against 21.5 ms (linger
    /// 5 ms) to 41 ms (linger 20 ms): each blob batch adds an upload and the receiver's
    /// read of it. Blob batches send far fewer requests (100 against about 5,300 for
    /// 100,000 changes; one change per notification would be 100,000): turn them on
    /// when the receiver's request rate is the limit.
    pub fn inline_batches(mut self, inline: bool) -> Self {
        self.options.inline_batches = inline;
        self
    }

    /// Caps a notification's resources JSON, in bytes (below the inline cap when
    /// batches are inline). Defaults to none beyond
    /// [`inline_batches`](PublisherBuilder::inline_batches).
    pub fn max_batch_bytes(mut self, bytes: usize) -> Self {
        self.options.limits.max_bytes = Some(bytes);
        self
    }

    /// How long a ready change waits for more changes to share its notification
    /// before a worker takes its group. Longer lingers make larger notifications
    /// (fewer requests) at the cost of latency; a group that holds a full batch goes at
    /// once, and nothing lingers during a flush or close. Defaults to
    /// [`DEFAULT_LINGER`] (5 ms: in the measurement above, 20 ms changed throughput by
    /// less than the run-to-run noise and doubled blob batches' latency).
    pub fn linger(mut self, linger: Duration) -> Self {
        self.options.linger = linger;
        self
    }

    /// Whether a newer change of a resource replaces its waiting older change (the
    /// receiver gets the newest state; the older change's outcome is the newer one's,
    /// marked `coalesced`). It reaches as far as the older change waits: for a batch,
    /// or behind an earlier batch of its resource that is being sent or retried, until
    /// a worker takes it. Off: every change is sent, in order. Defaults to `true`.
    pub fn coalesce(mut self, on: bool) -> Self {
        self.options.coalesce = on;
        self
    }

    /// How many failures [`Publisher::errors`] holds before dropping. Defaults to
    /// 1024.
    pub fn errors_capacity(mut self, failures: usize) -> Self {
        self.options.errors_capacity = failures;
        self
    }

    /// A delivery hook: `f` sees the outcome of every change published with
    /// [`Publisher::submit`] (and `try_submit`), successes and failures alike, with
    /// the resource as sent (for a change replaced by a newer one, the newer state
    /// that carried it, and the outcome marked `coalesced`). A failure still goes to
    /// [`Publisher::errors`] afterwards. Changes with a promise are not reported here.
    ///
    /// Threading: `f` runs on the thread that gives the outcome, usually a client
    /// worker (`arn-worker-{i}`), sometimes a thread closing the client or the
    /// publisher; it must return quickly and never block, or it holds up sends. A
    /// panic in `f` is caught; the outcome is reported as without a hook.
    pub fn on_delivery(
        mut self,
        f: impl Fn(&NotificationResource, &ChangeOutcome) + Send + Sync + 'static,
    ) -> Self {
        self.on_delivery = Some(Hook::new(Arc::new(f)));
        self
    }

    /// Validates the options. No thread is started: the client's workers cut the
    /// batches.
    pub fn build(self) -> Result<Publisher, Error> {
        let o = &self.options;
        let bad = |what: &str| Err(Error::Config(what.to_owned()));
        if o.limits.max_resources == 0 || o.limits.max_resources > MAX_BATCH_SIZE {
            return bad("max_batch must be between 1 and 1000");
        }
        if o.limits.max_bytes == Some(0) {
            return bad("max_batch_bytes must be at least 1");
        }
        if o.errors_capacity == 0 {
            return bad("errors_capacity must be at least 1");
        }
        Publisher::start(self.client, self.options, self.on_delivery)
    }
}
