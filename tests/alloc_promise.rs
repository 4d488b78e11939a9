//! A warmed-up submit → wait → recycle round trip allocates nothing on the caller's
//! thread. Its own test binary: it installs a counting global allocator that counts
//! only while the calling thread has switched counting on.
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use arn_client::testing::FakeTransport;

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

fn count() {
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Relaxed);
    }
}

// SAFETY: every call forwards to the system allocator unchanged; counting only touches
// an atomic and a const-initialised thread-local `Cell` (which never allocates).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` with allocation counting on for this thread; returns the count.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Relaxed);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Relaxed) - before
}

#[test]
fn promise_round_trip_allocates_nothing_once_warm() {
    let fake = FakeTransport::noop();
    let client = common::builder(&fake, 2).compression(true).build().unwrap();
    let template = common::aks_node();

    // The counter works.
    assert!(allocations_in(|| drop(template.clone())) > 0);

    // Warm up: promise slots, thread-local parking data, the workers' buffers.
    for _ in 0..200 {
        client.send_async(template.clone()).unwrap().wait().unwrap();
    }

    // Twice the same 500 round trips: the first pass warms the scheduler's queues
    // and maps up to this pattern's working set (recycled promises let submissions
    // run ahead of their outcomes); the second is counted.
    let mut total = 0;
    for pass in 0..2 {
        let notifications: Vec<_> = (0..500).map(|_| template.clone()).collect();
        for (i, n) in notifications.into_iter().enumerate() {
            let allocations = allocations_in(|| {
                let promise = client.send_async(n).unwrap();
                match i % 3 {
                    0 => {
                        promise.wait().unwrap();
                    }
                    1 => {
                        promise
                            .wait_timeout(Duration::from_secs(600))
                            .ok()
                            .unwrap()
                            .unwrap();
                    }
                    _ => promise.recycle(),
                }
            });
            if pass == 1 {
                total += allocations;
            }
        }
    }
    assert_eq!(
        total, 0,
        "allocations on the caller's side in 500 round trips"
    );
    assert_eq!(client.stats().promises_active, 0);
}
