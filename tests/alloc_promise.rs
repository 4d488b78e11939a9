//! A warmed-up submit → wait → recycle round trip allocates nothing on the caller's
//! thread. Its own test binary: it installs a counting global allocator that counts
//! only while the calling thread has switched counting on.
mod common;
#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use std::cell::Cell;
use std::sync::atomic::Ordering::Relaxed;

use counting_alloc::ALLOCATIONS;
use std::time::Duration;

use arn_client::testing::FakeTransport;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}
/// Counts the allocations of a thread that switched counting on.
fn decide() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting::new(decide);

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
