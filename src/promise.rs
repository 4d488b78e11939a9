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
use crate::{Delivery, Failure};

/// The result a client promise resolves to.
pub(crate) type Outcome = Result<Delivery, Failure>;

mod sealed {
    /// What a promise can resolve to: a result whose failure side can say "closed".
    /// Sealed: implemented for the crate's outcome types only.
    pub trait Settle: Sized + Send + 'static {
        /// What the pool's slots hold: one type for every outcome, so one pool serves
        /// the client and its publishers.
        type Store: Send + 'static;
        /// Whether it is a failure (counted in the promise statistics).
        fn failed(&self) -> bool;
        /// The outcome of a promise whose resolver was dropped unresolved.
        fn closed() -> Self;
        /// Into a slot.
        fn store(self) -> Self::Store;
        /// Out of a slot this type's resolver filled.
        fn unstore(store: Self::Store) -> Self;
    }
}

pub(crate) use sealed::Settle;

struct State<T> {
    generation: u64,
    /// `None` while pending.
    outcome: Option<T>,
}

/// One promise slot, shared by a [`Promise`] and its [`Resolver`].
pub(crate) struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

impl<T> Slot<T> {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                generation: 0,
                outcome: None,
            }),
            ready: Condvar::new(),
        }
    }

    /// Stores `result` if the slot is still at `generation` and pending. Returns whether
    /// it was stored.
    fn complete(&self, generation: u64, result: T) -> bool {
        let mut state = self.state.lock();
        if state.generation != generation || state.outcome.is_some() {
            return false;
        }
        state.outcome = Some(result);
        self.ready.notify_all();
        true
    }
}

/// The pool of idle slots holding `S`, shared by the client, its publishers and their
/// promises.
pub(crate) struct PromisePool<S> {
    free: Mutex<Vec<Arc<Slot<S>>>>,
    max_free: usize,
    stats: Arc<StatsInner>,
}

impl<S: Send + 'static> PromisePool<S> {
    pub(crate) fn new(max_free: usize, stats: Arc<StatsInner>) -> Arc<Self> {
        Arc::new(Self {
            free: Mutex::new(Vec::with_capacity(max_free)),
            max_free,
            stats,
        })
    }

    /// A fresh pending promise and the resolver that completes it.
    pub(crate) fn promise<T: Settle<Store = S>>(self: &Arc<Self>) -> (Promise<T>, Resolver<T>) {
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
    pub(crate) fn resolved<T: Settle<Store = S>>(self: &Arc<Self>, result: T) -> Promise<T> {
        let (promise, resolver) = self.promise();
        resolver.resolve(result);
        promise
    }

    /// Takes a slot back: bumps its generation so no old resolver can write to it.
    fn give_back(&self, slot: Arc<Slot<S>>) {
        {
            let mut state = slot.state.lock();
            state.generation = state.generation.wrapping_add(1);
            state.outcome = None;
        }
        let mut free = self.free.lock();
        if free.len() < self.max_free {
            free.push(slot);
        }
    }
}

/// The pending outcome of one notification sent with [`Client::send_async`]: a
/// [`Delivery`] report, or a [`Failure`] that hands the notification back.
///
/// [`Promise::wait`] blocks until the outcome. [`Promise::wait_timeout`] and
/// [`Promise::wait_deadline`] hand the promise back when the time runs out, so the
/// outcome is read exactly once and never made up. Dropping the promise (or
/// [`Promise::recycle`]) gives its slot back to the client's pool, so a warmed-up
/// client sends with promises without allocating; the notification is still sent.
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use arn_client::model::*;
/// # let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse()?;
/// # let arm = ArmResource::new(Activity::Snapshot, &id, "2024-03-01", &serde_json::json!({}))?;
/// # let n = Notification::new("eastus", "Microsoft.Compute", vec![NotificationResource::new(arm, ChangeAction::Update)]);
/// use std::time::Duration;
///
/// let client = arn_client::Client::with_transports(arn_client::testing::FakeTransport::new()).build()?;
/// let mut promise = client.send_async(n)?;
/// // Do other work, then look again; the promise comes back while pending.
/// let outcome = loop {
///     match promise.wait_timeout(Duration::from_millis(100)) {
///         Ok(outcome) => break outcome,
///         Err(pending) => promise = pending,
///     }
/// };
/// let report = outcome?;
/// assert_eq!(report.attempts, 1);
/// # Ok(()) }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
///
/// [`Client::send_async`]: crate::Client::send_async
#[must_use = "a promise does nothing unless waited on; drop or recycle it to discard"]
pub struct Promise<T: Settle = Outcome> {
    slot: Option<Arc<Slot<T::Store>>>,
    generation: u64,
    pool: Arc<PromisePool<T::Store>>,
}

