//! The client-wide send gate: one throttle that every worker of a client consults
//! before each try, and the cancel flag that close raises when it gives up.
//!
//! A receiver that answers 429 or 503 with `Retry-After` asks the *client* to wait,
//! not just the request that got the answer (sentry-rust's transports share one rate
//! limiter for the same reason). So the answer pauses every send through the gate
//! until the pause passes; a later answer can extend the pause, never shorten it. A
//! try that would have to wait past its notification's deadline gives up at once.
//!
//! The pause is one atomic (`fetch_max` on the instant it ends), so a send that finds
//! no pause pays one load. Waiting and backoff sleeps use a `Condvar`, so
//! [`SendGate::cancel`] wakes every sleeper at once.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::stats::StatsInner;
use crate::Error;

/// Client-wide state every send consults: the shared throttle (a 429 or 503 with
/// `Retry-After` pauses every worker's sends) and the cancel flag that
/// [`Client::close`](crate::Client::close) raises when it gives up (no new try starts).
pub(crate) struct SendGate {
    /// The instant the pause ends, as nanoseconds after `epoch`; 0 when there never
    /// was one.
    paused_until: AtomicU64,
    epoch: Instant,
    cancelled: AtomicBool,
    /// Guards nothing but the sleeps: `cancel` sets its flag and notifies under it.
    sleep: Mutex<()>,
    wake: Condvar,
    stats: Arc<StatsInner>,
}

/// Why a try may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Halt {
    /// [`SendGate::cancel`] was called.
    Cancelled,
    /// The pause ends at or after the notification's deadline.
    PausedPastDeadline,
}

impl SendGate {
    /// An open gate whose pauses are counted in `stats` (the client's counters).
    pub(crate) fn new(stats: Arc<StatsInner>) -> Self {
        Self {
            paused_until: AtomicU64::new(0),
            epoch: Instant::now(),
            cancelled: AtomicBool::new(false),
            sleep: Mutex::new(()),
            wake: Condvar::new(),
            stats,
        }
    }

    /// No new try starts after this (a try in progress may finish); sleepers wake.
    pub(crate) fn cancel(&self) {
        let _sleep = self.sleep.lock();
        self.cancelled.store(true, Ordering::Release);
        self.wake.notify_all();
    }

    /// Whether [`SendGate::cancel`] was called.
    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Takes note of a failed try: an HTTP 429 or 503 with `Retry-After` pauses every
    /// send for that long, at most `max` (the retry policy's longest delay).
    pub(crate) fn observe(&self, error: &Error, max: Duration) {
        if let Error::Http {
            status: 429 | 503,
            retry_after: Some(after),
            ..
        } = error
        {
            self.pause_for((*after).min(max));
        }
    }

    /// Pauses every send until `pause` from now, unless a longer pause is in force.
    pub(crate) fn pause_for(&self, pause: Duration) {
        if pause.is_zero() {
            return;
        }
        let now = self.nanos(Instant::now());
        let until = now.saturating_add(u64::try_from(pause.as_nanos()).unwrap_or(u64::MAX));
        let before = self.paused_until.fetch_max(until, Ordering::AcqRel);
        if until > before {
            let added = until - before.max(now);
            log::debug!("Retry-After: every send pauses for {pause:?}");
            self.stats.throttle_paused(Duration::from_nanos(added));
        }
    }

    /// When the pause in force ends; `None` when sends may start now.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        let until = self.paused_until.load(Ordering::Acquire);
        let until = self.epoch + Duration::from_nanos(until);
        (until > Instant::now()).then_some(until)
    }

    /// Waits until a try may start: the pause has passed and the gate is not
    /// cancelled. Fails at once, without waiting, when the pause reaches `deadline`.
    pub(crate) fn admit(&self, deadline: Instant) -> Result<(), Halt> {
        let mut waited = false;
        let outcome = loop {
            if self.is_cancelled() {
                break Err(Halt::Cancelled);
            }
            let Some(until) = self.paused_until() else {
                break Ok(());
            };
            if until >= deadline {
                break Err(Halt::PausedPastDeadline);
            }
            if !waited {
                log::trace!("a try waits for the client-wide pause");
                waited = true;
            }
            // The pause may be extended meanwhile: the loop looks again.
            self.sleep_until(until);
        };
        if waited || outcome == Err(Halt::PausedPastDeadline) {
            self.stats.throttled_try();
        }
        outcome
    }

    /// Sleeps until `at` (a retry's backoff), or less when the gate is cancelled.
    pub(crate) fn sleep_until(&self, at: Instant) {
        let mut sleep = self.sleep.lock();
        while !self.is_cancelled() && Instant::now() < at {
            self.wake.wait_until(&mut sleep, at);
        }
    }

    fn nanos(&self, at: Instant) -> u64 {
        let since = at.saturating_duration_since(self.epoch);
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    }
}

