//! Client options and their defaults, and the builder that validates them.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::blob::BlobConfig;
use crate::model::DEFAULT_INLINE_THRESHOLD;
use crate::transport::{BlobStore, EventTransport, ReceiverConfig, RetryPolicy};
use crate::{Client, Error};

/// The most worker threads a client may run.
const MAX_WORKERS: usize = 256;

/// Which notifications keep their order relative to each other (`docs/protocol.md`
/// section 8: "order usually matters in ARN").
///
/// Two notifications that share an ordering key are started in the order the client
/// accepted them, and the later one is not started before the earlier one has its
/// outcome (success or failure), so two of them are never in flight at once.
/// Notifications that share no key run in parallel: a notification waits only for
/// earlier ones that share a key with it, never for a slow or retrying notification
/// about something else. The variants differ in what the keys are.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrderBy {
    /// One key per resource id (`resourceId`, compared ignoring ASCII case), whatever
    /// the notification's subject: a batch about nodes `n1..n5` of a cluster and a
    /// later single-resource notification about `n2` stay in order; a batch about
    /// `n1..n5` and one about `n6` run in parallel. The most parallel choice that
    /// keeps every resource's states in order.
    #[default]
    Resource,
    /// One key per top-level ARM resource of each resource (the first
    /// `providers/{Namespace}/{type}/{name}`, e.g. one AKS managed cluster with all
    /// its nodes): everything about one cluster is sent one notification at a time, in
    /// order; a batch that spans two clusters waits for both. Ids with no top-level
    /// resource (a resource group, a subscription) are their own key.
    TopLevelResource,
    /// A single key: every notification in acceptance order, one at a time (the
    /// strictest choice, with no parallelism at all).
    Global,
}

/// The function of [`ClientBuilder::on_delivery`].
pub(crate) type OnDelivery =
    dyn Fn(&crate::model::Notification, Result<&crate::Delivery, &Error>) + Send + Sync;

/// The validated options of a client.
#[derive(Clone, Debug)]
pub(crate) struct ClientOptions {
    pub(crate) workers: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) max_pending_bytes: usize,
    pub(crate) errors_capacity: usize,
    pub(crate) inline_threshold: usize,
    pub(crate) compression: bool,
    pub(crate) default_deadline: Duration,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) close_timeout: Duration,
    pub(crate) promise_pool_size: usize,
    pub(crate) order_by: OrderBy,
    pub(crate) on_delivery: Option<crate::hook::Hook<OnDelivery>>,
    /// Test hook: worker `i` is spawned with an impossible stack size, so it fails.
    #[cfg(test)]
    pub(crate) fail_spawn_at: Option<usize>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            workers: 4,
            queue_capacity: 4096,
            max_pending_bytes: 256 << 20,
            errors_capacity: 1024,
            inline_threshold: DEFAULT_INLINE_THRESHOLD,
            compression: false,
            default_deadline: Duration::from_secs(60),
            retry_policy: RetryPolicy::default(),
            close_timeout: Duration::from_secs(10),
            promise_pool_size: 1024,
            order_by: OrderBy::Resource,
            on_delivery: None,
            #[cfg(test)]
            fail_spawn_at: None,
        }
    }
}

impl ClientOptions {
    fn validate(&self) -> Result<(), Error> {
        let bad = |what: &str| Err(Error::Config(what.to_owned()));
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return bad("workers must be between 1 and 256");
        }
        if self.queue_capacity == 0 || self.max_pending_bytes == 0 {
            return bad("queue_capacity and max_pending_bytes must be at least 1");
        }
        if self.errors_capacity == 0 {
            return bad("errors_capacity must be at least 1");
        }
        if self.inline_threshold == 0 {
            return bad("inline_threshold must be at least 1");
        }
        if self.default_deadline.is_zero() {
            return bad("default_deadline must be longer than zero");
        }
        if self.retry_policy.initial_delay > self.retry_policy.max_delay {
            return bad("retry_policy.initial_delay must not exceed max_delay");
        }
        Ok(())
    }
}

/// Where a client posts events: a given transport, or the real ARN receiver.
enum Events {
    Given(Arc<dyn EventTransport>),
    Azure(Box<ReceiverConfig>),
}

/// Where large resources go, if anywhere.
enum Blobs {
    None,
    Given(Arc<dyn BlobStore>),
    Azure(Box<BlobConfig>),
}

