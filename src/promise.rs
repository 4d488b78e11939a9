//! Recyclable promise slots.
//!
//! A slot is a `Mutex<State>` + `Condvar`; its state is changed and notified under the
//! lock, and waits loop on the predicate against one deadline computed once. Each slot
//! carries a generation: a [`Resolver`] only writes to the generation it was made for,
//! and recycling a slot bumps the generation, so a slot back in the pool can never
//! receive another notification's outcome, even while an old resolver still holds it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use crate::stats::StatsInner;
use crate::Error;

/// What a slot holds for its current generation.
enum Outcome {
    /// No outcome yet.
    Pending,
    /// The outcome, not yet handed to the waiter.
    Ready(Result<(), Error>),
    /// The outcome was handed out; `true` if it was a success.
    Delivered(bool),
}

struct State {
    generation: u64,
    outcome: Outcome,
}

/// One promise slot, shared by a [`Promise`] and its [`Resolver`].
pub(crate) struct Slot {
    state: Mutex<State>,
    ready: Condvar,
}

impl Slot {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                generation: 0,
                outcome: Outcome::Pending,
            }),
            ready: Condvar::new(),
        }
    }

    /// Stores `result` if the slot is still at `generation` and pending. Returns whether
    /// it was stored.
    fn complete(&self, generation: u64, result: Result<(), Error>) -> bool {
        let mut state = self.state.lock();
        if state.generation != generation || !matches!(state.outcome, Outcome::Pending) {
            return false;
        }
        state.outcome = Outcome::Ready(result);
        self.ready.notify_all();
        true
    }
}

/// The pool of idle slots, shared by the client and its promises.
pub(crate) struct PromisePool {
    free: Mutex<Vec<Arc<Slot>>>,
    max_free: usize,
    stats: Arc<StatsInner>,
}

impl PromisePool {
    pub(crate) fn new(max_free: usize, stats: Arc<StatsInner>) -> Arc<Self> {
        Arc::new(Self {
            free: Mutex::new(Vec::with_capacity(max_free)),
            max_free,
            stats,
        })
    }

    /// A fresh pending promise and the resolver that completes it.
    pub(crate) fn promise(self: &Arc<Self>) -> (Promise, Resolver) {
        let slot = self
            .free
            .lock()
            .pop()
            .unwrap_or_else(|| Arc::new(Slot::new()));
        let generation = slot.state.lock().generation;
        self.stats.promise_created();
        let resolver = Resolver {
            slot: Arc::clone(&slot),
            generation,
            armed: true,
        };
        let promise = Promise {
            slot: Some(slot),
            generation,
            pool: Arc::clone(self),
        };
        (promise, resolver)
    }

    /// A promise that already holds `result`.
    pub(crate) fn resolved(self: &Arc<Self>, result: Result<(), Error>) -> Promise {
        let (promise, resolver) = self.promise();
        resolver.resolve(result);
        promise
    }

    /// Takes a slot back: bumps its generation so no old resolver can write to it.
    fn give_back(&self, slot: Arc<Slot>) {
        {
            let mut state = slot.state.lock();
            state.generation = state.generation.wrapping_add(1);
            state.outcome = Outcome::Pending;
        }
        let mut free = self.free.lock();
        if free.len() < self.max_free {
            free.push(slot);
        }
    }
}

/// The pending outcome of one notification sent with [`Client::send_async`].
///
/// [`Promise::wait`] blocks until the notification has an outcome. [`Promise::recycle`]
/// (or dropping the promise) gives its slot back to the client's pool, so a warmed-up
/// client sends with promises without allocating.
///
/// [`Client::send_async`]: crate::Client::send_async
#[must_use = "a promise does nothing unless waited on; drop or recycle it to discard"]
pub struct Promise {
    slot: Option<Arc<Slot>>,
    generation: u64,
    pool: Arc<PromisePool>,
}

impl Promise {
    /// Blocks until the notification has an outcome and returns it; then recycles the
    /// promise.
    pub fn wait(self) -> Result<(), Error> {
        self.wait_until(None)
    }

    /// Blocks until the notification has an outcome or `timeout` passes.
    ///
    /// On timeout returns [`Error::PromiseTimeout`] and the promise stays pending and
    /// usable: a later wait gets the real outcome. The outcome is handed out once;
    /// waiting again after that returns `Ok(())` for a success and [`Error::Closed`]
    /// for a failure already reported.
    pub fn wait_timeout(&self, timeout: Duration) -> Result<(), Error> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Whether the outcome is known (a wait would return at once).
    pub fn is_ready(&self) -> bool {
        match &self.slot {
            Some(slot) => !matches!(slot.state.lock().outcome, Outcome::Pending),
            None => true,
        }
    }

