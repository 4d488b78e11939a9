//! How a client is made: [`Client::builder`], [`Client::with_transports`] and the
//! [`ClientBuilder`] they return, which validates the options and starts the client.
//! Above the client: the client itself knows only its options (`config.rs`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::blob::BlobConfig;
use crate::config::{ClientOptions, OrderBy};
use crate::transport::{BlobStore, EventTransport, ReceiverConfig, RetryPolicy};
use crate::{Client, Error};

impl Client {
    /// A builder for a client that talks to the real ARN receiver, authenticated with
    /// an `azure_identity` credential (the Go client's `Args{HTTP}`). Add Azure Blob
    /// Storage for large notifications with [`ClientBuilder::blob_storage`].
    pub fn builder(receiver: ReceiverConfig) -> ClientBuilder {
        ClientBuilder::azure(receiver)
    }

    /// A builder for a client that posts through `events` (the Go `WithFakeClients`;
    /// the real transport plugs in the same way, see
    /// [`ReceiverConfig::into_transport`](crate::transport::ReceiverConfig::into_transport)).
    /// Add a blob store with [`ClientBuilder::blob_store`].
    pub fn with_transports(events: Arc<dyn EventTransport>) -> ClientBuilder {
        ClientBuilder::new(events)
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
    /// [`DEFAULT_INLINE_THRESHOLD`](crate::model::DEFAULT_INLINE_THRESHOLD) (42,000).
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

    /// How many idle promise slots are kept for reuse, by the client and its
    /// publishers together (they share one pool). Defaults to 1024.
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
