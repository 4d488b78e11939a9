//! Retries of the receiver POST (`docs/protocol.md` section 2): 408, 429, 500, 502,
//! 503, 504 and connection failures ([`Error::is_retryable`]); delay
//! (2^retry − 1) × 800 ms with jitter 0.8–1.3×, capped at 60 s; `Retry-After` used
//! instead of the computed delay (still capped); at most `max_retries` retries; never
//! sleeping past the notification's deadline.
//!
//! The delay rule ([`retry_delay`]) is a pure function, tested directly; the loop is
//! written out (rather than a retry crate's) because it interleaves the client-wide
//! [`SendGate`] with every try and keeps the last error for the timeout it may end in.

use std::hash::BuildHasher;
use std::time::{Duration, Instant, SystemTime};

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

pub(crate) use super::gate::SendGate;
use super::{EventPost, EventTransport};
use crate::Error;

/// How failed POSTs are retried.
///
/// ```
/// use std::time::Duration;
/// use arn_client::transport::RetryPolicy;
///
/// let policy = RetryPolicy::new(5, Duration::from_millis(200), Duration::from_secs(10));
/// assert_eq!(policy.max_retries, 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
#[must_use]
pub struct RetryPolicy {
    /// Retries after the first try. Defaults to 3.
    pub max_retries: u32,
    /// The base delay. Defaults to 800 ms.
    pub initial_delay: Duration,
    /// The longest delay; also the longest client-wide pause a `Retry-After` answer
    /// imposes. Defaults to 60 s.
    pub max_delay: Duration,
}

impl RetryPolicy {
    /// At most `max_retries` retries after the first try, delays growing from
    /// `initial_delay` as (2^retry − 1) × `initial_delay` (with jitter), capped at
    /// `max_delay`.
    pub fn new(max_retries: u32, initial_delay: Duration, max_delay: Duration) -> Self {
        Self {
            max_retries,
            initial_delay,
            max_delay,
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_millis(800),
            max_delay: Duration::from_secs(60),
        }
    }
}

/// The lowest and highest jitter factors (Go azcore: 0.8–1.3×).
const JITTER: (f64, f64) = (0.8, 1.3);

/// The delay before retry number `retry` (1-based): the server's `retry_after` if it
/// sent one, else (2^retry − 1) × `initial_delay` × `jitter`; either way at most
/// `max_delay`.
pub fn retry_delay(
    policy: &RetryPolicy,
    retry: u32,
    jitter: f64,
    retry_after: Option<Duration>,
) -> Duration {
    if let Some(after) = retry_after {
        return after.min(policy.max_delay);
    }
    let factor = 2u64.saturating_pow(retry.min(32)).saturating_sub(1) as f64;
    let secs = policy.initial_delay.as_secs_f64() * factor * jitter;
    if !secs.is_finite() || secs >= policy.max_delay.as_secs_f64() {
        policy.max_delay
    } else {
        Duration::from_secs_f64(secs.max(0.0))
    }
}

/// A jitter factor in [0.8, 1.3), from std's randomly keyed hasher (no rand crate).
fn random_jitter() -> f64 {
    let r = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
    JITTER.0 + unit * (JITTER.1 - JITTER.0)
}

/// What follows a retryable failure.
#[derive(Debug, PartialEq, Eq)]
enum Step {
    /// Try again after this delay.
    Retry(Duration),
    /// The retries are used up: the failure is the outcome.
    Exhausted,
    /// The next delay would reach the deadline: time out now, with the failure.
    Deadline,
}

/// The retry schedule of one POST.
#[derive(Debug)]
struct Schedule {
    policy: RetryPolicy,
    retry: u32,
    deadline: Instant,
    jitter: fn() -> f64,
}

impl Schedule {
    fn new(policy: &RetryPolicy, deadline: Instant, jitter: fn() -> f64) -> Self {
        Self {
            policy: policy.clone(),
            retry: 0,
            deadline,
            jitter,
        }
    }

    /// The step after a retryable failure whose `Retry-After` was `retry_after`.
    fn next(&mut self, retry_after: Option<Duration>) -> Step {
        if self.retry >= self.policy.max_retries {
            return Step::Exhausted;
        }
        self.retry += 1;
        let delay = retry_delay(&self.policy, self.retry, (self.jitter)(), retry_after);
        if Instant::now() + delay >= self.deadline {
            return Step::Deadline;
        }
        Step::Retry(delay)
    }
}

