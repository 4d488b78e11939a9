//! The worker threads: each takes ready notifications from the scheduler, encodes,
//! compresses and sends them with its own reusable buffers and compressor.
//!
//! A try that fails and will be retried does not keep its worker asleep for the
//! backoff: the worker hands the notification back to the scheduler with the event
//! it sent ([`Resend`]) and the instant of the next try, and takes other work. The
//! notification's resources stay busy meanwhile, so order holds, and whichever worker
//! is free when the retry is due makes it. `benches/publish.rs`, 6,000 changes/s with
//! 9% of requests failing: kept up 0.93x of fault-free (was 0.56x).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::compress::{zlib, Compressor};
use crate::config::ClientOptions;
use crate::model::{EncodeBuf, Encoded, Encoder, Notification};
use crate::scheduler::{outcome_of, Job, Scheduler, SendError, SendResult};
use crate::stats::StatsInner;
use crate::transport::{
    BlobStore, EventPost, EventTransport, Next, Resend, RetryPolicy, SendGate, SentEvent, Tries,
};
use crate::{Delivery, Error};

/// What every worker needs to send: shared by all of them.
pub(crate) struct SendContext {
    pub(crate) encoder: Encoder,
    pub(crate) compression: bool,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) events: Arc<dyn EventTransport>,
    /// Where resources over the inline threshold go; `None`: such notifications fail
    /// with `TooLarge` (see `ClientBuilder`).
    pub(crate) blobs: Option<Arc<dyn BlobStore>>,
    /// The client-wide throttle and cancel flag.
    pub(crate) gate: SendGate,
    /// Buffers for blocked callers that send their own notification (see
    /// [`send_on_caller`]), at most `max_callers` kept.
    pub(crate) callers: Mutex<Vec<Buffers>>,
    pub(crate) max_callers: usize,
}

/// Counts a worker alive from before its spawn until its thread ends (or its spawn
/// fails), even if it panics.
struct AliveGuard(Arc<Scheduler>);

impl AliveGuard {
    fn new(scheduler: &Arc<Scheduler>) -> Self {
        scheduler.worker_started();
        Self(Arc::clone(scheduler))
    }
}

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.worker_exited();
    }
}

/// Starts `options.workers` threads named `arn-worker-{i}`. If one cannot be started,
/// the ones already running are stopped and joined, and the error returned.
pub(crate) fn spawn_pool(
    options: &ClientOptions,
    ctx: &Arc<SendContext>,
    scheduler: &Arc<Scheduler>,
) -> Result<Vec<JoinHandle<()>>, Error> {
    let mut handles = Vec::with_capacity(options.workers);
    for index in 0..options.workers {
        let worker = Worker::new(index, Arc::clone(ctx), Arc::clone(scheduler));
        let guard = AliveGuard::new(scheduler);
        let builder = thread::Builder::new().name(format!("arn-worker-{index}"));
        #[cfg(test)]
        let builder = match options.fail_spawn_at {
            Some(i) if i == index => builder.stack_size(usize::MAX / 4),
            _ => builder,
        };
        let spawned = builder.spawn(move || {
            let _guard = guard;
            worker.run();
        });
        match spawned {
            Ok(handle) => handles.push(handle),
            Err(e) => {
                log::debug!("arn-client: spawning arn-worker-{index} failed; stopping the pool");
                // Nothing was accepted yet: the started workers exit at once.
                scheduler.close(Instant::now() + Duration::from_secs(60), || {});
                for handle in handles {
                    let _ = handle.join();
                }
                return Err(Error::Spawn(e.into()));
            }
        }
    }
    Ok(handles)
}

struct Worker {
    index: usize,
    ctx: Arc<SendContext>,
    scheduler: Arc<Scheduler>,
    buffers: Buffers,
}

/// How far a send got: ended, or waiting for its next try.
pub(crate) enum Progress {
    /// The outcome.
    Done(SendResult),
    /// A try failed and will be retried at this instant (before the deadline).
    Retry(Resend, Instant),
}

/// What one sending thread reuses from notification to notification.
#[derive(Default)]
pub(crate) struct Buffers {
    buf: EncodeBuf,
    compress: Compressor,
    compressed: Vec<u8>,
}

