//! Delivery hooks: a function that sees every outcome of fire-and-forget sends, as a
//! Kafka producer's delivery callback does (`ClientBuilder::on_delivery`,
//! `PublisherBuilder::on_delivery`); and [`each_caught`], which hands out many
//! outcomes so that a panic in one (a hook's, a `log` backend's) stops none of the
//! others.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A shared hook function `F`, called with panics caught.
pub(crate) struct Hook<F: ?Sized>(Arc<F>);

impl<F: ?Sized> Clone for Hook<F> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<F: ?Sized> fmt::Debug for Hook<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hook(..)")
    }
}

impl<F: ?Sized> Hook<F> {
    pub(crate) fn new(f: Arc<F>) -> Self {
        Self(f)
    }

    /// Runs `call` on the function; a panic in it is caught (and dropped: the outcome
    /// it was told about still goes where it goes without a hook).
    pub(crate) fn run(&self, call: impl FnOnce(&F)) {
        let _ = catch_unwind(AssertUnwindSafe(|| call(&self.0)));
    }
}

/// Runs `f` on every item; a panic in one (a `log` backend's, say) does not stop the
/// others: it is re-raised once every item had its turn.
pub(crate) fn each_caught<T>(items: impl IntoIterator<Item = T>, mut f: impl FnMut(T)) {
    let mut first = None;
    for item in items {
        let r = catch_unwind(AssertUnwindSafe(|| f(item)));
        if let Err(p) = r {
            first.get_or_insert(p);
        }
    }
    if let Some(p) = first {
        std::panic::resume_unwind(p);
    }
}
