//! The user delegation key: cached, refreshed on a background thread
//! (`docs/protocol.md` section 7).
//!
//! The first key is requested at once when the store is built; after that the key
//! is refreshed every `refresh_interval` (23 hours by default), with exponential
//! backoff on failure. The old key keeps serving until it expires. The refresher
//! waits on a condition variable, so closing the store wakes it at once.
//!
//! Failures follow the crate's rule: the first is a warning, every one is counted
//! ([`KeyStatus::failures`], [`KeyStatus::last_error`]) and logged at debug level.
//! Closing the store joins the refresher when it is waiting; when a key request is
//! in flight, the refresher ends as soon as that request does (it is bounded by
//! [`FETCH_BUDGET`]) and is not waited for.

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

use azure_storage_common::models::UserDelegationKey;
use parking_lot::{Condvar, Mutex};
use time::OffsetDateTime;

use crate::Error;

/// Fetches a new key; fails or gives up by the given deadline.
pub(crate) type FetchKey = dyn Fn(Instant) -> Result<UserDelegationKey, Error> + Send + Sync;

/// A key is not handed out when it expires within this margin.
const EXPIRY_MARGIN: time::Duration = time::Duration::minutes(1);

/// How long one refresh attempt may take (the SDK retries within it).
const FETCH_BUDGET: Duration = Duration::from_secs(120);

/// When to refresh the key and how to back off after a failure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySchedule {
    pub refresh_interval: Duration,
    pub retry_initial: Duration,
    pub retry_max: Duration,
}

/// A snapshot of the user delegation key's state, for monitoring.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyStatus {
    /// How many keys were obtained so far.
    pub keys_obtained: u64,
    /// How many key requests failed so far.
    pub failures: u64,
    /// When the key in use expires (`None` before the first key).
    pub expires_at: Option<SystemTime>,
    /// A short description of the last failure, if the last request failed.
    pub last_error: Option<String>,
}

struct State {
    key: Option<Arc<UserDelegationKey>>,
    status: KeyStatus,
    /// The last request's error until a request succeeds: the cause an upload that
    /// timed out waiting for a key reports.
    last_failure: Option<Error>,
    closed: bool,
    /// Whether the refresher is requesting a key (not waiting).
    fetching: bool,
}

/// The cached key, shared by the store and its refresher thread.
pub(crate) struct KeyCache {
    state: Mutex<State>,
    changed: Condvar,
}

