//! One accepted notification and where its outcome goes.

use std::time::Instant;

use uuid::Uuid;

use super::Scheduler;
use crate::model::Notification;
use crate::promise::Resolver;
use crate::publisher::Fanout;
use crate::{Delivery, Error, Failure};

/// One submitted notification.
pub(crate) struct Job {
    pub(crate) notification: Notification,
    pub(crate) deadline: Instant,
    /// When the client accepted it (for [`Delivery::elapsed`]).
    pub(crate) accepted: Instant,
    pub(crate) reply: Reply,
}

/// Where a job's outcome goes.
pub(crate) enum Reply {
    /// To a promise.
    Promise(Resolver),
    /// Failures to the errors channel; successes nowhere.
    Errors,
    /// To each change of a publisher's batch (cut by the scheduler).
    Batch(Fanout),
}

/// Why a send failed, with what is known of the event.
#[derive(Debug)]
pub(crate) struct SendError {
    pub(crate) error: Error,
    pub(crate) event_id: Option<Uuid>,
    pub(crate) attempts: u32,
}

impl From<Error> for SendError {
    fn from(error: Error) -> Self {
        Self {
            error,
            event_id: None,
            attempts: 0,
        }
    }
}

/// What a send ends with.
pub(crate) type SendResult = Result<Delivery, SendError>;

impl Job {
    /// Gives the job its outcome; a failure hands the notification back.
    pub(crate) fn finish(self, result: SendResult, scheduler: &Scheduler) {
        let Job {
            notification,
            reply,
            ..
        } = self;
        let failure =
            |e: SendError, n: Notification| Failure::new(e.error, Some(n), e.event_id, e.attempts);
        match (reply, result) {
            (Reply::Promise(resolver), Ok(d)) => resolver.resolve(Ok(d)),
            (Reply::Promise(resolver), Err(e)) => resolver.resolve(Err(failure(e, notification))),
            (Reply::Errors, result) => {
                if let Some(hook) = &scheduler.on_delivery {
                    let outcome = result.as_ref().map_err(|e| &e.error);
                    hook.run(|f| f(&notification, outcome));
                }
                if let Err(e) = result {
                    scheduler.report(failure(e, notification));
                }
            }
            (Reply::Batch(fanout), Ok(d)) => fanout.delivered(&notification, d),
            (Reply::Batch(fanout), Err(e)) => fanout.failed(failure(e, notification)),
        }
    }
}