impl<T: Settle> Promise<T> {
    /// Blocks until the notification has an outcome and returns it; then recycles the
    /// promise.
    pub fn wait(mut self) -> T {
        match self.take(None) {
            Some(outcome) => outcome,
            None => unreachable!("a wait without deadline ends with the outcome"),
        }
    }

    /// Blocks until the outcome or until `timeout` has passed; hands the promise back,
    /// still pending and usable, on timeout.
    #[allow(clippy::result_large_err)] // the promise is handed back by value
    pub fn wait_timeout(self, timeout: Duration) -> Result<T, Promise<T>> {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.wait_deadline(deadline),
            None => Ok(self.wait()),
        }
    }

    /// Blocks until the outcome or until `deadline`; hands the promise back, still
    /// pending and usable, if the deadline passes first.
    #[allow(clippy::result_large_err)] // the promise is handed back by value
    pub fn wait_deadline(mut self, deadline: Instant) -> Result<T, Promise<T>> {
        match self.take(Some(deadline)) {
            Some(outcome) => Ok(outcome),
            None => {
                self.pool.stats.promise_timed_out();
                Err(self)
            }
        }
    }

    /// Whether the outcome is known (a wait would return at once).
    pub fn is_ready(&self) -> bool {
        match &self.slot {
            Some(slot) => slot.state.lock().outcome.is_some(),
            None => true,
        }
    }

    /// Gives the promise's slot back to the pool, whatever its state. A notification
    /// still in flight is still sent; its outcome is discarded.
    pub fn recycle(self) {
        drop(self);
    }

    /// Takes the outcome, waiting until `deadline` (forever if `None`); `None` if the
    /// deadline passed first.
    fn take(&mut self, deadline: Option<Instant>) -> Option<T> {
        let slot = self.slot.as_ref().expect("a live promise holds its slot");
        let mut state = slot.state.lock();
        debug_assert_eq!(state.generation, self.generation);
        loop {
            if let Some(stored) = state.outcome.take() {
                drop(state);
                let outcome = T::unstore(stored);
                self.pool.stats.promise_completed(outcome.failed());
                return Some(outcome);
            }
            match deadline {
                None => slot.ready.wait(&mut state),
                Some(deadline) => {
                    if slot.ready.wait_until(&mut state, deadline).timed_out()
                        && state.outcome.is_none()
                    {
                        return None;
                    }
                }
            }
        }
    }
}

impl<T: Settle> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            self.pool.stats.promise_dropped();
            self.pool.give_back(slot);
        }
    }
}

impl<T: Settle> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("ready", &self.is_ready())
            .finish()
    }
}

/// The worker's half of a promise: completes it exactly once. Dropped unresolved, it
/// resolves the promise with [`Error::Closed`], so no waiter hangs.
pub(crate) struct Resolver<T: Settle = Outcome> {
    slot: Arc<Slot<T::Store>>,
    generation: u64,
    armed: bool,
}

impl<T: Settle> Resolver<T> {
    /// Completes the promise (a no-op if it was already completed or recycled).
    pub(crate) fn resolve(mut self, result: T) {
        self.armed = false;
        self.slot.complete(self.generation, result.store());
    }