impl KeyCache {
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(State {
                key: None,
                status: KeyStatus::default(),
                last_failure: None,
                closed: false,
                fetching: false,
            }),
            changed: Condvar::new(),
        }
    }

    /// Stores a new key and wakes every waiter.
    pub(crate) fn install(&self, key: UserDelegationKey) {
        let mut st = self.state.lock();
        st.status.keys_obtained += 1;
        st.status.expires_at = key.signed_expiry.map(SystemTime::from);
        st.status.last_error = None;
        st.last_failure = None;
        st.key = Some(Arc::new(key));
        drop(st);
        self.changed.notify_all();
    }

    /// Records a failed request; the current key (if any) stays. Returns whether it
    /// was the store's first failure (so the caller warns once).
    pub(crate) fn record_failure(&self, error: &Error) -> bool {
        let mut st = self.state.lock();
        st.status.failures += 1;
        st.status.last_error = Some(error.to_string());
        st.last_failure = Some(error.clone());
        let first = st.status.failures == 1;
        drop(st);
        self.changed.notify_all();
        first
    }

    /// The key in use, waiting for one until `deadline`; a timeout carries the last
    /// failed key request, if the last one failed.
    pub(crate) fn current(&self, deadline: Instant) -> Result<Arc<UserDelegationKey>, Error> {
        let mut st = self.state.lock();
        loop {
            if st.closed {
                return Err(Error::Closed);
            }
            if let Some(key) = &st.key {
                let usable = key
                    .signed_expiry
                    .is_some_and(|e| e > OffsetDateTime::now_utc() + EXPIRY_MARGIN);
                if usable {
                    return Ok(key.clone());
                }
            }
            if self.changed.wait_until(&mut st, deadline).timed_out() {
                log::debug!("no usable user delegation key before the deadline");
                return Err(Error::Timeout {
                    last_error: st.last_failure.as_ref().map(|e| Box::new(e.clone())),
                });
            }
        }
    }

    /// A snapshot of the key's state.
    pub(crate) fn status(&self) -> KeyStatus {
        self.state.lock().status.clone()
    }

    /// Waits until `pred` holds for the status or `deadline` passes.
    pub(crate) fn wait_status(
        &self,
        deadline: Instant,
        pred: &mut dyn FnMut(&KeyStatus) -> bool,
    ) -> Option<KeyStatus> {
        let mut st = self.state.lock();
        loop {
            if pred(&st.status) {
                return Some(st.status.clone());
            }
            if st.closed || self.changed.wait_until(&mut st, deadline).timed_out() {
                return pred(&st.status).then(|| st.status.clone());
            }
        }
    }

    /// Stops the refresher and fails every waiter with [`Error::Closed`]. Returns
    /// whether a key request was in flight (then the refresher ends when it does).
    pub(crate) fn close(&self) -> bool {
        let mut st = self.state.lock();
        st.closed = true;
        let fetching = st.fetching;
        drop(st);
        self.changed.notify_all();
        fetching
    }

    /// Sleeps until `at` or until closed; returns false when closed, else marks a key
    /// request as in flight (in the same lock, so [`KeyCache::close`] sees it).
    fn wait_until(&self, at: Instant) -> bool {
        let mut st = self.state.lock();
        while !st.closed && Instant::now() < at {
            self.changed.wait_until(&mut st, at);
        }
        st.fetching = !st.closed;
        !st.closed
    }

    /// Marks the refresher's key request as done.
    fn fetched(&self) {
        self.state.lock().fetching = false;
    }
}

/// The refresher thread of a [`KeyCache`]: [`Refresher::stop`] closes the cache and
/// joins it.
pub(crate) struct Refresher {
    cache: Arc<KeyCache>,
    thread: Option<JoinHandle<()>>,
}

/// How [`Refresher::stop`] left the refresher.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// It was waiting: it ended and was joined.
    Joined,
    /// A key request was in flight: it ends when the request does (within
    /// [`FETCH_BUDGET`]), not waited for.
    Ending,
    /// Stopped before.
    Already,
}

