//! One accepted notification and where its outcome goes: its reply, and for a
//! fire-and-forget one the client's errors channel and delivery hook.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};
use uuid::Uuid;

use crate::batch::{ChangeJob, Fanout};
use crate::config::OnDelivery;
use crate::hook::Hook;
use crate::model::{Notification, Validation};
use crate::promise::Resolver;
use crate::stats::StatsInner;
use crate::transport::SentEvent;
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

/// Where fire-and-forget outcomes go: what a job's outcome needs besides its reply.
pub(crate) struct Reporter {
    /// Counts failures dropped on a full errors channel.
    stats: Arc<StatsInner>,
    /// The client's errors channel (bounded).
    errors: Sender<Failure>,
    /// Sees every outcome of a fire-and-forget notification.
    on_delivery: Option<Hook<OnDelivery>>,
}

impl Reporter {
    /// Failures to `errors` (dropped and counted in `stats` when full), every outcome
    /// to `on_delivery`.
    pub(crate) fn new(
        stats: Arc<StatsInner>,
        errors: Sender<Failure>,
        on_delivery: Option<Hook<OnDelivery>>,
    ) -> Self {
        Self {
            stats,
            errors,
            on_delivery,
        }
    }

    /// Puts a failure on the errors channel, or counts it dropped (warning once).
    pub(crate) fn report(&self, failure: Failure) {
        if let Err(TrySendError::Full(_)) = self.errors.try_send(failure) {
            // No logging while unwinding: a panicking logger would abort.
            if self.stats.error_dropped() && !std::thread::panicking() {
                log::warn!("arn-client errors channel is full: dropping failures (counted in Stats::errors_dropped)");
            }
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

/// The outcome of `event` (`sent_bytes` on the wire) once its tries ended with
/// `result`.
pub(crate) fn outcome_of(
    stats: &StatsInner,
    event: SentEvent,
    sent_bytes: usize,
    result: Result<(), Error>,
) -> SendResult {
    let (attempts, elapsed) = (event.tries.count(), event.start.elapsed());
    stats.event_sent(result.is_ok(), event.inline, sent_bytes, elapsed);
    match result {
        Ok(()) => Ok(Delivery {
            event_id: event.id,
            inline: event.inline,
            event_bytes: event.event_bytes,
            sent_bytes,
            attempts,
            elapsed: Duration::ZERO,
        }),
        Err(error) => Err(SendError {
            error,
            event_id: Some(event.id),
            attempts,
        }),
    }
}

impl Job {
    /// The changes of one batch (same group, at least one) as a notification whose
    /// outcome goes to each of them; its deadline is its earliest change's.
    pub(crate) fn batch(items: Vec<ChangeJob>) -> Job {
        let first = items.first().expect("a batch has changes");
        let deadline = items
            .iter()
            .map(|c| c.deadline)
            .min()
            .unwrap_or(first.deadline);
        let accepted = items
            .iter()
            .map(|c| c.accepted)
            .min()
            .unwrap_or(first.accepted);
        let (notification, fanout) = Fanout::of(items);
        Job {
            notification,
            deadline,
            accepted,
            reply: Reply::Batch(fanout),
        }
    }

    /// Whether the notification's rules still need checking: a batch's hold already
    /// (each change was validated at publish, and the group key makes the rules across
    /// resources hold; see `batch::GroupKey`), a caller's notification is checked when
    /// it is encoded.
    pub(crate) fn validation(&self) -> Validation {
        match self.reply {
            Reply::Batch(_) => Validation::Done,
            Reply::Promise(_) | Reply::Errors => Validation::Run,
        }
    }

    /// Gives the job its outcome; a failure hands the notification back.
    pub(crate) fn finish(self, result: SendResult, reporter: &Reporter) {
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
                if let Some(hook) = &reporter.on_delivery {
                    let outcome = result.as_ref().map_err(|e| &e.error);
                    hook.run(|f| f(&notification, outcome));
                }
                if let Err(e) = result {
                    reporter.report(failure(e, notification));
                }
            }
            (Reply::Batch(fanout), Ok(d)) => fanout.delivered(&notification, d),
            (Reply::Batch(fanout), Err(e)) => fanout.failed(failure(e, notification)),
        }
    }
}