/// Posts `post`, retrying retryable failures by `policy`, never past `post.deadline`.
///
/// Every try sends the identical body. When the next delay would reach past the
/// deadline the retries stop early with [`Error::Timeout`] carrying the last error;
/// when the retries are used up, the last error is returned.
pub fn post_with_retries(
    transport: &dyn EventTransport,
    post: &EventPost<'_>,
    policy: &RetryPolicy,
) -> Result<(), Error> {
    run_with_retries(
        || transport.post(post),
        post.deadline,
        policy,
        random_jitter,
        None,
    )
}

pub(super) fn run_with_retries(
    mut attempt: impl FnMut() -> Result<(), Error>,
    deadline: Instant,
    policy: &RetryPolicy,
    jitter: fn() -> f64,
    gate: Option<&SendGate>,
) -> Result<(), Error> {
    let mut tries = Tries::with_jitter(policy, deadline, jitter);
    loop {
        match tries.attempt(&mut attempt, gate) {
            Next::Done(result) => return result,
            Next::RetryAt(at) => match gate {
                Some(gate) => gate.sleep_until(at),
                None => std::thread::sleep(at.saturating_duration_since(Instant::now())),
            },
        }
    }
}

/// What follows one try.
#[derive(Debug)]
pub(crate) enum Next {
    /// The POST ended with this outcome.
    Done(Result<(), Error>),
    /// A retryable failure: try again at this instant (before the deadline).
    RetryAt(Instant),
}

/// The tries of one POST so far: what a send keeps between tries, so that its
/// backoff can be waited out by a sleeping thread or by the scheduler (a worker hands
/// the notification back until the retry is due, see `worker`).
#[derive(Debug)]
pub(crate) struct Tries {
    schedule: Schedule,
    /// The last retryable failure, for the timeout the retries may end in.
    last: Option<Error>,
    count: u32,
}

impl Tries {
    /// No try made yet of a POST that ends at `deadline`.
    pub(crate) fn new(policy: &RetryPolicy, deadline: Instant) -> Self {
        Self::with_jitter(policy, deadline, random_jitter)
    }

    fn with_jitter(policy: &RetryPolicy, deadline: Instant, jitter: fn() -> f64) -> Self {
        Self {
            schedule: Schedule::new(policy, deadline, jitter),
            last: None,
            count: 0,
        }
    }

    /// The tries made.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Makes one try with `attempt`, first waiting out `gate`'s client-wide pause (a
    /// pause that reaches the deadline, or a cancelled gate, ends the POST with
    /// [`Error::Timeout`] and the last try's error); a 429 or 503 with `Retry-After`
    /// pauses every send through `gate`.
    pub(crate) fn attempt(
        &mut self,
        attempt: impl FnOnce() -> Result<(), Error>,
        gate: Option<&SendGate>,
    ) -> Next {
        if let Some(gate) = gate {
            if let Err(halt) = gate.admit(self.schedule.deadline) {
                log::debug!("no new try of the ARN POST: {halt:?}");
                return Next::Done(Err(self.give_up()));
            }
        }
        self.count += 1;
        let error = match attempt() {
            Ok(()) => return Next::Done(Ok(())),
            // A try cut short by the deadline: the earlier try's error says more.
            Err(Error::Timeout { last_error: None }) if self.last.is_some() => {
                return Next::Done(Err(self.give_up()));
            }
            Err(e) => e,
        };
        if let Some(gate) = gate {
            gate.observe(&error, self.schedule.policy.max_delay);
        }
        if !error.is_retryable() {
            return Next::Done(Err(error));
        }
        match self.schedule.next(error.retry_after()) {
            Step::Retry(delay) => {
                log::debug!("retrying the ARN POST in {delay:?} after: {error}");
                self.last = Some(error);
                Next::RetryAt(Instant::now() + delay)
            }
            Step::Exhausted => Next::Done(Err(error)),
            Step::Deadline => {
                log::debug!("the deadline ends the retries early; last error: {error}");
                Next::Done(Err(Error::timeout_after(error)))
            }
        }
    }

    /// The outcome of a POST whose retries stop now (cancelled, or no time left):
    /// [`Error::Timeout`] with the last try's error, if any.
    pub(crate) fn give_up(&mut self) -> Error {
        Error::Timeout {
            last_error: self.last.take().map(Box::new),
        }
    }
}

