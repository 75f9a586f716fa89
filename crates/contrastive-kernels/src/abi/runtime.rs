//! Runtime exports: the ABI version, the instruction set, the losses' tile cache, the input
//! check, and (threads builds only) the worker pool of [`crate::par`].

use super::{slice, ABI_VERSION};
use crate::simd::{Best, Isa};

#[no_mangle]
pub extern "C" fn ct_abi_version() -> u32 {
    ABI_VERSION
}

/// 0 = scalar, 1 = simd128, 2 = relaxed: which instruction set this build runs.
#[no_mangle]
pub extern "C" fn ct_isa() -> u32 {
    match <Best as Isa>::NAME {
        "simd128" => 1,
        "relaxed" => 2,
        _ => 0,
    }
}

/// Sets the bytes the two-pass losses (NT-Xent, SupCon, CLIP) may keep between their passes
/// (loss/cache.rs); returns the previous budget. 0 = recompute every tile in pass 2.
#[no_mangle]
pub extern "C" fn ct_set_tile_cache(bytes: usize) -> usize {
    crate::loss::cache::set_budget_bytes(bytes)
}

/// Index of the first NaN or +-inf among the len values at x, -1 when all are finite, -2 when x
/// is null and len > 0 or len floats cannot be a buffer. The TS side validates inputs here after
/// copying them in.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_first_nonfinite(x: *const f32, len: usize) -> i32 {
    if (x.is_null() && len > 0) || super::elems(&[len]).is_none() {
        return -2;
    }
    match crate::check::first_nonfinite::<Best>(slice(x, len)) {
        Some(i) => i as i32,
        None => -1,
    }
}

/// The threads build's pool ([`crate::par`]): the host starts a worker per extra thread and
/// parks it in `ct_thread_run`; the single-threaded builds have none of these exports.
#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
mod threads {
    use super::super::INVALID_ARGUMENT;
    use crate::par;

    /// Overrides the smallest product (multiply-adds) split over threads; 0 restores the
    /// default. For benches that measure where splitting starts to pay.
    #[no_mangle]
    pub extern "C" fn ct_set_threads_min_work(madds: usize) {
        par::set_min_work(madds)
    }

    /// Sets the number of threads jobs are spread over (1..=16, clamped); returns it. Workers
    /// 1..n must be running `ct_thread_run` for jobs to go parallel; until then they run
    /// serially.
    #[no_mangle]
    pub extern "C" fn ct_set_threads(n: u32) -> u32 {
        par::set_threads(n)
    }

    /// Parts of jobs run by the workers (not the calling thread) since the module started.
    #[no_mangle]
    pub extern "C" fn ct_threads_worker_parts() -> u32 {
        par::worker_parts()
    }

    /// Bitmask of the workers inside `ct_thread_run` (bit i = worker i).
    #[no_mangle]
    pub extern "C" fn ct_threads_ready() -> u32 {
        par::ready()
    }

    /// Allocates a worker's stack (`stack_bytes`, a multiple of 16) followed by its TLS block
    /// (`tls_size` bytes aligned to `tls_align`, the module's `__tls_size` / `__tls_align`).
    /// The stack top and the TLS block are both at ptr + stack_bytes. Returns 0 on OOM.
    #[no_mangle]
    pub extern "C" fn ct_thread_alloc(stack_bytes: usize, tls_size: usize, tls_align: usize) -> *mut u8 {
        par::thread_alloc(stack_bytes, tls_size, tls_align)
    }

    /// A worker's loop; never returns for a valid `id` (1..16), INVALID_ARGUMENT otherwise.
    /// The caller must have set this instance's `__stack_pointer` and called `__wasm_init_tls`
    /// first.
    #[no_mangle]
    pub extern "C" fn ct_thread_run(id: u32) -> i32 {
        let id = id as usize;
        if id == 0 || id >= par::MAX_THREADS {
            return INVALID_ARGUMENT;
        }
        par::run_worker(id)
    }

    /// Called by the host when a worker trapped: the running job (and every later one) fails
    /// with a trap instead of waiting forever for the dead worker.
    #[no_mangle]
    pub extern "C" fn ct_thread_poison() {
        par::poison()
    }

    /// 1 once [`ct_thread_poison`] was called (by a worker that trapped, or by the host's watcher
    /// when a worker's thread ended): lets the host name a trap of the waiting caller.
    #[no_mangle]
    pub extern "C" fn ct_threads_poisoned() -> u32 {
        par::poisoned() as u32
    }
}