    /// Gives the promise's slot back to the pool, whatever its state. A notification
    /// still in flight is still sent; its outcome is discarded.
    pub fn recycle(self) {
        drop(self);
    }

    /// Waits until the outcome or `deadline` ([`Error::PromiseTimeout`]), then recycles.
    pub(crate) fn wait_until_deadline(self, deadline: Instant) -> Result<(), Error> {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<(), Error> {
        let Some(slot) = &self.slot else {
            return Err(Error::Closed);
        };
        let mut state = slot.state.lock();
        debug_assert_eq!(state.generation, self.generation);
        loop {
            match std::mem::replace(&mut state.outcome, Outcome::Pending) {
                Outcome::Pending => {}
                Outcome::Ready(result) => {
                    state.outcome = Outcome::Delivered(result.is_ok());
                    drop(state);
                    self.pool.stats.promise_completed();
                    return result;
                }
                Outcome::Delivered(ok) => {
                    state.outcome = Outcome::Delivered(ok);
                    return if ok { Ok(()) } else { Err(Error::Closed) };
                }
            }
            match deadline {
                None => slot.ready.wait(&mut state),
                Some(deadline) => {
                    if slot.ready.wait_until(&mut state, deadline).timed_out()
                        && matches!(state.outcome, Outcome::Pending)
                    {
                        drop(state);
                        self.pool.stats.promise_timed_out();
                        return Err(Error::PromiseTimeout);
                    }
                }
            }
        }
    }
}

impl Drop for Promise {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.pool.stats.promise_dropped();
            self.pool.give_back(slot);
        }
    }
}

impl fmt::Debug for Promise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// The worker's half of a promise: completes it exactly once. Dropped unresolved, it
/// resolves the promise with [`Error::Closed`], so no waiter hangs.
pub(crate) struct Resolver {
    slot: Arc<Slot>,
    generation: u64,
    armed: bool,
}

impl Resolver {
    /// Completes the promise (a no-op if it was already completed or recycled).
    pub(crate) fn resolve(mut self, result: Result<(), Error>) {
        self.armed = false;
        self.slot.complete(self.generation, result);
    }

    /// A handle that can complete the same promise from elsewhere (close on timeout).
    pub(crate) fn handle(&self) -> Resolver {
        Resolver {
            slot: Arc::clone(&self.slot),
            generation: self.generation,
            armed: false,
        }
    }

    /// Drops the resolver without resolving (the submission was refused).
    pub(crate) fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for Resolver {
    fn drop(&mut self) {
        if self.armed {
            self.slot.complete(self.generation, Err(Error::Closed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    fn pool() -> Arc<PromisePool> {
        PromisePool::new(4, Arc::new(StatsInner::default()))
    }

    #[test]
    fn resolve_then_wait() {
        let pool = pool();
        let (p, r) = pool.promise();
        assert!(!p.is_ready());
        r.resolve(Err(Error::TIMEOUT));
        assert!(p.is_ready());
        assert!(matches!(p.wait(), Err(Error::Timeout { .. })));
    }

    #[test]
    fn wait_across_threads() {
        let pool = pool();
        let (p, r) = pool.promise();
        let t = thread::spawn(move || r.resolve(Ok(())));
        p.wait().unwrap();
        t.join().unwrap();
    }

    #[test]
    fn wait_timeout_leaves_promise_usable() {
        let pool = pool();
        let (p, r) = pool.promise();
        assert!(matches!(
            p.wait_timeout(Duration::from_millis(1)),
            Err(Error::PromiseTimeout)
        ));
        r.resolve(Ok(()));
        p.wait_timeout(Duration::from_secs(5)).unwrap();
        // Delivered once; a later wait reports the success again.
        p.wait().unwrap();
    }

    #[test]
    fn dropped_resolver_resolves_closed() {
        let pool = pool();
        let (p, r) = pool.promise();
        drop(r);
        assert!(matches!(p.wait(), Err(Error::Closed)));
    }

    #[test]
    fn recycled_slot_ignores_old_resolver() {
        let pool = pool();
        let (p1, r1) = pool.promise();
        let slot1 = Arc::as_ptr(p1.slot.as_ref().unwrap());
        p1.recycle();
        let (p2, r2) = pool.promise();
        assert_eq!(Arc::as_ptr(p2.slot.as_ref().unwrap()), slot1, "slot reused");
        r1.resolve(Err(Error::TIMEOUT)); // stale: must not reach p2
        assert!(!p2.is_ready());
        r2.resolve(Ok(()));
        p2.wait().unwrap();
    }

    #[test]
    fn pool_keeps_at_most_max_free() {
        let pool = pool();
        let promises: Vec<_> = (0..8).map(|_| pool.promise().0).collect();
        drop(promises);
        assert_eq!(pool.free.lock().len(), 4);
    }
}
