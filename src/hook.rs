//! Delivery hooks: a function that sees every outcome of fire-and-forget sends, as a
//! Kafka producer's delivery callback does (`ClientBuilder::on_delivery`,
//! `PublisherBuilder::on_delivery`).

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
