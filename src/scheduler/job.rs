//! One accepted notification and where its outcome goes.

use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;

use uuid::Uuid;

use super::Scheduler;
use crate::model::Notification;
use crate::promise::Resolver;
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
    /// To a function, run once with the outcome on whichever thread gives it (a
    /// worker, or a closing thread): the publisher fans a batch's outcome out to its
    /// changes this way. Shared, so a close that gives up on the send can run it.
    Callback(Arc<CallbackSlot>),
}

/// A function for an outcome.
pub(crate) type Callback = Box<dyn FnOnce(Result<Delivery, Failure>) + Send>;

/// A callback that runs at most once, whoever takes it first.
pub(crate) struct CallbackSlot(Mutex<Option<Callback>>);

impl CallbackSlot {
    pub(crate) fn new(f: Callback) -> Arc<Self> {
        Arc::new(Self(Mutex::new(Some(f))))
    }

    /// Runs the callback with `outcome` unless it already ran.
    pub(crate) fn run(&self, outcome: Result<Delivery, Failure>) {
        let f = self.0.lock().take();
        if let Some(f) = f {
            f(outcome);
        }
    }
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
            |e: SendError| Failure::new(e.error, Some(notification), e.event_id, e.attempts);
        match reply {
            Reply::Promise(resolver) => resolver.resolve(result.map_err(failure)),
            Reply::Errors => {
                if let Err(e) = result {
                    scheduler.report(failure(e));
                }
            }
            Reply::Callback(slot) => slot.run(result.map_err(failure)),
        }
    }
}