impl Buffers {
    /// Sends `job` (its next try, given `resend`); a panic in the send (a
    /// transport's, say) is its outcome.
    fn send_caught(
        &mut self,
        ctx: &SendContext,
        stats: &StatsInner,
        job: &Job,
        resend: Option<Resend>,
    ) -> Progress {
        let (n, deadline, accepted) = (&job.notification, job.deadline, job.accepted);
        let Self {
            buf,
            compress,
            compressed,
        } = self;
        let outcome = catch_unwind(AssertUnwindSafe(|| match resend {
            Some(resend) => retry(ctx, stats, n, deadline, resend),
            None => send(ctx, stats, job, buf, compress, compressed)
                .unwrap_or_else(|e| Progress::Done(Err(e))),
        }));
        let progress = outcome.unwrap_or_else(|payload| {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            stats.panicked();
            // The buffers may be half-written; `encode` clears them and `zlib` resets
            // the compressor before every use, so they are reused as they are.
            Progress::Done(Err(SendError {
                error: Error::Panicked(msg),
                event_id: None,
                attempts: 0,
            }))
        });
        match progress {
            Progress::Done(result) => Progress::Done(result.map(|mut delivery| {
                delivery.elapsed = accepted.elapsed();
                delivery
            })),
            retry => retry,
        }
    }
}

/// Sends `n` on the calling thread: a blocking `notify` whose notification was ready
/// at once sends it itself instead of waking a worker and waiting to be woken (a
/// retry's backoff, too, is slept on this thread: it is blocked for the outcome
/// anyway). Its buffers and compressor come from the client's pool of caller buffers
/// and go back to it, so application threads keep none: the pool holds at most one
/// set per worker (the in-flight limit caps how many callers send at once), about
/// 350 KB each with compression on (`tests/alloc_callers.rs`).
pub(crate) fn send_on_caller(ctx: &SendContext, stats: &StatsInner, job: &Job) -> SendResult {
    let mut buffers = ctx.callers.lock().pop().unwrap_or_default();
    let mut progress = buffers.send_caught(ctx, stats, job, None);
    let result = loop {
        match progress {
            Progress::Done(result) => break result,
            Progress::Retry(resend, at) => {
                ctx.gate.sleep_until(at);
                progress = buffers.send_caught(ctx, stats, job, Some(resend));
            }
        }
    };
    let mut pool = ctx.callers.lock();
    if pool.len() < ctx.max_callers {
        pool.push(buffers);
    }
    result
}

impl Worker {
    fn new(index: usize, ctx: Arc<SendContext>, scheduler: Arc<Scheduler>) -> Self {
        Self {
            index,
            ctx,
            scheduler,
            buffers: Buffers::default(),
        }
    }

    /// Runs until the scheduler says to exit. A panic that escapes the handling of a
    /// job (in a `log` backend, say) is caught here: the job in hand still gets its
    /// outcome (see `Task`'s `Drop`) and the worker goes on.
    fn run(mut self) {
        let index = self.index;
        let _ = catch_unwind(|| log::debug!("arn-worker-{index} started"));
        while catch_unwind(AssertUnwindSafe(|| self.serve())).is_err() {}
        let _ = catch_unwind(|| log::debug!("arn-worker-{index} stopped"));
    }

    fn serve(&mut self) {
        let scheduler = Arc::clone(&self.scheduler);
        let mut done = None;
        while let Some(mut task) = scheduler.next(done.take()) {
            let resend = task.take_resend();
            let job = task.job();
            let resources = job.notification.resources.len();
            let progress = self
                .buffers
                .send_caught(&self.ctx, &self.scheduler.stats, job, resend);
            let what = match &progress {
                Progress::Done(Ok(_)) => "sent",
                Progress::Done(Err(_)) => "failed",
                Progress::Retry(..) => "to be retried",
            };
            done = Some(match progress {
                Progress::Done(result) => task.complete(result),
                Progress::Retry(resend, at) => task.park(resend, at),
            });
            log::trace!(
                "arn-worker-{}: notification with {resources} resources: {what}",
                self.index
            );
        }
    }
}