    /// A handle that can complete the same promise from elsewhere (close on timeout).
    pub(crate) fn handle(&self) -> Resolver<T> {
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

impl<T: Settle> Drop for Resolver<T> {
    fn drop(&mut self) {
        if self.armed {
            self.slot.complete(self.generation, T::closed().store());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    use crate::batch::Settled;
    use crate::Error;

    fn pool() -> Arc<PromisePool<Settled>> {
        PromisePool::new(4, Arc::new(StatsInner::default()))
    }

    fn timeout() -> Outcome {
        Err(Failure::new(Error::TIMEOUT, None, None, 0))
    }

    #[test]
    fn resolve_then_wait() {
        let pool = pool();
        let (p, r) = pool.promise::<Outcome>();
        assert!(!p.is_ready());
        r.resolve(timeout());
        assert!(p.is_ready());
        let failure = p.wait().unwrap_err();
        assert!(matches!(failure.error(), Error::Timeout { .. }));
    }

    #[test]
    fn wait_across_threads() {
        let pool = pool();
        let (p, r) = pool.promise::<Outcome>();
        let t = thread::spawn(move || r.resolve(Ok(Delivery::empty())));
        p.wait().unwrap();
        t.join().unwrap();
    }

    #[test]
    fn wait_timeout_hands_the_promise_back_until_the_outcome() {
        let pool = pool();
        let (p, r) = pool.promise::<Outcome>();
        let p = p.wait_timeout(Duration::from_millis(1)).unwrap_err();
        let p = p.wait_deadline(Instant::now()).unwrap_err();
        r.resolve(Ok(Delivery::empty()));
        let outcome = p.wait_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(outcome.unwrap(), Delivery::empty());
        assert_eq!(pool.stats.snapshot(0).promises_timed_out, 2);
    }

    #[test]
    fn dropped_resolver_resolves_closed() {
        let pool = pool();
        let (p, r) = pool.promise::<Outcome>();
        drop(r);
        assert!(matches!(p.wait().unwrap_err().error(), Error::Closed));
    }

    #[test]
    fn recycled_slot_ignores_old_resolver() {
        let pool = pool();
        let (p1, r1) = pool.promise::<Outcome>();
        let slot1 = Arc::as_ptr(p1.slot.as_ref().unwrap());
        p1.recycle();
        let (p2, r2) = pool.promise::<Outcome>();
        assert_eq!(Arc::as_ptr(p2.slot.as_ref().unwrap()), slot1, "slot reused");
        r1.resolve(timeout()); // stale: must not reach p2
        assert!(!p2.is_ready());
        r2.resolve(Ok(Delivery::empty()));
        p2.wait().unwrap();
    }

    #[test]
    fn one_pool_serves_notifications_and_changes() {
        use crate::batch::{ChangeOutcome, Published};
        let pool = pool();
        let (p1, r1) = pool.promise::<Outcome>();
        let slot = Arc::as_ptr(p1.slot.as_ref().unwrap());
        r1.resolve(Ok(Delivery::empty()));
        p1.wait().unwrap();
        // The slot a notification's promise gave back serves a change's promise.
        let (p2, r2) = pool.promise::<ChangeOutcome>();
        assert_eq!(Arc::as_ptr(p2.slot.as_ref().unwrap()), slot, "slot reused");
        let published = Published {
            delivery: Delivery::empty(),
            coalesced: true,
        };
        r2.resolve(Ok(published));
        assert!(p2.wait().unwrap().coalesced);
        // And back; a change's dropped resolver settles its promise as closed.
        let (p3, r3) = pool.promise::<Outcome>();
        assert_eq!(Arc::as_ptr(p3.slot.as_ref().unwrap()), slot, "slot reused");
        drop(p3);
        let (p4, r4) = pool.promise::<ChangeOutcome>();
        r3.resolve(Ok(Delivery::empty())); // stale: must not reach p4
        drop(r4);
        assert!(matches!(p4.wait().unwrap_err().error(), Error::Closed));
    }

    #[test]
    fn pool_keeps_at_most_max_free() {
        let pool = pool();
        let promises: Vec<_> = (0..8).map(|_| pool.promise::<Outcome>().0).collect();
        drop(promises);
        assert_eq!(pool.free.lock().len(), 4);
    }
}