impl Refresher {
    /// Closes the cache (every waiter fails with [`Error::Closed`]) and joins the
    /// refresher unless a key request is in flight. Idempotent.
    pub(crate) fn stop(&mut self) -> Stopped {
        let fetching = self.cache.close();
        let Some(thread) = self.thread.take() else {
            return Stopped::Already;
        };
        if fetching {
            log::debug!("user delegation key refresher ends after its request");
            return Stopped::Ending;
        }
        let _ = thread.join();
        Stopped::Joined
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Starts the refresher thread `arn-blob-key`: one request at once, then one every
/// `schedule.refresh_interval`, backing off exponentially after failures.
pub(crate) fn spawn_refresher(
    cache: Arc<KeyCache>,
    fetch: Arc<FetchKey>,
    schedule: KeySchedule,
) -> Result<Refresher, Error> {
    let thread_cache = Arc::clone(&cache);
    let thread = thread::Builder::new()
        .name("arn-blob-key".into())
        .spawn(move || refresh_loop(&thread_cache, &*fetch, schedule))
        .map_err(|e| Error::Spawn(e.into()))?;
    Ok(Refresher {
        cache,
        thread: Some(thread),
    })
}

fn refresh_loop(cache: &KeyCache, fetch: &FetchKey, schedule: KeySchedule) {
    let mut next = Instant::now();
    let mut backoff = schedule.retry_initial;
    while cache.wait_until(next) {
        let result = fetch(Instant::now() + FETCH_BUDGET);
        cache.fetched();
        match result {
            Ok(key) => {
                log::debug!("obtained a user delegation key");
                cache.install(key);
                backoff = schedule.retry_initial;
                next = Instant::now() + schedule.refresh_interval;
            }
            Err(e) => {
                if cache.record_failure(&e) {
                    log::warn!(
                        "user delegation key request failed, retrying in {backoff:?}: {e} \
                         (further failures are counted in AzureBlobStore::key_status)"
                    );
                } else {
                    log::debug!("user delegation key request failed, retrying in {backoff:?}: {e}");
                }
                next = Instant::now() + backoff;
                backoff = (backoff * 2).min(schedule.retry_max);
            }
        }
    }
    log::debug!("user delegation key refresher stopped");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_channel::{bounded, Receiver, Sender};

    fn key_expiring(at: OffsetDateTime) -> UserDelegationKey {
        UserDelegationKey {
            signed_start: Some(at - time::Duration::days(7)),
            signed_expiry: Some(at),
            ..Default::default()
        }
    }

    /// A fetcher scripted by the test: each call takes the next answer from a channel
    /// and reports the call on another.
    fn scripted() -> (
        Arc<FetchKey>,
        Sender<Result<UserDelegationKey, Error>>,
        Receiver<()>,
    ) {
        let (answer_tx, answer_rx) = bounded::<Result<UserDelegationKey, Error>>(16);
        let (called_tx, called_rx) = bounded::<()>(16);
        let fetch: Arc<FetchKey> = Arc::new(move |deadline: Instant| {
            let _ = called_tx.send(());
            answer_rx
                .recv_deadline(deadline)
                .unwrap_or(Err(Error::TIMEOUT))
        });
        (fetch, answer_tx, called_rx)
    }

    #[test]
    fn first_key_is_requested_at_once_and_waiters_get_it() {
        let cache = Arc::new(KeyCache::new());
        let (fetch, answers, called) = scripted();
        let schedule = KeySchedule {
            refresh_interval: Duration::from_secs(3600),
            retry_initial: Duration::from_millis(1),
            retry_max: Duration::from_millis(4),
        };
        let _refresher = spawn_refresher(cache.clone(), fetch, schedule).unwrap();
        called.recv_timeout(Duration::from_secs(10)).unwrap();
        // Nothing yet: a short deadline times out.
        assert!(matches!(
            cache.current(Instant::now() + Duration::from_millis(1)),
            Err(Error::Timeout { .. })
        ));
        answers
            .send(Ok(key_expiring(
                OffsetDateTime::now_utc() + time::Duration::days(7),
            )))
            .unwrap();
        let key = cache
            .current(Instant::now() + Duration::from_secs(10))
            .unwrap();
        assert!(key.signed_expiry.is_some());
        assert_eq!(cache.status().keys_obtained, 1);
        cache.close();
        assert!(matches!(cache.current(Instant::now()), Err(Error::Closed)));
    }

    #[test]
    fn failures_back_off_and_keep_the_old_key() {
        let cache = Arc::new(KeyCache::new());
        let (fetch, answers, called) = scripted();
        let schedule = KeySchedule {
            refresh_interval: Duration::from_millis(1),
            retry_initial: Duration::from_millis(1),
            retry_max: Duration::from_millis(2),
        };
        let expiry = OffsetDateTime::now_utc() + time::Duration::days(7);
        answers.send(Ok(key_expiring(expiry))).unwrap();
        for _ in 0..3 {
            answers
                .send(Err(Error::connection(crate::Sent::Never, "refused", None)))
                .unwrap();
        }
        let _refresher = spawn_refresher(cache.clone(), fetch, schedule).unwrap();
        for _ in 0..4 {
            called.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        let st = cache
            .wait_status(Instant::now() + Duration::from_secs(10), &mut |s| {
                s.failures == 3
            })
            .unwrap();
        assert_eq!(st.keys_obtained, 1);
        assert!(st.last_error.unwrap().contains("refused"));
        let key = cache.current(Instant::now()).unwrap();
        assert_eq!(key.signed_expiry, Some(expiry));
        cache.close();
    }

    #[test]
    fn a_timeout_waiting_for_a_key_says_why_the_last_request_failed() {
        let cache = KeyCache::new();
        cache.record_failure(&Error::connection(
            crate::Sent::Never,
            "get user delegation key: refused",
            None,
        ));
        match cache.current(Instant::now() + Duration::from_millis(1)) {
            Err(Error::Timeout {
                last_error: Some(last),
            }) => assert!(matches!(*last, Error::Connection { .. }), "{last:?}"),
            other => panic!("{other:?}"),
        }
        cache.install(key_expiring(
            OffsetDateTime::now_utc() + time::Duration::seconds(30),
        ));
        assert!(matches!(
            cache.current(Instant::now() + Duration::from_millis(1)),
            Err(Error::Timeout { last_error: None })
        ));
    }

    #[test]
    fn expired_keys_are_not_handed_out() {
        let cache = KeyCache::new();
        cache.install(key_expiring(
            OffsetDateTime::now_utc() + time::Duration::seconds(30),
        ));
        assert!(matches!(
            cache.current(Instant::now() + Duration::from_millis(1)),
            Err(Error::Timeout { .. })
        ));
    }

    #[test]
    fn close_wakes_the_refresher() {
        let cache = Arc::new(KeyCache::new());
        let c2 = cache.clone();
        let t = thread::spawn(move || c2.wait_until(Instant::now() + Duration::from_secs(3600)));
        cache.close();
        assert!(!t.join().unwrap());
    }

    #[test]
    fn failures_warn_once_and_are_all_counted() {
        let cache = KeyCache::new();
        let refused = Error::connection(crate::Sent::Never, "refused", None);
        assert!(cache.record_failure(&refused), "the first failure warns");
        for _ in 0..3 {
            assert!(
                !cache.record_failure(&refused),
                "later ones are counted only"
            );
        }
        assert_eq!(cache.status().failures, 4);
    }

    fn hourly() -> KeySchedule {
        KeySchedule {
            refresh_interval: Duration::from_secs(3600),
            retry_initial: Duration::from_secs(3600),
            retry_max: Duration::from_secs(3600),
        }
    }

    #[test]
    fn stop_joins_a_waiting_refresher() {
        let cache = Arc::new(KeyCache::new());
        let (fetch, answers, called) = scripted();
        let mut refresher = spawn_refresher(cache.clone(), fetch, hourly()).unwrap();
        called.recv_timeout(Duration::from_secs(10)).unwrap();
        let far = OffsetDateTime::now_utc() + time::Duration::days(7);
        answers.send(Ok(key_expiring(far))).unwrap();
        cache
            .wait_status(Instant::now() + Duration::from_secs(10), &mut |s| {
                s.keys_obtained == 1
            })
            .unwrap();
        // Now waiting an hour for the next refresh.
        assert_eq!(refresher.stop(), Stopped::Joined);
        // The thread is gone, and with it its handles on the fetcher and the cache.
        assert!(called.recv().is_err(), "the fetcher was dropped");
        assert_eq!(
            Arc::strong_count(&cache),
            2,
            "the test's and the refresher's"
        );
        assert_eq!(refresher.stop(), Stopped::Already);
        assert!(matches!(cache.current(Instant::now()), Err(Error::Closed)));
    }

    #[test]
    fn a_refresher_stopped_during_a_request_ends_when_the_request_does() {
        let cache = Arc::new(KeyCache::new());
        let (fetch, answers, called) = scripted();
        let mut refresher = spawn_refresher(cache.clone(), fetch, hourly()).unwrap();
        called.recv_timeout(Duration::from_secs(10)).unwrap();
        // The request is in flight (the fetcher waits for its answer).
        assert_eq!(refresher.stop(), Stopped::Ending);
        answers
            .send(Err(Error::connection(crate::Sent::Never, "refused", None)))
            .unwrap();
        // It sees the close and ends: the fetcher (and its sender) are dropped, with no
        // second request.
        assert!(called.recv().is_err(), "the refresher ended");
        assert_eq!(cache.status().failures, 1);
    }
}