/// Validates (unless it was, see [`Job::validation`]), encodes, uploads (if large),
/// compresses (if enabled) and makes the first try of posting `job`'s notification.
/// The report's `elapsed` is left for the caller to fill in.
fn send(
    ctx: &SendContext,
    stats: &StatsInner,
    job: &Job,
    buf: &mut EncodeBuf,
    compress: &mut Compressor,
    compressed: &mut Vec<u8>,
) -> Result<Progress, SendError> {
    let (n, deadline) = (&job.notification, job.deadline);
    if Instant::now() >= deadline {
        stats.not_sent();
        return Err(Error::TIMEOUT.into());
    }
    let id = uuid::Uuid::new_v4();
    let event_id = (!n.resources.is_empty()).then_some(id);
    let encoded = ctx.encoder.encode_as(n, buf, id, job.validation());
    let unsent = |error: Error| {
        stats.not_sent();
        SendError {
            error,
            event_id,
            attempts: 0,
        }
    };
    let start = Instant::now();
    let (event, inline) = match encoded.map_err(unsent)? {
        Encoded::Empty => return Ok(Progress::Done(Ok(Delivery::empty()))),
        Encoded::Inline(event) => (event, true),
        Encoded::Blob(pending) => {
            let Some(blobs) = &ctx.blobs else {
                // Queued submissions were refused before; a blocking `notify` learns
                // it here.
                let size = pending.resources().len();
                let threshold = ctx.encoder.inline_threshold();
                return Err(unsent(Error::TooLarge { size, threshold }));
            };
            let url = blobs
                .upload(pending.resources(), deadline)
                .map_err(unsent)?;
            (pending.finish(url.expose()), false)
        }
    };
    let body: &[u8] = if ctx.compression {
        zlib(compress, event, compressed).map_err(unsent)?;
        compressed
    } else {
        event
    };
    let post = EventPost {
        body,
        compressed: ctx.compression,
        publisher_info: &n.context.publisher_info,
        deadline,
    };
    let mut tries = Tries::new(&ctx.retry_policy, deadline);
    let next = tries.attempt(|| ctx.events.post(&post), Some(&ctx.gate));
    let event = SentEvent {
        inline,
        event_bytes: event.len(),
        id,
        start,
        tries,
    };
    Ok(match next {
        Next::Done(result) => Progress::Done(outcome_of(stats, event, body.len(), result)),
        Next::RetryAt(at) => {
            let (body, compressed) = (body.to_vec(), ctx.compression);
            let resend = Resend {
                body,
                compressed,
                event,
            };
            Progress::Retry(resend, at)
        }
    })
}

/// The next try of `n`'s event, as `resend` keeps it.
fn retry(
    ctx: &SendContext,
    stats: &StatsInner,
    n: &Notification,
    deadline: Instant,
    mut resend: Resend,
) -> Progress {
    let post = EventPost {
        body: &resend.body,
        compressed: resend.compressed,
        publisher_info: &n.context.publisher_info,
        deadline,
    };
    let next = resend
        .event
        .tries
        .attempt(|| ctx.events.post(&post), Some(&ctx.gate));
    match next {
        Next::Done(result) => {
            let sent_bytes = resend.body.len();
            Progress::Done(outcome_of(stats, resend.event, sent_bytes, result))
        }
        Next::RetryAt(at) => Progress::Retry(resend, at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OrderBy;

    #[test]
    fn spawn_failure_is_an_error_and_stops_the_started_workers() {
        let options = ClientOptions {
            workers: 3,
            fail_spawn_at: Some(2),
            ..ClientOptions::default()
        };
        let stats = Arc::new(StatsInner::default());
        let (errors, _errors_rx) = crossbeam_channel::bounded(1);
        let limits = crate::scheduler::Limits {
            capacity: 16,
            max_bytes: usize::MAX,
            workers: 3,
            order_by: OrderBy::Resource,
        };
        let scheduler = Arc::new(Scheduler::new(limits, stats, errors, None));
        struct Nothing;
        impl EventTransport for Nothing {
            fn post(&self, _: &EventPost<'_>) -> Result<(), Error> {
                Ok(())
            }
        }
        impl BlobStore for Nothing {
            fn upload(&self, _: &[u8], _: Instant) -> Result<crate::SecretUrl, Error> {
                Err(Error::Closed)
            }
        }
        let fake = Arc::new(Nothing);
        let ctx = Arc::new(SendContext {
            encoder: Encoder::new(100),
            compression: false,
            retry_policy: RetryPolicy::default(),
            events: fake.clone(),
            blobs: Some(fake),
            gate: SendGate::default(),
            callers: Mutex::default(),
            max_callers: 3,
        });
        let result = spawn_pool(&options, &ctx, &scheduler);
        assert!(matches!(result, Err(Error::Spawn(_))), "{:?}", result.err());
        // The two started workers were stopped and joined.
        assert!(scheduler.all_exited());
    }
}
