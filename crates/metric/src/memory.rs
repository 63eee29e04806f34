//! A memory budget for one JSONata evaluation.
//!
//! The engine limits steps, time, depth and the size of single strings and arrays, but not what
//! an evaluation holds in all: `[1..20].{"a": [1..999999]}` takes a handful of steps and builds
//! twenty arrays of a million numbers each. So the binary installs [`BudgetAllocator`] (a thin
//! wrapper over the system allocator) and every evaluation in [`crate::jsonata`] runs under
//! [`with_budget`]: while it runs, its thread counts the bytes it allocates and frees, and the
//! first allocation past the budget cancels the evaluation, which then stops at its next step.
//!
//! Only the evaluating thread is counted, and only while a budget is set, so the rest of the
//! program pays one thread-local read per allocation. A single allocation is not refused (the
//! allocator cannot fail gracefully), so the overshoot is bounded by the engine's own limits on
//! one array or string, not by this budget.
//!
//! Where the allocator is not installed (a test binary that does not declare it), budgets are
//! not enforced; [`enforced`] tells which.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting allocations on threads that run under a budget. Declare it in
/// a binary with `#[global_allocator] static A: metric::memory::BudgetAllocator = metric::memory::BudgetAllocator;`.
pub struct BudgetAllocator;

thread_local! {
    /// The budget of the evaluation running on this thread, in bytes; 0 when none runs.
    static LIMIT: Cell<usize> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed since the budget was set (frees of older memory can
    /// make it negative).
    static USED: Cell<isize> = const { Cell::new(0) };
    /// Set once the budget is passed.
    static OVER: Cell<bool> = const { Cell::new(false) };
    /// The running evaluation's cancel token, to stop it from inside an allocation. A raw
    /// pointer: a thread-local with a destructor could allocate when first touched, inside the
    /// allocator.
    static TOKEN: Cell<*const jlens_core::CancelToken> = const { Cell::new(std::ptr::null()) };
}

fn charge(delta: isize) {
    let _ = LIMIT.try_with(|limit| {
        let limit = limit.get();
        if limit == 0 {
            return;
        }
        let used = USED.get() + delta;
        USED.set(used);
        if used > limit as isize && !OVER.get() {
            OVER.set(true);
            let token = TOKEN.get();
            if !token.is_null() {
                // SAFETY: `with_budget` sets the pointer to a token on its own stack frame and
                // clears it before that frame ends; cancelling only stores to an atomic flag.
                unsafe { (*token).cancel() };
            }
        }
    });
}

// SAFETY: every call is forwarded to `System` unchanged; the counting touches only
// const-initialised thread-locals without destructors, so it never allocates itself.
unsafe impl GlobalAlloc for BudgetAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            charge(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            charge(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        charge(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            charge(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Whether budgets are enforced in this process: [`BudgetAllocator`] is the global allocator.
pub fn enforced() -> bool {
    static ENFORCED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENFORCED.get_or_init(|| {
        let ((), over) = with_budget(1024, |_| {
            std::hint::black_box(vec![0u8; 4096]);
        });
        over
    })
}

/// Clears this thread's budget, also when the evaluation panics.
struct Reset;

impl Drop for Reset {
    fn drop(&mut self) {
        LIMIT.set(0);
        USED.set(0);
        OVER.set(false);
        TOKEN.set(std::ptr::null());
    }
}

/// Runs an evaluation under a budget of `limit` bytes (no budget when 0). `f` gets the token
/// to pass to the engine, which is cancelled once the evaluation allocates past the budget;
/// the returned flag says whether that happened.
pub(crate) fn with_budget<T>(
    limit: usize,
    f: impl FnOnce(Option<&jlens_core::CancelToken>) -> T,
) -> (T, bool) {
    if limit == 0 {
        return (f(None), false);
    }
    let token = jlens_core::CancelToken::new();
    let _reset = Reset;
    USED.set(0);
    OVER.set(false);
    TOKEN.set(&token as *const _);
    LIMIT.set(limit);
    let out = f(Some(&token));
    let over = OVER.get();
    (out, over)
}
