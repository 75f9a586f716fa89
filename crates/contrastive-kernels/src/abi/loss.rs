//! Loss exports (src/loss): contrastive losses, the cosine-similarity matrix and the probes'
//! softmax cross-entropy. Each writes [loss, d loss / d tau] as two f64 at `out`.

use super::{elems, slice, slice_mut, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::loss::{cosine::cosine, infonce, ntxent::ntxent, supcon::supcon, LossOut};
use crate::simd::Best;
use crate::Oom;

pub(crate) fn tau_ok(tau: f32) -> bool {
    tau.is_finite() && tau > 0.0
}

pub(crate) unsafe fn finish(r: Result<LossOut, Oom>, out: *mut f64) -> i32 {
    match r {
        Ok(o) => {
            if !out.is_null() {
                *out = o.loss;
                *out.add(1) = o.dtau;
            }
            OK
        }
        Err(Oom) => OUT_OF_MEMORY,
    }
}

/// NT-Xent on z = [a; b] (rows = 2N, row-major rows x d). `gz` null = loss only.
///
/// # Safety
/// Pointers must reference buffers of the stated sizes inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_ntxent(z: *const f32, rows: usize, d: usize, tau: f32, gz: *mut f32, out: *mut f64) -> i32 {
    if rows == 0 || !rows.is_multiple_of(2) || d == 0 || !tau_ok(tau) {
        return INVALID_ARGUMENT;
    }
    let Some(n) = elems(&[rows, d]) else { return OUT_OF_MEMORY };
    finish(ntxent::<Best>(slice(z, n), rows, d, tau, slice_mut(gz, n)), out)
}

/// InfoNCE query -> key with in-batch negatives; `symmetric` != 0 gives the CLIP loss.
/// `gq` and `gk` are both null (loss only) or both set.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_infonce(
    q: *const f32,
    k: *const f32,
    n: usize,
    d: usize,
    tau: f32,
    symmetric: u32,
    gq: *mut f32,
    gk: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || d == 0 || !tau_ok(tau) || gq.is_null() != gk.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some(len) = elems(&[n, d]) else { return OUT_OF_MEMORY };
    let grads = match (slice_mut(gq, len), slice_mut(gk, len)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    finish(infonce::infonce::<Best>(slice(q, len), slice(k, len), n, d, tau, symmetric != 0, grads), out)
}

/// InfoNCE with an explicit shared set of m negatives (m may be 0).
/// `gq`, `gp`, `gneg` are all null (loss only) or all set.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_infonce_negatives(
    q: *const f32,
    p: *const f32,
    n: usize,
    neg: *const f32,
    m: usize,
    d: usize,
    tau: f32,
    gq: *mut f32,
    gp: *mut f32,
    gneg: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || d == 0 || !tau_ok(tau) || gq.is_null() != gp.is_null() || gq.is_null() != gneg.is_null() {
        return INVALID_ARGUMENT;
    }
    let (Some(len), Some(mlen)) = (elems(&[n, d]), elems(&[m, d])) else { return OUT_OF_MEMORY };
    let grads = match (slice_mut(gq, len), slice_mut(gp, len), slice_mut(gneg, mlen)) {
        (Some(a), Some(b), Some(c)) => Some((a, b, c)),
        _ => None,
    };
    finish(infonce::infonce_negatives::<Best>(slice(q, len), slice(p, len), n, slice(neg, mlen), m, d, tau, grads), out)
}

/// Supervised contrastive loss; `labels` are dense ids, each < rows.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_supcon(
    z: *const f32,
    labels: *const u32,
    rows: usize,
    d: usize,
    tau: f32,
    gz: *mut f32,
    out: *mut f64,
) -> i32 {
    if rows == 0 || d == 0 || !tau_ok(tau) {
        return INVALID_ARGUMENT;
    }
    let Some(n) = elems(&[rows, d]) else { return OUT_OF_MEMORY };
    let labels = slice(labels, rows);
    if labels.iter().any(|&l| l as usize >= rows) {
        return INVALID_ARGUMENT;
    }
    finish(supcon::<Best>(slice(z, n), labels, rows, d, tau, slice_mut(gz, n)), out)
}

/// Cosine-similarity matrix (ra x rb) of the rows of a and b; b null = a against itself.
///
/// # Safety
/// As [`ct_ntxent`]; `out` holds ra * rb floats.
#[no_mangle]
pub unsafe extern "C" fn ct_cosine(a: *const f32, ra: usize, b: *const f32, rb: usize, d: usize, out: *mut f32) -> i32 {
    if ra == 0 || d == 0 || out.is_null() || (!b.is_null() && rb == 0) {
        return INVALID_ARGUMENT;
    }
    let cols = if b.is_null() { ra } else { rb };
    let (Some(la), Some(lb), Some(lo)) = (elems(&[ra, d]), elems(&[cols, d]), elems(&[ra, cols])) else {
        return OUT_OF_MEMORY;
    };
    let other = if b.is_null() { None } else { Some((slice(b, lb), rb)) };
    let out = core::slice::from_raw_parts_mut(out, lo);
    match cosine::<Best>(slice(a, la), ra, other, d, out) {
        Ok(()) => OK,
        Err(Oom) => OUT_OF_MEMORY,
    }
}

/// Softmax cross-entropy over n x c logits with labels < c; `grad` null = loss only.
/// Writes the mean loss to out[0] (and 0 to out[1]).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_softmax_xent(
    logits: *const f32,
    n: usize,
    c: usize,
    labels: *const u32,
    grad: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || c == 0 {
        return INVALID_ARGUMENT;
    }
    let Some(len) = elems(&[n, c]) else { return OUT_OF_MEMORY };
    let labels = slice(labels, n);
    if labels.iter().any(|&l| l as usize >= c) {
        return INVALID_ARGUMENT;
    }
    let loss = crate::loss::softmax::softmax_xent(slice(logits, len), n, c, labels, slice_mut(grad, len));
    finish(Ok(LossOut { loss, dtau: 0.0 }), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_arguments_return_a_status_instead_of_trapping() {
        let z = [1.0f32; 6];
        let mut out = [0.0f64; 2];
        unsafe {
            assert_eq!(ct_ntxent(z.as_ptr(), 3, 2, 0.1, core::ptr::null_mut(), out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_ntxent(z.as_ptr(), 2, 3, 0.0, core::ptr::null_mut(), out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(
                ct_ntxent(z.as_ptr(), 2, 3, f32::NAN, core::ptr::null_mut(), out.as_mut_ptr()),
                INVALID_ARGUMENT
            );
            let labels = [0u32, 5];
            assert_eq!(
                ct_supcon(z.as_ptr(), labels.as_ptr(), 2, 3, 0.1, core::ptr::null_mut(), out.as_mut_ptr()),
                INVALID_ARGUMENT
            );
            assert_eq!(ct_ntxent(z.as_ptr(), 2, 3, 0.5, core::ptr::null_mut(), out.as_mut_ptr()), OK);
        }
    }
}
