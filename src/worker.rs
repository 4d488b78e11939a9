//! The worker threads: each owns a bounded queue, a reusable encode buffer and
//! compressor, and sends one notification at a time (so one resource's notifications
//! leave in submission order; `arn-protocol.md` section 8).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use flate2::{Compress, Compression, FlushCompress, Status};
use parking_lot::{Condvar, Mutex};

use crate::config::{ClientOptions, OrderBy};
use crate::model::{EncodeBuf, Encoded, Encoder, Notification};
use crate::promise::Resolver;
use crate::stats::StatsInner;
use crate::transport::{post_with_retries, BlobStore, EventPost, EventTransport, RetryPolicy};
use crate::{Error, Failure};

/// What a worker queue carries.
#[allow(clippy::large_enum_variant)] // boxing the job would allocate per notification
pub(crate) enum Msg {
    /// A notification to send.
    Job(Job),
    /// A flush marker: everything queued before it has an outcome.
    Flush(Arc<Latch>),
}

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
    /// Gives the job its outcome without sending it (refused, expired, abandoned).
    pub(crate) fn finish(self, result: Result<(), Error>, shared: &PoolShared) {
        match self.reply {
            Reply::Promise(resolver) => resolver.resolve(result),
            Reply::Errors => {
                if let Err(error) = result {
                    shared.report(Failure::new(error, self.notification));
                }
            }
        }
    }
}

/// A count that can be waited on until it reaches zero: the workers a flush marker
/// still has to pass, and the worker threads still alive.
pub(crate) struct Latch {
    count: Mutex<usize>,
    zero: Condvar,
}

impl Latch {
    pub(crate) fn new(count: usize) -> Self {
        Self {
            count: Mutex::new(count),
            zero: Condvar::new(),
        }
    }

    fn count_up(&self) {
        *self.count.lock() += 1;
    }

    fn count_down(&self) {
        let mut count = self.count.lock();
        *count = count.saturating_sub(1);
        if *count == 0 {
            self.zero.notify_all();
        }
    }

    /// Waits for zero; `false` if `deadline` passed first.
    pub(crate) fn wait(&self, deadline: Instant) -> bool {
        let mut count = self.count.lock();
        while *count > 0 {
            if self.zero.wait_until(&mut count, deadline).timed_out() {
                return *count == 0;
            }
        }
        true
    }
}

/// What every worker needs to send: immutable, shared.
pub(crate) struct SendContext {
    pub(crate) encoder: Encoder,
    pub(crate) compression: bool,
    pub(crate) retry_policy: RetryPolicy,
    pub(crate) events: Arc<dyn EventTransport>,
    pub(crate) blobs: Arc<dyn BlobStore>,
}

/// State shared by the client and its workers.
pub(crate) struct PoolShared {
    pub(crate) stats: Arc<StatsInner>,
    errors: Sender<Failure>,
    /// Per worker: the promise of the job it is sending, so close can give up on it.
    inflight: Vec<Mutex<Option<Resolver>>>,
    /// Worker threads not yet ended; zero means every worker exited.
    alive: Latch,
}

impl PoolShared {
    pub(crate) fn new(workers: usize, stats: Arc<StatsInner>, errors: Sender<Failure>) -> Self {
        Self {
            stats,
            errors,
            inflight: (0..workers).map(|_| Mutex::new(None)).collect(),
            alive: Latch::new(0),
        }
    }

    /// Puts a failure on the errors channel, or counts it dropped (warning once).
    pub(crate) fn report(&self, failure: Failure) {
        if let Err(TrySendError::Full(_)) = self.errors.try_send(failure) {
            if self.stats.error_dropped() {
                log::warn!("arn-client errors channel is full: dropping failures (counted in Stats::errors_dropped)");
            }
        }
    }

    /// Waits until every worker thread has finished; `false` if `deadline` passed.
    pub(crate) fn wait_exited(&self, deadline: Instant) -> bool {
        self.alive.wait(deadline)
    }

