//! The client's crate-internal hooks for the publisher: hand-off with a callback,
//! waiting for room, and what the publisher needs to know of the configuration.

use std::sync::Arc;
use std::time::Instant;

use super::Client;
use crate::model::Notification;
use crate::scheduler::{Callback, CallbackSlot, Job, Reply, Wait};
use crate::Failure;

impl Client {
    /// Queues `n` whose outcome goes to `callback`, run once on a worker or a closing
    /// thread, or here at once when the client refuses `n`: the publisher's hand-off.
    pub(crate) fn submit_with_callback(
        &self,
        n: Notification,
        deadline: Instant,
        callback: Callback,
    ) {
        // No size count: the publisher cuts its batches by their exact JSON size
        // (`model::json_len` per change); a batch that were too large anyway would get
        // `TooLarge` from its encoding, through `callback` all the same.
        let n = match self.check(n, false) {
            Ok(n) => n,
            Err(refused) => {
                let (error, n) = refused.into_parts();
                return callback(Err(Failure::new(error, Some(n), None, 0)));
            }
        };
        let job = Job {
            notification: n,
            deadline,
            accepted: Instant::now(),
            reply: Reply::Callback(CallbackSlot::new(callback)),
        };
        if let Err((error, job)) = self.scheduler.accept(job, Wait::Until(deadline)) {
            if let Reply::Callback(slot) = job.reply {
                slot.run(Err(Failure::new(error, Some(job.notification), None, 0)));
            }
        }
    }

    /// How many idle promise slots a pool keeps (`ClientBuilder::promise_pool_size`);
    /// the publisher's pool keeps as many.
    pub(crate) fn promise_pool_size(&self) -> usize {
        self.options.promise_pool_size
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

    /// Waits until a submission would be accepted at once; `false` if `deadline`
    /// passed first.
    pub(crate) fn wait_for_room(&self, deadline: Instant) -> bool {
        self.scheduler.wait_room(deadline)
    }

    /// The counters, shared with a publisher's promises.
    pub(crate) fn stats_inner(&self) -> Arc<crate::stats::StatsInner> {
        Arc::clone(&self.scheduler.stats)
    }

    /// The configured default deadline and close timeout.
    pub(crate) fn timeouts(&self) -> (std::time::Duration, std::time::Duration) {
        (self.options.default_deadline, self.options.close_timeout)
    }
}
