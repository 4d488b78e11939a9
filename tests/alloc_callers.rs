//! Application threads that send their own `notify` (the fast path) keep no buffers or
//! compressor state once the call returns (issue 19): the client's pool holds at most
//! one set per worker. Measured as live heap bytes while 16 such threads are still
//! alive, with compression on.
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::{Arc, Barrier};
use std::thread;

use arn_client::testing::FakeTransport;
use arn_client::Client;

/// Live heap bytes.
static LIVE: AtomicIsize = AtomicIsize::new(0);

struct Tracking;

// SAFETY: every call forwards to the system allocator unchanged; the count is an atomic.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Tracking = Tracking;

#[test]
fn caller_threads_keep_no_compressor_state() {
    const THREADS: usize = 16;
    let fake = FakeTransport::without_bodies();
    let client = Arc::new(
        Client::with_transports(fake.clone())
            .workers(2)
            .compression(true)
            .build()
            .unwrap(),
    );
    // The AKS node payload: its compressor state is what a real caller would keep.
    let aks = common::aks_node();
    let props: serde_json::Value =
        serde_json::from_str(aks.resources[0].arm_resource.properties().unwrap()).unwrap();
    let node = |i: usize| common::with_properties(&common::node_id(i), &props);
    // Warm: the pool's buffers exist, every other first-use allocation is made.
    for i in 0..4 {
        client.notify(node(i)).unwrap();
    }
    let before = LIVE.load(Relaxed);
    let barrier = Arc::new(Barrier::new(THREADS + 1));
    let (sent, sent_rx) = std::sync::mpsc::channel();
    let mut threads = Vec::new();
    for t in 0..THREADS {
        // One at a time: each finds nothing else pending and sends on its own thread.
        let n = node(100 + t);
        let (client, barrier, sent) = (Arc::clone(&client), Arc::clone(&barrier), sent.clone());
        threads.push(thread::spawn(move || {
            client.notify(n).unwrap();
            sent.send(()).unwrap();
            barrier.wait(); // measured while every thread is alive
        }));
        sent_rx.recv().unwrap();
    }
    let grown = LIVE.load(Relaxed) - before;
    barrier.wait();
    for t in threads {
        t.join().unwrap();
    }
    eprintln!("live heap grew {grown} bytes with {THREADS} caller threads alive");
    // Thread stacks are not heap; each thread's own bookkeeping is about 1 KB. Kept
    // buffers and compressor state were ~378 KB per thread (6.05 MB here).
    assert!(grown < 1 << 20, "caller threads keep {grown} bytes");
    assert!(fake.post_count() >= THREADS);
}