    /// Resolves the promises of the jobs being sent right now with `Error::Timeout`
    /// (their workers are stuck); the workers' own outcomes are then ignored.
    pub(crate) fn abandon_inflight(&self) {
        for slot in &self.inflight {
            if let Some(resolver) = slot.lock().take() {
                resolver.resolve(Err(Error::TIMEOUT));
            }
        }
    }
}

/// Counts a worker alive from before its spawn until its thread ends (or its spawn
/// fails), even if it panics.
struct AliveGuard(Arc<PoolShared>);

impl AliveGuard {
    fn new(shared: &Arc<PoolShared>) -> Self {
        shared.alive.count_up();
        Self(Arc::clone(shared))
    }
}

impl Drop for AliveGuard {
    fn drop(&mut self) {
        self.0.alive.count_down();
    }
}

/// The started pool.
pub(crate) struct Pool {
    pub(crate) senders: Vec<Sender<Msg>>,
    pub(crate) receivers: Vec<Receiver<Msg>>,
    pub(crate) handles: Vec<JoinHandle<()>>,
}

/// Starts `options.workers` threads named `arn-worker-{i}`. If one cannot be started,
/// the ones already running are stopped and joined, and the error returned.
pub(crate) fn spawn_pool(
    options: &ClientOptions,
    ctx: &Arc<SendContext>,
    shared: &Arc<PoolShared>,
) -> Result<Pool, Error> {
    let mut pool = Pool {
        senders: Vec::with_capacity(options.workers),
        receivers: Vec::with_capacity(options.workers),
        handles: Vec::with_capacity(options.workers),
    };
    for index in 0..options.workers {
        let (tx, rx) = bounded(options.queue_capacity);
        let worker = Worker::new(index, rx.clone(), Arc::clone(ctx), Arc::clone(shared));
        let guard = AliveGuard::new(shared);
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
            Ok(handle) => {
                pool.senders.push(tx);
                pool.receivers.push(rx);
                pool.handles.push(handle);
            }
            Err(e) => {
                log::debug!("arn-client: spawning arn-worker-{index} failed; stopping the pool");
                drop(pool.senders);
                for handle in pool.handles {
                    let _ = handle.join();
                }
                return Err(Error::Spawn(e));
            }
        }
    }
    Ok(pool)
}

struct Worker {
    index: usize,
    rx: Receiver<Msg>,
    ctx: Arc<SendContext>,
    shared: Arc<PoolShared>,
    buf: EncodeBuf,
    compress: Compress,
    compressed: Vec<u8>,
}

impl Worker {
    fn new(
        index: usize,
        rx: Receiver<Msg>,
        ctx: Arc<SendContext>,
        shared: Arc<PoolShared>,
    ) -> Self {
        Self {
            index,
            rx,
            ctx,
            shared,
            buf: EncodeBuf::default(),
            compress: new_compressor(),
            compressed: Vec::new(),
        }
    }

    /// Runs until every sender is gone and the queue is drained.
    fn run(mut self) {
        log::debug!("arn-worker-{} started", self.index);
        while let Ok(msg) = self.rx.recv() {
            match msg {
                Msg::Job(job) => self.run_job(job),
                Msg::Flush(latch) => latch.count_down(),
            }
        }
        log::debug!("arn-worker-{} stopped", self.index);
    }

