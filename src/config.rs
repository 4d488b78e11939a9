//! Client options and their defaults, and their validation. The builder that sets
//! them and starts a client is `builder.rs`, above the client; the client and its
//! workers read them.

use std::time::Duration;

use crate::model::DEFAULT_INLINE_THRESHOLD;
use crate::transport::RetryPolicy;
use crate::Error;

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

/// The function of [`ClientBuilder::on_delivery`](crate::ClientBuilder::on_delivery).
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
    /// `Error::Config` for the first option out of range.
    pub(crate) fn validate(&self) -> Result<(), Error> {
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
