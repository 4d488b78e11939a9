//! One accepted notification and where its outcome goes.

use std::time::Instant;

use super::Scheduler;
use crate::model::Notification;
use crate::promise::Resolver;
use crate::{Error, Failure};

/// One submitted notification.
pub(crate) struct Job {
    pub(crate) notification: Notification,
    pub(crate) deadline: Instant,
    pub(crate) reply: Reply,
}

/// Where a job's outcome goes.
pub(crate) enum Reply {
    /// To a promise.
    Promise(Resolver),
    /// Failures to the errors channel; successes nowhere.
    Errors,
}

impl Job {
    /// Gives the job its outcome.
    pub(crate) fn finish(self, result: Result<(), Error>, scheduler: &Scheduler) {
        match self.reply {
            Reply::Promise(resolver) => resolver.resolve(result),
            Reply::Errors => {
                if let Err(error) = result {
                    scheduler.report(Failure::new(error, self.notification));
                }
            }
        }
    }
}