/// Parses a `Retry-After` value: delay seconds or an HTTP date (IMF-fixdate, e.g.
/// `Wed, 21 Oct 2015 07:28:00 GMT`); a date in the past gives zero.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let when = PrimitiveDateTime::parse(value, format).ok()?.assume_utc();
    let now = OffsetDateTime::from(now);
    Some(Duration::try_from(when - now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::cell::Cell;

    pub(in crate::transport) fn http(status: u16, retry_after: Option<Duration>) -> Error {
        Error::Http {
            status,
            body: String::new(),
            retry_after,
        }
    }

    pub(in crate::transport) fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
        }
    }

    #[test]
    fn go_schedule_without_jitter() {
        let p = RetryPolicy::default();
        let ms = |r| retry_delay(&p, r, 1.0, None).as_millis();
        assert_eq!([ms(1), ms(2), ms(3), ms(4)], [800, 2400, 5600, 12000]);
        assert_eq!(retry_delay(&p, 7, 1.0, None), Duration::from_secs(60));
        assert_eq!(retry_delay(&p, 200, 1.3, None), Duration::from_secs(60));
    }

    #[test]
    fn jitter_bounds_and_retry_after() {
        let p = RetryPolicy::default();
        assert_eq!(retry_delay(&p, 1, 0.8, None).as_millis(), 640);
        assert_eq!(retry_delay(&p, 1, 1.3, None).as_millis(), 1040);
        for _ in 0..1000 {
            let j = random_jitter();
            assert!((0.8..1.3).contains(&j), "{j}");
        }
        let after = Some(Duration::from_secs(2));
        assert_eq!(retry_delay(&p, 1, 1.3, after), Duration::from_secs(2));
        let huge = Some(Duration::from_secs(3600));
        assert_eq!(retry_delay(&p, 1, 1.0, huge), Duration::from_secs(60));
    }

    #[test]
    fn retries_then_succeeds_with_at_most_max_retries() {
        let tries = Cell::new(0);
        let deadline = Instant::now() + Duration::from_secs(60);
        let r = run_with_retries(
            || {
                tries.set(tries.get() + 1);
                if tries.get() < 3 {
                    Err(http(503, None))
                } else {
                    Ok(())
                }
            },
            deadline,
            &fast(),
            || 1.0,
            None,
        );
        assert!(r.is_ok());
        assert_eq!(tries.get(), 3);

        tries.set(0);
        let r = run_with_retries(
            || {
                tries.set(tries.get() + 1);
                Err(http(503, None))
            },
            deadline,
            &fast(),
            || 1.0,
            None,
        );
        assert!(matches!(r, Err(Error::Http { status: 503, .. })));
        assert_eq!(tries.get(), 4);
    }

    #[test]
    fn non_retryable_stops_at_once() {
        for e in [http(400, None), http(401, None), Error::credential("x")] {
            let tries = Cell::new(0);
            let mut e = Some(e);
            let r = run_with_retries(
                || {
                    tries.set(tries.get() + 1);
                    Err(e.take().unwrap())
                },
                Instant::now() + Duration::from_secs(60),
                &fast(),
                || 1.0,
                None,
            );
            assert!(r.is_err());
            assert_eq!(tries.get(), 1);
        }
    }

    #[test]
    fn deadline_shorter_than_backoff_times_out() {
        let tries = Cell::new(0);
        let r = run_with_retries(
            || {
                tries.set(tries.get() + 1);
                Err(Error::connection(crate::Sent::NoAnswer, "reset", None))
            },
            Instant::now() + Duration::from_millis(500),
            &RetryPolicy::default(),
            || 1.0,
            None,
        );
        assert!(matches!(r, Err(Error::Timeout { .. })), "{r:?}");
        assert_eq!(tries.get(), 1);
    }

    fn schedule(deadline: Duration) -> Schedule {
        Schedule::new(&RetryPolicy::default(), Instant::now() + deadline, || 1.0)
    }

    #[test]
    fn schedule_prefers_retry_after_and_stops_at_the_deadline() {
        let mut s = schedule(Duration::from_secs(3600));
        let after = Some(Duration::from_secs(7));
        assert_eq!(s.next(after), Step::Retry(Duration::from_secs(7)));
        assert_eq!(s.next(None), Step::Retry(Duration::from_millis(2400)));
        assert_eq!(s.next(None), Step::Retry(Duration::from_millis(5600)));
        assert_eq!(s.next(None), Step::Exhausted, "3 retries at most");

        let mut s = schedule(Duration::from_secs(2));
        assert_eq!(s.next(Some(Duration::from_secs(5))), Step::Deadline);
    }

    #[test]
    fn a_timeout_keeps_the_last_error() {
        let tries = Cell::new(0);
        let r = run_with_retries(
            || {
                tries.set(tries.get() + 1);
                match tries.get() {
                    1 => Err(http(503, None)),
                    _ => Err(Error::TIMEOUT),
                }
            },
            Instant::now() + Duration::from_secs(60),
            &fast(),
            || 1.0,
            None,
        );
        match r {
            Err(Error::Timeout {
                last_error: Some(last),
            }) => assert!(matches!(*last, Error::Http { status: 503, .. })),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
