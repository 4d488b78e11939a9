//! Reusing the last value a thread built, for the parts the resources of a batch
//! share (their API version, their resource type).

use std::cell::RefCell;
use std::thread::LocalKey;

/// The thread's last value in `last` when `same` says it is the one wanted, cloned
/// (a reference count for the shared strings this holds); otherwise `make()`, kept as
/// the new last value. Works without the cache while the thread is being torn down.
pub(crate) fn last_or<T: Clone + 'static>(
    last: &'static LocalKey<RefCell<Option<T>>>,
    same: impl FnOnce(&T) -> bool,
    make: impl FnOnce() -> T,
) -> T {
    let reused = last.try_with(|cell| cell.borrow().as_ref().filter(|v| same(v)).cloned());
    if let Ok(Some(v)) = reused {
        return v;
    }
    let v = make();
    let _ = last.try_with(|cell| *cell.borrow_mut() = Some(v.clone()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    thread_local! {
        static LAST: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
    }

    fn get(s: &str) -> Arc<str> {
        last_or(&LAST, |v| **v == *s, || Arc::from(s))
    }

    #[test]
    fn the_same_value_is_shared_and_another_replaces_it() {
        let a = get("x");
        assert!(Arc::ptr_eq(&a, &get("x")));
        let b = get("y");
        assert_eq!(&*b, "y");
        assert!(!Arc::ptr_eq(&a, &get("x")), "y replaced x");
        let other = std::thread::spawn(|| get("x")).join().unwrap();
        assert!(!Arc::ptr_eq(&get("x"), &other), "one per thread");
    }
}