/// Builds a [`Client`]: the receiver is positional, everything else optional.
///
/// Made by [`Client::builder`] (the real ARN receiver, the Go `Args{HTTP}`) or
/// [`Client::with_transports`] (any event transport, the Go `WithFakeClients`). Blob
/// storage is optional: add it with [`ClientBuilder::blob_storage`] (Azure) or
/// [`ClientBuilder::blob_store`] (any store). Without it, a notification whose
/// resources are too large to go inline fails with [`Error::TooLarge`], which names
/// the size and the threshold and hands the notification back: at submission for
/// `submit`, `send_async` and the `try_` variants, from its encoding for a blocking
/// `notify` (which encodes it anyway). Each setter consumes and returns the builder.
///
/// HTTP proxies are set where the connections are made:
/// [`ReceiverConfig::proxy`] for the receiver, [`BlobConfig::proxy`] for Azure Storage,
/// [`UreqHttpClientBuilder::proxy`](crate::transport::UreqHttpClientBuilder::proxy)
/// for a credential's Entra ID requests. By default each reads `ALL_PROXY`,
/// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` when it is built
/// ([`Proxy`](crate::transport::Proxy) has the rules).
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), arn_client::Error> {
/// use std::time::Duration;
/// use arn_client::{Client, OrderBy};
/// use arn_client::testing::FakeTransport;
///
/// let fake = FakeTransport::new();
/// let client = Client::with_transports(fake.clone())
///     .blob_store(fake) // optional: large notifications through a blob store
///     .workers(8)
///     .compression(true)
///     .order_by(OrderBy::TopLevelResource)
///     .default_deadline(Duration::from_secs(30))
///     .build()?;
/// # drop(client);
/// # Ok(()) }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder {
    events: Events,
    blobs: Blobs,
    options: ClientOptions,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("options", &self.options)
            .field("blob_storage", &!matches!(self.blobs, Blobs::None))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    pub(crate) fn new(events: Arc<dyn EventTransport>) -> Self {
        Self {
            events: Events::Given(events),
            blobs: Blobs::None,
            options: ClientOptions::default(),
        }
    }

    pub(crate) fn azure(receiver: ReceiverConfig) -> Self {
        Self {
            events: Events::Azure(Box::new(receiver)),
            blobs: Blobs::None,
            options: ClientOptions::default(),
        }
    }

    /// Sends notifications whose resources are too large to go inline through Azure
    /// Blob Storage (a read-only user delegation SAS URL in the event). Defaults to
    /// none: such notifications are refused with [`Error::TooLarge`].
    pub fn blob_storage(mut self, blob: BlobConfig) -> Self {
        self.blobs = Blobs::Azure(Box::new(blob));
        self
    }

    /// Like [`ClientBuilder::blob_storage`], with any [`BlobStore`] (a fake in tests,
    /// or your own). Defaults to none.
    pub fn blob_store(mut self, store: Arc<dyn BlobStore>) -> Self {
        self.blobs = Blobs::Given(store);
        self
    }

    /// The number of worker threads (`arn-worker-{i}`), 1 to 256: how many
    /// notifications can be in flight at once. Any worker sends any ready
    /// notification; order is kept by [`OrderBy`], not by routing. Defaults to 4.
    pub fn workers(mut self, workers: usize) -> Self {
        self.options.workers = workers;
        self
    }

    /// How many accepted entries the client holds that are not being sent (ready, or
    /// waiting for an earlier one about the same resource) before submissions block
    /// (or the `try_` calls fail with [`Error::QueueFull`]). An entry is a
    /// notification, or one change of a [`Publisher`](crate::publisher::Publisher) over
    /// this client (a change that replaces a waiting one adds none). At most one task
    /// per worker is in flight besides. Defaults to 4096.
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.options.queue_capacity = capacity;
        self
    }

    /// How many estimated bytes of entries not being sent the client holds before
    /// submissions block (or the `try_` calls fail with [`Error::QueueFull`]): a
    /// change counts its resource's JSON size, a notification its resources'
    /// serialized properties and ids plus 256 bytes each. Defaults to 256 MiB.
    pub fn max_pending_bytes(mut self, bytes: usize) -> Self {
        self.options.max_pending_bytes = bytes;
        self
    }

    /// How many failures the [`Client::errors`] channel holds; when it is full, further
    /// failures are dropped and counted in [`crate::Stats::errors_dropped`].
    /// Defaults to 1024.
    pub fn errors_capacity(mut self, capacity: usize) -> Self {
        self.options.errors_capacity = capacity;
        self
    }

    /// Resources JSON of this many bytes or more goes to blob storage instead of inline
    /// (`docs/protocol.md` section 1). Defaults to
    /// [`DEFAULT_INLINE_THRESHOLD`] (42,000).
    pub fn inline_threshold(mut self, bytes: usize) -> Self {
        self.options.inline_threshold = bytes;
        self
    }

    /// Whether event bodies are zlib-compressed (as zlib's level 5 would, within 2% of
    /// its size) and sent with
    /// `Content-Encoding: deflate` (`docs/protocol.md` section 2). The one place
    /// compression is set: the workers compress, and every transport sends what
    /// they hand it. Defaults to `false` (as the Go client).
    pub fn compression(mut self, enabled: bool) -> Self {
        self.options.compression = enabled;
        self
    }

    /// The deadline given to notifications submitted without one: a notification not
    /// sent by then fails with [`Error::Timeout`]. Defaults to 60 seconds.
    pub fn default_deadline(mut self, deadline: Duration) -> Self {
        self.options.default_deadline = deadline;
        self
    }

    /// How failed POSTs are retried. Defaults to [`RetryPolicy::default`] (3 retries,
    /// 800 ms base delay, 60 s cap).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry_policy = policy;
        self
    }

    /// How long dropping the client waits for queued notifications before giving up on
    /// them (see [`Client::close`]). Defaults to 10 seconds.
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.options.close_timeout = timeout;
        self
    }

    /// Which notifications keep their order (see [`OrderBy`]). Defaults to
    /// [`OrderBy::Resource`].
    pub fn order_by(mut self, order_by: OrderBy) -> Self {
        self.options.order_by = order_by;
        self
    }

    /// How many idle promise slots are kept for reuse. Defaults to 1024.
    pub fn promise_pool_size(mut self, slots: usize) -> Self {
        self.options.promise_pool_size = slots;
        self
    }

    /// A delivery hook: `f` sees the outcome of every notification sent with
    /// [`Client::submit`] (and `submit_with_deadline`, `try_submit`), successes and
    /// failures alike, as a Kafka producer's delivery callback does: the notification
    /// and its [`Delivery`](crate::Delivery) report or [`Error`]. A failure still goes
    /// to [`Client::errors`] afterwards. Notifications with a promise or a blocked
    /// caller are not reported here (their outcome goes there).
    ///
    /// Threading: `f` runs on the thread that gives the outcome, usually a worker
    /// (`arn-worker-{i}`), sometimes a thread calling [`Client::close`] or whose
    /// deadline sweep expired the notification; it must return quickly and never
    /// block (hand the work to a channel of your own), or it holds up sends. A panic
    /// in `f` is caught; the outcome is reported as without a hook.
    pub fn on_delivery(
        mut self,
        f: impl Fn(&crate::model::Notification, Result<&crate::Delivery, &Error>)
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.options.on_delivery = Some(crate::hook::Hook::new(Arc::new(f)));
        self
    }

    /// Validates the options and starts the worker threads.
    ///
    /// Fails with [`Error::Config`] for an invalid option and [`Error::Spawn`] when a
    /// thread cannot be started (threads already started are stopped first).
    ///
    /// The receiver and blob configurations are validated here too; nothing touches
    /// the network (with blob storage, the first user delegation key is requested in
    /// the background).
    pub fn build(self) -> Result<Client, Error> {
        self.options.validate()?;
        let events = match self.events {
            Events::Given(events) => events,
            Events::Azure(receiver) => receiver.into_transport()?,
        };
        let blobs: Option<Arc<dyn BlobStore>> = match self.blobs {
            Blobs::None => None,
            Blobs::Given(store) => Some(store),
            Blobs::Azure(blob) => Some(Arc::new(blob.build()?)),
        };
        Client::start(self.options, events, blobs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        ClientOptions::default().validate().unwrap();
    }

    #[test]
    fn invalid_options_are_config_errors() {
        let cases: [fn(&mut ClientOptions); 6] = [
            |o| o.workers = 0,
            |o| o.workers = 257,
            |o| o.queue_capacity = 0,
            |o| o.errors_capacity = 0,
            |o| o.inline_threshold = 0,
            |o| o.default_deadline = Duration::ZERO,
        ];
        for case in cases {
            let mut o = ClientOptions::default();
            case(&mut o);
            assert!(matches!(o.validate(), Err(Error::Config(_))), "{o:?}");
        }
    }
}
