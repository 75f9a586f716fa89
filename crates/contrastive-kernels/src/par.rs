//! A fork-join thread pool for the threads build (`simd128-threads`: shared memory, atomics).
//!
//! The host (packages/contrastive/src/runtime/threads.ts) starts n - 1 Web Workers /
//! worker_threads, each with its own instance of this module on the same shared memory. Each
//! sets its `__stack_pointer`, calls `__wasm_init_tls` on a block from [`ct_thread_alloc`] and
//! enters [`ct_thread_run`], which never returns: it sleeps on `memory.atomic.wait32` until the
//! calling thread publishes a job, runs its parts and counts itself done.
//!
//! The calling thread (a browser main thread, where `atomic.wait` traps) never blocks: it
//! publishes, notifies, runs its own parts, then spins until every worker is done.
//!
//! Everywhere else (native tests, the two single-threaded builds) the same API runs every part
//! in the calling thread, so code above this layer is written once.

/// Runs `f(0)`, ..., `f(parts - 1)`, spread over the pool's threads, and returns when all are
/// done. Part 0 always runs on the calling thread (so it may use the caller's buffers); a call
/// made from inside a part, or before the workers are up, runs every part here in order.
pub fn for_each(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    imp::for_each(parts, f)
}

/// Threads a job is spread over (1 in the single-threaded builds).
pub fn threads() -> usize {
    imp::threads()
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "atomics")))]
mod imp {
    pub fn for_each(parts: usize, f: &(dyn Fn(usize) + Sync)) {
        for i in 0..parts {
            f(i);
        }
    }
    pub fn threads() -> usize {
        1
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
mod imp {
    use crate::abi::INVALID_ARGUMENT;
    use core::arch::wasm32::{memory_atomic_notify, memory_atomic_wait32};
    use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering::*};

    /// Worker ids are bits of [`READY`].
    pub const MAX_THREADS: usize = 16;
    /// Busy-polls of the job counter before a worker sleeps: a training step issues its GEMMs
    /// back to back, and waking a sleeping worker costs tens of microseconds.
    const SPIN: u32 = 20_000;

    /// Threads to use, set by [`ct_set_threads`].
    static THREADS: AtomicUsize = AtomicUsize::new(1);
    /// Bit i set: worker i is inside [`ct_thread_run`] and will see the next job.
    static READY: AtomicU32 = AtomicU32::new(0);
    /// Bumped once per job; workers sleep on it.
    static GENERATION: AtomicU32 = AtomicU32::new(0);
    /// Workers of the current job that have not finished.
    static PENDING: AtomicU32 = AtomicU32::new(0);
    /// A job is running: nested calls (from inside a part) run serially.
    static BUSY: AtomicU32 = AtomicU32::new(0);
    /// A worker trapped (reported by the host): its parts would never finish.
    static POISONED: AtomicU32 = AtomicU32::new(0);
    /// The job: the two words of a `&dyn Fn(usize) + Sync`, its part count and thread count.
    /// Same module, same table and address space in every thread, so the pointer means the
    /// same closure everywhere.
    static JOB_DATA: AtomicUsize = AtomicUsize::new(0);
    static JOB_VTABLE: AtomicUsize = AtomicUsize::new(0);
    static JOB_PARTS: AtomicUsize = AtomicUsize::new(0);
    static JOB_THREADS: AtomicUsize = AtomicUsize::new(0);

    pub fn threads() -> usize {
        THREADS.load(Relaxed)
    }

    fn ready_mask(t: usize) -> u32 {
        // workers 1..t
        ((1u64 << t) - 2) as u32
    }

    pub fn for_each(parts: usize, f: &(dyn Fn(usize) + Sync)) {
        let t = THREADS.load(Relaxed).min(parts);
        let serial = t <= 1
            || READY.load(Acquire) & ready_mask(t) != ready_mask(t)
            || POISONED.load(Acquire) != 0
            || BUSY.swap(1, Acquire) != 0;
        if serial {
            for i in 0..parts {
                f(i);
            }
            return;
        }
        // SAFETY: a fat reference is two words on wasm32; the closure outlives the job because
        // this function returns only after every worker has counted itself done.
        let [data, vtable]: [usize; 2] = unsafe { core::mem::transmute(f) };
        JOB_DATA.store(data, Relaxed);
        JOB_VTABLE.store(vtable, Relaxed);
        JOB_PARTS.store(parts, Relaxed);
        JOB_THREADS.store(t, Relaxed);
        PENDING.store(t as u32 - 1, Relaxed);
        GENERATION.fetch_add(1, Release);
        // SAFETY: the address of a static u32 in shared memory.
        unsafe { memory_atomic_notify(GENERATION.as_ptr() as *mut i32, u32::MAX) };
        let mut i = 0;
        while i < parts {
            f(i);
            i += t;
        }
        while PENDING.load(Acquire) != 0 {
            if POISONED.load(Acquire) != 0 {
                // a worker died mid-job: its share of the result is missing, so fail loudly
                core::arch::wasm32::unreachable();
            }
            core::hint::spin_loop();
        }
        BUSY.store(0, Release);
    }

    /// Sets the number of threads jobs are spread over (1..=16, clamped); returns it. Workers
    /// 1..n must be running [`ct_thread_run`] for jobs to go parallel; until then they run
    /// serially.
    #[no_mangle]
    pub extern "C" fn ct_set_threads(n: u32) -> u32 {
        let n = (n as usize).clamp(1, MAX_THREADS);
        THREADS.store(n, Relaxed);
        n as u32
    }

    /// Bitmask of the workers inside [`ct_thread_run`] (bit i = worker i).
    #[no_mangle]
    pub extern "C" fn ct_threads_ready() -> u32 {
        READY.load(Acquire)
    }

    /// Allocates a worker's stack (`stack_bytes`, a multiple of 16) followed by its TLS block
    /// (`tls_size` bytes aligned to `tls_align`, the module's `__tls_size` / `__tls_align`).
    /// The stack top and the TLS block are both at ptr + stack_bytes. Returns 0 on OOM.
    #[no_mangle]
    pub extern "C" fn ct_thread_alloc(stack_bytes: usize, tls_size: usize, tls_align: usize) -> *mut u8 {
        if stack_bytes % 16 != 0 || !tls_align.is_power_of_two() {
            return core::ptr::null_mut();
        }
        match std::alloc::Layout::from_size_align(stack_bytes + tls_size.max(1), tls_align.max(16)) {
            // SAFETY: non-zero size.
            Ok(layout) => unsafe { std::alloc::alloc(layout) },
            Err(_) => core::ptr::null_mut(),
        }
    }

    /// A worker's loop; never returns for a valid `id` (1..16). The caller must have set this
    /// instance's `__stack_pointer` and called `__wasm_init_tls` first.
    #[no_mangle]
    pub extern "C" fn ct_thread_run(id: u32) -> i32 {
        let id = id as usize;
        if id == 0 || id >= MAX_THREADS {
            return INVALID_ARGUMENT;
        }
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
            let t = JOB_THREADS.load(Relaxed);
            if id < t {
                let parts = JOB_PARTS.load(Relaxed);
                let words = [JOB_DATA.load(Relaxed), JOB_VTABLE.load(Relaxed)];
                // SAFETY: published by for_each, which keeps the closure alive until PENDING is 0.
                let f: &(dyn Fn(usize) + Sync) = unsafe { core::mem::transmute(words) };
                let mut i = id;
                while i < parts {
                    f(i);
                    i += t;
                }
                PENDING.fetch_sub(1, Release);
            }
        }
    }

    /// Called by the host when a worker trapped: the running job (and every later one) fails
    /// with a trap instead of waiting forever for the dead worker.
    #[no_mangle]
    pub extern "C" fn ct_thread_poison() {
        POISONED.store(1, Release);
    }
}
