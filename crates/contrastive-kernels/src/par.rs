//! A fork-join thread pool for the threads build (`simd128-threads`: shared memory, atomics).
//!
//! The host (packages/contrastive/src/runtime/threads.ts, through the exports in abi/runtime.rs)
//! starts n - 1 Web Workers / worker_threads, each with its own instance of this module on the same shared memory. Each
//! sets its `__stack_pointer`, calls `__wasm_init_tls` on a block from `thread_alloc` and
//! enters `run_worker`, which never returns: it sleeps on `memory.atomic.wait32` until the
//! calling thread publishes a job, joins it, takes parts until none are left and leaves.
//!
//! Parts are taken from a shared counter, not assigned: on a busy machine a worker may not be
//! scheduled for milliseconds, and then the caller simply runs its parts instead of waiting.
//! The calling thread (a browser main thread, where `atomic.wait` traps) never blocks: once
//! every part is taken it closes the job to late joiners and spins until the workers that
//! joined have finished theirs.
//!
//! Everywhere else (native tests, the two single-threaded builds) the same API runs every part
//! in the calling thread, so code above this layer is written once.

/// Runs `f(part, thread)` for every part in 0..parts, spread over the pool's threads, and
/// returns when all are done. `thread` is 0 on the calling thread (a part may use the caller's
/// buffers then) and the worker's id elsewhere. A call made from inside a part, or before the
/// workers are up, runs every part here, in order.
pub fn for_each(parts: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    imp::for_each(parts, f)
}

/// Threads a job is spread over (1 in the single-threaded builds).
pub fn threads() -> usize {
    imp::threads()
}

/// The smallest job worth splitting, if the host overrode the caller's default
/// (`ct_set_threads_min_work`, for tuning benches).
pub fn min_work() -> Option<usize> {
    imp::min_work()
}

/// Memory traffic (floats read plus written) below which [`ranges`] stays on the calling thread:
/// a split costs ~15-30 µs, about what one core streams through 64K floats.
pub const MIN_SPLIT_FLOATS: usize = 1 << 16;

/// Runs `f(lo, hi)` on contiguous ranges covering 0..n: spread over the pool (a few ranges per
/// thread, so a descheduled worker leaves little behind) when `floats`, the job's memory traffic,
/// is at least [`MIN_SPLIT_FLOATS`]; as one call f(0, n) otherwise. For kernels whose items
/// (planes, channels, samples, blocks of elements) are computed the same way whatever range
/// holds them, so results are bit-identical for every thread count; each range must write only
/// its own items' outputs.
pub fn ranges(n: usize, floats: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    let t = threads();
    if t <= 1 || n < 2 || floats < MIN_SPLIT_FLOATS {
        return f(0, n);
    }
    let parts = (4 * t).min(n);
    for_each(parts, &|p, _| f(p * n / parts, (p + 1) * n / parts));
}

/// [`ranges`] one item at a time: `f(i)` for every i in 0..n.
pub fn items(n: usize, floats: usize, f: &(dyn Fn(usize) + Sync)) {
    ranges(n, floats, &|a, b| (a..b).for_each(f));
}

/// An output buffer that parts on other threads write, each its own elements. `part` hands out
/// one contiguous piece at a time; pieces of different parts should not overlap (the GEMM's column
/// blocks are the exception: their pieces overlap as address ranges, their elements do not).
pub struct SharedMut<T> {
    ptr: *mut T,
    len: usize,
}
// SAFETY: parts write disjoint elements (see `part`).
unsafe impl<T> Sync for SharedMut<T> {}
unsafe impl<T> Send for SharedMut<T> {}

