//! A global allocator that forwards to the system allocator and counts the
//! allocations its test chooses (`Counting::new(decide)`: `decide` runs on every
//! allocation and must not allocate). Shared by the `alloc_*` test binaries; each
//! installs its own with `#[global_allocator]`.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Allocations counted so far (all binaries' allocators count here; each binary has
/// one).
pub static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

/// The counting allocator.
pub struct Counting {
    decide: fn() -> bool,
}

impl Counting {
    /// Counts the allocations for which `decide` says yes.
    pub const fn new(decide: fn() -> bool) -> Self {
        Self { decide }
    }

    fn count(&self) {
        if (self.decide)() {
            ALLOCATIONS.fetch_add(1, Relaxed);
        }
    }
}

// SAFETY: every call forwards to the system allocator unchanged; counting only touches
// an atomic and whatever `decide` reads (const-initialised thread-locals and atomics,
// which never allocate).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        self.count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        self.count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}