    fn run_job(&mut self, job: Job) {
        if let Reply::Promise(resolver) = &job.reply {
            *self.shared.inflight[self.index].lock() = Some(resolver.handle());
        }
        let Self {
            ctx,
            shared,
            buf,
            compress,
            compressed,
            ..
        } = self;
        let n = &job.notification;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            send(
                ctx,
                &shared.stats,
                n,
                job.deadline,
                buf,
                compress,
                compressed,
            )
        }));
        let result = outcome.unwrap_or_else(|payload| {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            log::debug!("arn-worker-{}: a send panicked: {msg}", self.index);
            self.shared.stats.panicked();
            // The buffers may be half-written; `encode` clears them and `zlib` resets
            // the compressor before every use, so they are reused as they are.
            Err(Error::Panicked(msg))
        });
        log::trace!(
            "arn-worker-{}: notification with {} resources: {}",
            self.index,
            job.notification.resources.len(),
            if result.is_ok() { "sent" } else { "failed" }
        );
        if matches!(job.reply, Reply::Promise(_)) {
            self.shared.inflight[self.index].lock().take();
        }
        job.finish(result, &self.shared);
    }
}

/// The worker for `n`: a hash of its ordering key (ARM ids compare
/// case-insensitively), so notifications that must stay in order always go to the
/// same worker.
pub(crate) fn route(n: &Notification, workers: usize, order_by: OrderBy) -> usize {
    if workers == 1 {
        return 0;
    }
    let subject = n.subject();
    let key = match order_by {
        OrderBy::TopLevelResource => top_level_scope(&subject),
        _ => &subject,
    };
    hash_ci(key.as_bytes()) as usize % workers
}

/// The top-level resource of an ARM id (`.../providers/{Namespace}/{type}/{name}`
/// right under the tenant, a subscription or a resource group), or the id itself when
/// it has none. Walks the segments by position, so a resource group named
/// `providers` is not taken for the keyword.
fn top_level_scope(id: &str) -> &str {
    // Non-empty segments with the byte offset where each ends.
    let mut segments = id
        .split('/')
        .scan(0, |end, s| {
            *end += s.len() + 1;
            Some((*end - 1, s))
        })
        .filter(|(_, s)| !s.is_empty())
        .peekable();
    for keyword in ["subscriptions", "resourceGroups"] {
        if segments
            .peek()
            .is_some_and(|(_, s)| s.eq_ignore_ascii_case(keyword))
        {
            segments.nth(1);
        }
    }
    match segments.next() {
        Some((_, s)) if s.eq_ignore_ascii_case("providers") => match segments.nth(2) {
            Some((end, _)) => &id[..end],
            None => id,
        },
        _ => id,
    }
}