impl<T> SharedMut<T> {
    pub fn new(s: &mut [T]) -> Self {
        SharedMut { ptr: s.as_mut_ptr(), len: s.len() }
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Elements off..off + len (bounds asserted).
    ///
    /// # Safety
    /// No other live slice from this buffer, on any thread, may overlap the piece.
    #[allow(clippy::mut_from_ref)]
    pub unsafe fn part(&self, off: usize, len: usize) -> &mut [T] {
        assert!(off <= self.len && len <= self.len - off);
        core::slice::from_raw_parts_mut(self.ptr.add(off), len)
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
mod imp {
    pub fn for_each(parts: usize, f: &(dyn Fn(usize, usize) + Sync)) {
        for i in 0..parts {
            f(i, 0);
        }
    }
    pub fn threads() -> usize {
        1
    }
    pub fn min_work() -> Option<usize> {
        None
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
pub use imp::{poison, poisoned, ready, run_worker, set_min_work, set_threads, thread_alloc, worker_parts, MAX_THREADS};

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
mod imp {
    use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
    use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};

    /// Worker ids are bits of [`READY`].
    pub const MAX_THREADS: usize = 16;
    /// Busy-polls of the job counter before a worker sleeps: a training step issues its GEMMs
    /// back to back, and waking a sleeping worker costs tens of microseconds. Short, because a
    /// spinning worker takes a core from the caller's serial work between products, and a late
    /// worker costs little (the caller takes its parts).
    const SPIN: u32 = 2_000;
    /// [`STATE`]: the job takes joiners; the low bits count the workers inside it.
    const OPEN: u32 = 1 << 31;

    /// Threads to use, set by [`set_threads`].
    static THREADS: AtomicUsize = AtomicUsize::new(1);
    /// Bit i set: worker i is inside [`run_worker`] and will see the next job.
    static READY: AtomicU32 = AtomicU32::new(0);
    /// Bumped once per job; workers sleep on it.
    static GENERATION: AtomicU32 = AtomicU32::new(0);
    /// OPEN while the current job takes joiners, plus the number of workers inside it.
    static STATE: AtomicU32 = AtomicU32::new(0);
    /// The next part to take.
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    /// A job is running: nested calls (from inside a part) run serially.
    static BUSY: AtomicU32 = AtomicU32::new(0);
    /// A worker trapped (reported by the host): its part would never finish.
    static POISONED: AtomicU32 = AtomicU32::new(0);
    /// The job: the two words of a `&dyn Fn(usize, usize) + Sync` and its part count. Same
    /// module, same table and address space in every thread, so the pointer means the same
    /// closure everywhere.
    static JOB_DATA: AtomicUsize = AtomicUsize::new(0);
    static JOB_VTABLE: AtomicUsize = AtomicUsize::new(0);
    static JOB_PARTS: AtomicUsize = AtomicUsize::new(0);
    /// Highest worker id that may join (threads - 1).
    static JOB_MAX_ID: AtomicUsize = AtomicUsize::new(0);
    /// Parts run by workers since start: lets tests and benches see the pool is really used.
    static WORKER_PARTS: AtomicU32 = AtomicU32::new(0);

    pub fn threads() -> usize {
        THREADS.load(Relaxed)
    }

    /// 0: the callers' defaults.
    static MIN_WORK: AtomicUsize = AtomicUsize::new(0);

    pub fn min_work() -> Option<usize> {
        match MIN_WORK.load(Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Overrides the smallest product (multiply-adds) split over threads; 0 restores the
    /// default. For benches that measure where splitting starts to pay.
    pub fn set_min_work(madds: usize) {
        MIN_WORK.store(madds, Relaxed);
    }

    fn ready_mask(t: usize) -> u32 {
        // workers 1..t
        ((1u64 << t) - 2) as u32
    }

    pub fn for_each(parts: usize, f: &(dyn Fn(usize, usize) + Sync)) {
        let t = THREADS.load(Relaxed);
        let serial = t <= 1
            || parts <= 1
            || READY.load(Acquire) & ready_mask(t) != ready_mask(t)
            || POISONED.load(Acquire) != 0
            || BUSY.swap(1, Acquire) != 0;
        if serial {
            for i in 0..parts {
                f(i, 0);
            }
            return;
        }
        // SAFETY: a fat reference is two words on wasm32; the closure outlives the job because
        // this function returns only after the job is closed and every joined worker has left.
        let [data, vtable]: [usize; 2] = unsafe { core::mem::transmute(f) };
        JOB_DATA.store(data, Relaxed);
        JOB_VTABLE.store(vtable, Relaxed);
        JOB_PARTS.store(parts, Relaxed);
        JOB_MAX_ID.store(t - 1, Relaxed);
        NEXT.store(0, Relaxed);
        STATE.store(OPEN, Release);
        GENERATION.fetch_add(1, Release);
        // SAFETY: the address of a static u32 in shared memory.
        unsafe { memory_atomic_notify(GENERATION.as_ptr() as *mut i32, (t - 1) as u32) };
        loop {
            let i = NEXT.fetch_add(1, Relaxed);
            if i >= parts {
                break;
            }
            f(i, 0);
        }
        // every part is taken: from now on no worker may enter this job
        STATE.fetch_and(!OPEN, AcqRel);
        while STATE.load(Acquire) != 0 {
            if POISONED.load(Acquire) != 0 {
                // a worker died mid-part: its share of the result is missing, so fail loudly
                core::arch::wasm32::unreachable();
            }
            core::hint::spin_loop();
        }
        BUSY.store(0, Release);
    }

    /// Sets the number of threads jobs are spread over (1..=16, clamped); returns it. Workers
    /// 1..n must be running [`run_worker`] for jobs to go parallel; until then they run
    /// serially.
    pub fn set_threads(n: u32) -> u32 {
        let n = (n as usize).clamp(1, MAX_THREADS);
        THREADS.store(n, Relaxed);
        n as u32
    }

    /// Parts of jobs run by the workers (not the calling thread) since the module started.
    pub fn worker_parts() -> u32 {
        WORKER_PARTS.load(Relaxed)
    }

    /// Bitmask of the workers inside [`run_worker`] (bit i = worker i).
    pub fn ready() -> u32 {
        READY.load(Acquire)
    }

    /// Allocates a worker's stack (`stack_bytes`, a multiple of 16) followed by its TLS block
    /// (`tls_size` bytes aligned to `tls_align`, the module's `__tls_size` / `__tls_align`).
    /// The stack top and the TLS block are both at ptr + stack_bytes. Returns 0 on OOM.
    pub fn thread_alloc(stack_bytes: usize, tls_size: usize, tls_align: usize) -> *mut u8 {
        if stack_bytes % 16 != 0 || !tls_align.is_power_of_two() {
            return core::ptr::null_mut();
        }
        // the sum is checked: a wrapped size would give a block smaller than the stack
        let Some(bytes) = stack_bytes.checked_add(tls_size.max(1)) else { return core::ptr::null_mut() };
        match std::alloc::Layout::from_size_align(bytes, tls_align.max(16)) {
            // SAFETY: non-zero size.
            Ok(layout) => unsafe { std::alloc::alloc(layout) },
            Err(_) => core::ptr::null_mut(),
        }
    }

    /// A worker's loop, for worker `id` (1..MAX_THREADS, checked by the caller); never returns.
    /// The caller must have set this instance's `__stack_pointer` and called `__wasm_init_tls`
    /// first.
    pub fn run_worker(id: usize) -> ! {
        let mut seen = GENERATION.load(Acquire);
        READY.fetch_or(1 << id, Release);
        loop {
            let mut spins = 0;
            let mut g = GENERATION.load(Acquire);
            while g == seen {
                if spins < SPIN {
                    spins += 1;
                    core::hint::spin_loop();
                } else {
                    // SAFETY: a static u32 in shared memory; returns when notified or changed.
                    unsafe { memory_atomic_wait32(GENERATION.as_ptr() as *mut i32, seen as i32, -1) };
                }
                g = GENERATION.load(Acquire);
            }
            seen = g;
            if id > JOB_MAX_ID.load(Relaxed) {
                continue;
            }
            // join, unless the caller has already closed the job (an open job is always alive,
            // so even joining a later one than the one that woke us is safe)
            let mut st = STATE.load(Relaxed);
            let joined = loop {
                if st & OPEN == 0 {
                    break false;
                }
                match STATE.compare_exchange_weak(st, st + 1, Acquire, Relaxed) {
                    Ok(_) => break true,
                    Err(now) => st = now,
                }
            };
            if !joined {
                continue;
            }
            let parts = JOB_PARTS.load(Relaxed);
            let words = [JOB_DATA.load(Relaxed), JOB_VTABLE.load(Relaxed)];
            // SAFETY: published by for_each, which waits for this worker to leave before the
            // closure goes out of scope.
            let f: &(dyn Fn(usize, usize) + Sync) = unsafe { core::mem::transmute(words) };
            loop {
                let i = NEXT.fetch_add(1, Relaxed);
                if i >= parts {
                    break;
                }
                f(i, id);
                WORKER_PARTS.fetch_add(1, Relaxed);
            }
            STATE.fetch_sub(1, Release);
        }
    }

    /// Called by the host when a worker trapped: the running job (and every later one) fails
    /// with a trap instead of waiting forever for the dead worker.
    pub fn poison() {
        POISONED.store(1, Release);
    }

    /// Whether [`poison`] was called: a job waiting on a dead worker traps instead of hanging.
    pub fn poisoned() -> bool {
        POISONED.load(Acquire) != 0
    }
}