/// A gate whose pauses are counted nowhere (its own counters): for tests. A client
/// builds its gate with [`SendGate::new`] so that pauses show in its `Stats`.
impl Default for SendGate {
    fn default() -> Self {
        Self::new(Arc::default())
    }
}

impl std::fmt::Debug for SendGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SendGate")
            .field("paused_until", &self.paused_until())
            .field("cancelled", &self.is_cancelled())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sent;

    fn gate() -> (SendGate, Arc<StatsInner>) {
        let stats = Arc::new(StatsInner::default());
        (SendGate::new(Arc::clone(&stats)), stats)
    }

    fn throttled(status: u16, secs: u64) -> Error {
        Error::Http {
            status,
            body: String::new(),
            retry_after: Some(Duration::from_secs(secs)),
        }
    }

    #[test]
    fn only_429_and_503_with_retry_after_pause_and_pauses_only_grow() {
        let (gate, stats) = gate();
        let max = Duration::from_secs(60);
        gate.observe(&Error::connection(Sent::Never, "refused", None), max);
        gate.observe(
            &Error::Http {
                status: 503,
                body: String::new(),
                retry_after: None,
            },
            max,
        );
        gate.observe(&throttled(500, 30), max);
        assert_eq!(gate.paused_until(), None);

        gate.observe(&throttled(429, 30), max);
        let first = gate.paused_until().expect("paused");
        gate.observe(&throttled(503, 1), max);
        assert_eq!(
            gate.paused_until(),
            Some(first),
            "a shorter pause changes nothing"
        );
        gate.observe(&throttled(503, 3600), max);
        let longer = gate.paused_until().expect("paused");
        assert!(longer > first);
        assert!(
            longer <= Instant::now() + max,
            "capped at the policy's max delay"
        );

        let snap = stats.snapshot(0);
        assert_eq!(snap.throttle_pauses, 2);
        let slack = Duration::from_secs(1);
        assert!(
            snap.throttled_for <= max + slack,
            "{:?}",
            snap.throttled_for
        );
        assert!(
            snap.throttled_for >= Duration::from_secs(59),
            "{:?}",
            snap.throttled_for
        );
    }

    #[test]
    fn a_try_waits_out_the_pause() {
        let (gate, stats) = gate();
        assert_eq!(gate.admit(Instant::now() + Duration::from_secs(60)), Ok(()));
        assert_eq!(stats.snapshot(0).throttled_tries, 0);

        let start = Instant::now();
        gate.pause_for(Duration::from_millis(200));
        assert_eq!(gate.admit(start + Duration::from_secs(60)), Ok(()));
        assert!(start.elapsed() >= Duration::from_millis(200));
        assert_eq!(stats.snapshot(0).throttled_tries, 1);
    }

    #[test]
    fn a_pause_past_the_deadline_fails_at_once() {
        let (gate, stats) = gate();
        gate.pause_for(Duration::from_secs(3600));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(1800);
        assert_eq!(gate.admit(deadline), Err(Halt::PausedPastDeadline));
        assert!(start.elapsed() < Duration::from_secs(1800), "did not wait");
        assert_eq!(stats.snapshot(0).throttled_tries, 1);
    }

    #[test]
    fn cancel_wakes_waiters_and_sleepers() {
        let (gate, _) = gate();
        let gate = Arc::new(gate);
        gate.pause_for(Duration::from_secs(3600));
        let waiter = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.admit(Instant::now() + Duration::from_secs(7200)))
        };
        let sleeper = {
            let gate = Arc::clone(&gate);
            std::thread::spawn(move || gate.sleep_until(Instant::now() + Duration::from_secs(3600)))
        };
        gate.cancel();
        assert_eq!(waiter.join().unwrap(), Err(Halt::Cancelled));
        sleeper.join().unwrap();
        assert!(gate.is_cancelled());
        assert_eq!(
            gate.admit(Instant::now() + Duration::from_secs(7200)),
            Err(Halt::Cancelled)
        );
    }
}
