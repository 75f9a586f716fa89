//! The `extern "C"` surface: pointers and lengths in, status codes out.
//!
//! This module holds what every export shares (memory, status codes, the version, the pointer
//! convention); the exports themselves live in one file per domain under `abi/`:
//! [`runtime`] (version, instruction set, tile cache, input checks, the threads build's pool),
//! [`loss`], [`nn`] (layers and the matrix product), [`optim`] and [`augment`]. The TypeScript
//! loader mirrors each domain in packages/contrastive/src/runtime/abi/<domain>.ts, and a test
//! compares that table with the exports of the four built modules.
//!
//! The contract with the loader:
//! * every buffer is allocated with `ct_alloc` (16-byte aligned) in this module's memory;
//! * lengths are element counts (f32, or u32 for labels and indices), never bytes, except in
//!   alloc/free;
//! * one pointer convention, [`slice`], [`slice_mut`] and [`opt`]: a null pointer is an absent
//!   buffer, a non-null one holds exactly `len` elements (`len` 0: empty, never read). A null
//!   gradient pointer means "loss only": the backward work is skipped;
//! * a loss writes two f64 at `out`: [loss, d loss / d tau];
//! * every length computed from dimensions (a product such as rows x d, or a geometry's
//!   n x c x h x w) goes through [`elems`]: a product that wraps `usize`, or a buffer whose bytes
//!   would pass `isize::MAX`, is [`OUT_OF_MEMORY`] (no such buffer can exist), never a wrap;
//! * return [`OK`], [`OUT_OF_MEMORY`] or [`INVALID_ARGUMENT`]. The TS side validates first, so
//!   INVALID_ARGUMENT only guards against a caller that skipped validation: nothing here traps
//!   on bad input.

use crate::Oom;
use std::alloc::{alloc, dealloc, Layout};

/// The value of a `Result<T, i32>` whose error is a status: returns the status from the export.
macro_rules! or_status {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(status) => return status,
        }
    };
}

pub mod augment;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod runtime;

// the loss exports' shared helpers, for the domain files that add losses (methods, sentence)
pub(crate) use loss::{finish, tau_ok};

pub const OK: i32 = 0;
pub const OUT_OF_MEMORY: i32 = 1;
pub const INVALID_ARGUMENT: i32 = 2;
/// Bumped whenever an export's signature or meaning changes.
pub const ABI_VERSION: u32 = 1;
const ALIGN: usize = 16;

/// Allocates `bytes` (16-byte aligned). Returns 0 when memory cannot grow.
#[no_mangle]
pub extern "C" fn ct_alloc(bytes: usize) -> *mut u8 {
    match Layout::from_size_align(bytes.max(1), ALIGN) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc(layout) },
        Err(_) => core::ptr::null_mut(),
    }
}

/// Frees a block from `ct_alloc` with the same `bytes`. Null is ignored.
///
/// # Safety
/// `ptr` must come from `ct_alloc(bytes)` and not have been freed.
#[no_mangle]
pub unsafe extern "C" fn ct_free(ptr: *mut u8, bytes: usize) {
    if !ptr.is_null() {
        dealloc(ptr, Layout::from_size_align_unchecked(bytes.max(1), ALIGN));
    }
}

/// The element count of a buffer of dimensions `dims` (their product): `None` when the
/// product wraps `usize` or the buffer's bytes (4 per element: f32 and u32) would pass
/// `isize::MAX`, the most one slice may span. The exports return [`OUT_OF_MEMORY`] then.
pub(crate) fn elems(dims: &[usize]) -> Option<usize> {
    dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).filter(|&n| n <= isize::MAX as usize / 4)
}

/// An input buffer: the `len` elements at `p`, empty when `p` is null or `len` is 0. For
/// inputs the export has already checked (or that may be absent and are then empty).
///
/// # Safety
/// A non-null `p` must point at `len` initialized, aligned elements that outlive `'a`.
pub(crate) unsafe fn slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 || p.is_null() {
        &[]
    } else {
        core::slice::from_raw_parts(p, len)
    }
}

/// An output (or in-place) buffer: `None` when `p` is null (absent), else its `len` elements
/// (`len` 0: an empty slice).
///
/// # Safety
/// As [`slice`], and no other reference may alias the elements while the slice lives.
pub(crate) unsafe fn slice_mut<'a, T>(p: *mut T, len: usize) -> Option<&'a mut [T]> {
    if p.is_null() {
        None
    } else if len == 0 {
        Some(&mut [])
    } else {
        Some(core::slice::from_raw_parts_mut(p, len))
    }
}

/// An optional input buffer: `None` when `p` is null (absent), else as [`slice`].
///
/// # Safety
/// As [`slice`].
pub(crate) unsafe fn opt<'a, T>(p: *const T, len: usize) -> Option<&'a [T]> {
    if p.is_null() {
        None
    } else {
        Some(slice(p, len))
    }
}

/// The status of a kernel that can only run out of scratch memory.
pub(crate) fn status(r: Result<(), Oom>) -> i32 {
    match r {
        Ok(()) => OK,
        Err(Oom) => OUT_OF_MEMORY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_is_16_byte_aligned_and_free_accepts_null() {
        let p = ct_alloc(100);
        assert!(!p.is_null() && p as usize % 16 == 0);
        unsafe {
            ct_free(p, 100);
            ct_free(core::ptr::null_mut(), 8);
        }
    }

    #[test]
    fn null_is_absent_and_a_zero_length_buffer_is_empty() {
        let mut v = [1.0f32, 2.0];
        unsafe {
            assert!(slice::<f32>(core::ptr::null(), 5).is_empty());
            assert_eq!(slice(v.as_ptr(), 2), &[1.0, 2.0]);
            assert!(slice_mut::<f32>(core::ptr::null_mut(), 2).is_none());
            assert_eq!(slice_mut(v.as_mut_ptr(), 0).map(|s| s.len()), Some(0));
            assert!(opt::<f32>(core::ptr::null(), 2).is_none());
            assert_eq!(opt(v.as_ptr(), 0).map(|s| s.len()), Some(0));
        }
    }
}
pub mod resnet;
pub mod methods;
pub mod sentence;
pub mod text;
#[cfg(test)]
mod sizes;