/// FNV-1a over the ASCII-lowercased bytes.
fn hash_ci(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

fn new_compressor() -> Compress {
    // arn-protocol.md section 2: zlib framing, level 5.
    Compress::new(Compression::new(5), true)
}

/// Validates, encodes, uploads (if large), compresses (if enabled) and posts `n`.
fn send(
    ctx: &SendContext,
    stats: &StatsInner,
    n: &Notification,
    deadline: Instant,
    buf: &mut EncodeBuf,
    compress: &mut Compress,
    compressed: &mut Vec<u8>,
) -> Result<(), Error> {
    if Instant::now() >= deadline {
        stats.not_sent();
        return Err(Error::TIMEOUT);
    }
    let encoded = ctx
        .encoder
        .encode(n, buf)
        .inspect_err(|_| stats.not_sent())?;
    let start = Instant::now();
    let (event, inline) = match encoded {
        Encoded::Empty => return Ok(()),
        Encoded::Inline(event) => (event, true),
        Encoded::Blob(pending) => {
            let url = ctx
                .blobs
                .upload(pending.resources(), deadline)
                .inspect_err(|_| stats.not_sent())?;
            (pending.finish(url.expose()), false)
        }
    };
    let body: &[u8] = if ctx.compression {
        zlib(compress, event, compressed)?;
        compressed
    } else {
        event
    };
    let post = EventPost {
        body,
        compressed: ctx.compression,
        publisher_info: &n.publisher_info,
        deadline,
    };
    let result = post_with_retries(&*ctx.events, &post, &ctx.retry_policy);
    stats.event_sent(result.is_ok(), inline, body.len(), start.elapsed());
    result
}

/// Compresses `input` into `out` with the reused `compress` (reset first).
fn zlib(compress: &mut Compress, input: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    compress.reset();
    out.clear();
    out.reserve(input.len() / 2 + 64);
    loop {
        let consumed = compress.total_in() as usize;
        let status = compress
            .compress_vec(&input[consumed..], out, FlushCompress::Finish)
            .map_err(|e| Error::Encode(format!("zlib: {e}")))?;
        if status == Status::StreamEnd {
            return Ok(());
        }
        out.reserve(out.capacity().max(64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn zlib_round_trips_and_reuses_the_compressor() {
        let mut c = new_compressor();
        let mut out = Vec::new();
        for input in [&b"hello hello hello"[..], &[7u8; 100_000][..], b""] {
            zlib(&mut c, input, &mut out).unwrap();
            assert_eq!(out[0], 0x78, "zlib header");
            let mut back = Vec::new();
            flate2::read::ZlibDecoder::new(&out[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, input);
        }
    }

    #[test]
    fn top_level_scope_of_ids() {
        let rg = "/subscriptions/s/resourceGroups/rg";
        let mc = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/mc";
        assert_eq!(top_level_scope(mc), mc);
        assert_eq!(top_level_scope(&format!("{mc}/nodes/n1")), mc);
        assert_eq!(top_level_scope(&format!("{mc}/providers/P/ext/e")), mc);
        assert_eq!(top_level_scope(rg), rg);
        assert_eq!(top_level_scope("/subscriptions/s"), "/subscriptions/s");
        assert_eq!(top_level_scope("/"), "/");
        assert_eq!(top_level_scope(""), "");
        // A resource group named like the keyword is skipped by position.
        let odd = "/subscriptions/s/resourceGroups/providers/providers/NS/t/x/c/y";
        assert_eq!(
            top_level_scope(odd),
            "/subscriptions/s/resourceGroups/providers/providers/NS/t/x"
        );
        // Tenant-level resources (management groups) and a bare namespace.
        let mg = "/providers/Microsoft.Management/managementGroups/mg1";
        assert_eq!(top_level_scope(&format!("{mg}/resourceGroups/rg1")), mg);
        assert_eq!(top_level_scope("/providers/NS"), "/providers/NS");
    }

    #[test]
    fn hash_ignores_ascii_case_and_spreads() {
        assert_eq!(
            hash_ci(b"/Subscriptions/A/rg"),
            hash_ci(b"/subscriptions/a/RG")
        );
        assert_ne!(hash_ci(b"/subscriptions/a"), hash_ci(b"/subscriptions/b"));
        let mut seen = [0usize; 4];
        for i in 0..400 {
            let id = format!("/subscriptions/s/resourceGroups/rg/providers/P.X/t/n{i}");
            seen[hash_ci(id.as_bytes()) as usize % 4] += 1;
        }
        assert!(seen.iter().all(|&c| c > 50), "{seen:?}");
    }

    #[test]
    fn spawn_failure_is_an_error_and_stops_the_started_workers() {
        let options = ClientOptions {
            workers: 3,
            fail_spawn_at: Some(2),
            ..ClientOptions::default()
        };
        let stats = Arc::new(StatsInner::default());
        let (errors, _errors_rx) = crossbeam_channel::bounded(1);
        let shared = Arc::new(PoolShared::new(3, stats, errors));
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
            blobs: fake,
        });
        let result = spawn_pool(&options, &ctx, &shared);
        assert!(matches!(result, Err(Error::Spawn(_))), "{:?}", result.err());
        // The two started workers were stopped and joined.
        assert_eq!(*shared.alive.count.lock(), 0);
    }

    #[test]
    fn latch_counts_down_and_times_out() {
        let latch = Latch::new(2);
        assert!(!latch.wait(Instant::now()));
        latch.count_down();
        latch.count_down();
        assert!(latch.wait(Instant::now()));
    }
}
