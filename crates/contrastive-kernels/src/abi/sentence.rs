//! The sentence-embedding losses' `extern "C"` surface (loss/mnrl.rs, loss/cosent.rs,
//! loss/pair_margin.rs, each optionally wrapped in loss/matryoshka.rs) and exact top-k search
//! (eval/search.rs). Conventions as in the parent module: element counts, null gradients = loss
//! only, `out` = [loss, d loss / d tau], status codes.
//!
//! Every loss takes `dims`/`weights`/`ndims`: the Matryoshka prefixes (u32, each 1..=d) and
//! their weights; ndims = 0 means the loss on the full embedding.

use super::{elems, finish, slice, slice_mut, tau_ok, INVALID_ARGUMENT, OUT_OF_MEMORY};
use crate::eval::search;
use crate::loss::cosent::cosent;
use crate::loss::matryoshka::matryoshka;
use crate::loss::mnrl::mnrl;
use crate::loss::normalize;
use crate::loss::pair_margin::pair_margin;
use crate::loss::LossOut;
use crate::simd::Best;
use crate::Oom;

unsafe fn prefixes<'a>(dims: *const u32, weights: *const f32, ndims: usize, d: usize) -> Option<(&'a [u32], &'a [f32])> {
    if (ndims > 0 && (dims.is_null() || weights.is_null())) || elems(&[ndims]).is_none() {
        return None;
    }
    let (dm, w) = (slice(dims, ndims), slice(weights, ndims));
    if dm.iter().any(|&v| v == 0 || v as usize > d) || w.iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some((dm, w))
}

/// The arguments the pair losses share: n finite labels, the Matryoshka prefixes, and n * d
/// (the length of each input) without wrap. Err: INVALID_ARGUMENT, or OUT_OF_MEMORY when n * d
/// cannot be a buffer.
#[allow(clippy::type_complexity)]
unsafe fn pair_args<'a>(
    labels: *const f32,
    n: usize,
    d: usize,
    dims: *const u32,
    weights: *const f32,
    ndims: usize,
) -> Result<(&'a [f32], (&'a [u32], &'a [f32]), usize), i32> {
    let len = elems(&[n, d]).ok_or(OUT_OF_MEMORY)?;
    if labels.is_null() {
        return Err(INVALID_ARGUMENT);
    }
    let y = slice(labels, n);
    if y.iter().any(|v| !v.is_finite()) {
        return Err(INVALID_ARGUMENT);
    }
    Ok((y, prefixes(dims, weights, ndims, d).ok_or(INVALID_ARGUMENT)?, len))
}

/// Two same-shaped inputs (a, b), both gradients or none: the pair losses' shared driver.
#[allow(clippy::too_many_arguments)]
unsafe fn pair_call<F>(
    a: *const f32,
    b: *const f32,
    len_a: usize,
    len_b: usize,
    d: usize,
    pre: (&[u32], &[f32]),
    ga: *mut f32,
    gb: *mut f32,
    mut f: F,
) -> Result<LossOut, Oom>
where
    F: FnMut(&[f32], &[f32], usize, Option<(&mut [f32], &mut [f32])>) -> Result<LossOut, Oom>,
{
    let (x, y) = (slice(a, len_a), slice(b, len_b));
    let grads = match (slice_mut(ga, len_a), slice_mut(gb, len_b)) {
        (Some(p), Some(q)) => Some([p, q]),
        _ => None,
    };
    let mut grads = grads;
    matryoshka(&[x, y], d, pre.0, pre.1, grads.as_mut().map(|g| &mut g[..]), |v, dm, g| match g {
        None => f(v[0], v[1], dm, None),
        Some(g) => {
            let (g0, g1) = g.split_at_mut(1);
            f(v[0], v[1], dm, Some((&mut *g0[0], &mut *g1[0])))
        }
    })
}

/// The body of the labeled pair losses (CoSENT, ContrastiveLoss) on a (n x d) and b (n x d):
/// INVALID_ARGUMENT for a zero size, a bad loss parameter (`param_ok` false) or one gradient
/// without the other, then [`pair_args`] on the labels and the Matryoshka prefixes
/// `(dims, weights, ndims)`; `f` gets (a, b, labels, prefix width, gradients) per prefix.
#[allow(clippy::too_many_arguments)]
unsafe fn pair_loss<F>(
    a: *const f32,
    b: *const f32,
    labels: *const f32,
    n: usize,
    d: usize,
    param_ok: bool,
    (dims, weights, ndims): (*const u32, *const f32, usize),
    ga: *mut f32,
    gb: *mut f32,
    out: *mut f64,
    mut f: F,
) -> i32
where
    F: FnMut(&[f32], &[f32], &[f32], usize, Option<(&mut [f32], &mut [f32])>) -> Result<LossOut, Oom>,
{
    if n == 0 || d == 0 || !param_ok || ga.is_null() != gb.is_null() {
        return INVALID_ARGUMENT;
    }
    let (y, pre, len) = or_status!(pair_args(labels, n, d, dims, weights, ndims));
    let r = pair_call(a, b, len, len, d, pre, ga, gb, |x, z, dm, g| f(x, z, y, dm, g));
    finish(r, out)
}

/// MultipleNegativesRankingLoss: anchors (n x d), docs ((1 + h) n x d: positives, then each
/// hard-negative column); `symmetric` != 0 adds the positives -> anchors term.
/// `ga` and `gdocs` are both null (loss only) or both set.
///
/// # Safety
/// Pointers must reference buffers of the stated sizes inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_mnrl(
    a: *const f32,
    docs: *const f32,
    n: usize,
    h: usize,
    d: usize,
    tau: f32,
    symmetric: u32,
    dims: *const u32,
    weights: *const f32,
    ndims: usize,
    ga: *mut f32,
    gdocs: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || d == 0 || !tau_ok(tau) || ga.is_null() != gdocs.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some(pre) = prefixes(dims, weights, ndims, d) else {
        return INVALID_ARGUMENT;
    };
    let (Some(la), Some(ld)) = (elems(&[n, d]), h.checked_add(1).and_then(|c| elems(&[c, n, d]))) else {
        return OUT_OF_MEMORY;
    };
    let r = pair_call(a, docs, la, ld, d, pre, ga, gdocs, |x, y, dm, g| mnrl::<Best>(x, y, n, h, dm, tau, symmetric != 0, g));
    finish(r, out)
}

/// CoSENT on pairs (a_i, b_i) with scores `labels` (n finite floats).
///
/// # Safety
/// As [`ct_mnrl`].
#[no_mangle]
pub unsafe extern "C" fn ct_cosent(
    a: *const f32,
    b: *const f32,
    labels: *const f32,
    n: usize,
    d: usize,
    tau: f32,
    dims: *const u32,
    weights: *const f32,
    ndims: usize,
    ga: *mut f32,
    gb: *mut f32,
    out: *mut f64,
) -> i32 {
    let (pre, ok) = ((dims, weights, ndims), tau_ok(tau));
    pair_loss(a, b, labels, n, d, ok, pre, ga, gb, out, |x, z, y, dm, g| cosent::<Best>(x, z, y, n, dm, tau, g))
}

/// ContrastiveLoss (cosine distance, margin) on pairs with labels (1 similar, 0 dissimilar).
///
/// # Safety
/// As [`ct_mnrl`].
#[no_mangle]
pub unsafe extern "C" fn ct_pair_margin(
    a: *const f32,
    b: *const f32,
    labels: *const f32,
    n: usize,
    d: usize,
    margin: f32,
    dims: *const u32,
    weights: *const f32,
    ndims: usize,
    ga: *mut f32,
    gb: *mut f32,
    out: *mut f64,
) -> i32 {
    let (pre, ok) = ((dims, weights, ndims), margin.is_finite());
    pair_loss(a, b, labels, n, d, ok, pre, ga, gb, out, |x, z, y, dm, g| pair_margin::<Best>(x, z, y, n, dm, margin, g))
}

/// Exact top-k, one corpus chunk: `q` (nq x d), `chunk` (cn x d, corpus rows seen..seen + cn),
/// `hs`/`hi` the per-query heaps (nq x k scores and u32 corpus indices). `cosine` != 0 scores
/// with unit rows: the chunk is normalized here, the queries once beforehand by
/// [`ct_topk_unit_rows`]; else dot products. Inputs must be finite (the TS side checks).
///
/// # Safety
/// As [`ct_mnrl`].
#[no_mangle]
pub unsafe extern "C" fn ct_topk_update(
    q: *const f32,
    nq: usize,
    chunk: *const f32,
    cn: usize,
    d: usize,
    k: usize,
    seen: usize,
    cosine: u32,
    hs: *mut f32,
    hi: *mut u32,
) -> i32 {
    let (Some(lq), Some(lc), Some(lh)) = (elems(&[nq, d]), elems(&[cn, d]), elems(&[nq, k])) else {
        return OUT_OF_MEMORY;
    };
    if d == 0 || seen.checked_add(cn).is_none_or(|t| t > u32::MAX as usize) {
        return INVALID_ARGUMENT;
    }
    let (hs, hi) = match (slice_mut(hs, lh), slice_mut(hi, lh)) {
        (Some(a), Some(b)) => (a, b),
        _ => return INVALID_ARGUMENT,
    };
    super::status(search::update::<Best>(slice(q, lq), nq, slice(chunk, lc), cn, d, k, seen, cosine != 0, hs, hi))
}

/// Normalizes the rows of `x` (rows x d) in place, as F.normalize: the queries of a cosine search.
///
/// # Safety
/// As [`ct_mnrl`].
#[no_mangle]
pub unsafe extern "C" fn ct_topk_unit_rows(x: *mut f32, rows: usize, d: usize) -> i32 {
    match (elems(&[rows, d]), d) {
        (_, 0) => INVALID_ARGUMENT,
        (None, _) => OUT_OF_MEMORY,
        (Some(n), _) => match slice_mut(x, n) {
            Some(v) => {
                normalize::unit_rows::<Best>(v, rows, d);
                super::OK
            }
            None => INVALID_ARGUMENT,
        },
    }
}

/// Sorts the heaps of [`ct_topk_update`] best first; `filled` = min(k, corpus rows seen).
///
/// # Safety
/// As [`ct_mnrl`].
#[no_mangle]
pub unsafe extern "C" fn ct_topk_finish(nq: usize, k: usize, filled: usize, hs: *mut f32, hi: *mut u32) -> i32 {
    let Some(lh) = elems(&[nq, k]) else { return OUT_OF_MEMORY };
    if filled > k {
        return INVALID_ARGUMENT;
    }
    match (slice_mut(hs, lh), slice_mut(hi, lh)) {
        (Some(a), Some(b)) => {
            search::finish(nq, k, filled, a, b);
            super::OK
        }
        _ => INVALID_ARGUMENT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr::{null, null_mut};

    #[test]
    fn sentence_losses_reject_bad_arguments_instead_of_trapping() {
        let x = [1.0f32; 8];
        let y = [0.5f32; 2];
        let mut out = [0.0f64; 2];
        let o = out.as_mut_ptr();
        unsafe {
            // n = 0, d = 0, bad tau, half the gradients, a Matryoshka dim above d or zero
            assert_eq!(ct_mnrl(x.as_ptr(), x.as_ptr(), 0, 0, 4, 0.05, 0, null(), null(), 0, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            assert_eq!(ct_mnrl(x.as_ptr(), x.as_ptr(), 2, 0, 0, 0.05, 0, null(), null(), 0, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            assert_eq!(ct_mnrl(x.as_ptr(), x.as_ptr(), 2, 0, 4, f32::NAN, 0, null(), null(), 0, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            let mut g = [0.0f32; 8];
            assert_eq!(ct_mnrl(x.as_ptr(), x.as_ptr(), 2, 0, 4, 0.05, 0, null(), null(), 0, g.as_mut_ptr(), null_mut(), o), INVALID_ARGUMENT);
            let (dims, w) = ([5u32], [1.0f32]);
            assert_eq!(ct_mnrl(x.as_ptr(), x.as_ptr(), 2, 0, 4, 0.05, 0, dims.as_ptr(), w.as_ptr(), 1, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            let dims = [0u32];
            assert_eq!(ct_cosent(x.as_ptr(), x.as_ptr(), y.as_ptr(), 2, 4, 0.05, dims.as_ptr(), w.as_ptr(), 1, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            // h so large that (1 + h) n d wraps
            assert_eq!(ct_mnrl(x.as_ptr(), x.as_ptr(), 2, usize::MAX, 4, 0.05, 0, null(), null(), 0, null_mut(), null_mut(), o), OUT_OF_MEMORY);
            let bad = [f32::NAN, 0.0];
            assert_eq!(ct_cosent(x.as_ptr(), x.as_ptr(), bad.as_ptr(), 2, 4, 0.05, null(), null(), 0, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            assert_eq!(ct_pair_margin(x.as_ptr(), x.as_ptr(), null(), 2, 4, 0.5, null(), null(), 0, null_mut(), null_mut(), o), INVALID_ARGUMENT);
            // and a good call works
            let dims = [4u32, 2];
            let w = [1.0f32, 1.0];
            assert_eq!(ct_pair_margin(x.as_ptr(), x.as_ptr(), y.as_ptr(), 2, 4, 0.5, dims.as_ptr(), w.as_ptr(), 2, null_mut(), null_mut(), o), 0);
            // top-k: null heaps, d = 0, wrapping sizes, filled > k
            assert_eq!(ct_topk_update(x.as_ptr(), 2, x.as_ptr(), 2, 4, 1, 0, 1, null_mut(), null_mut()), INVALID_ARGUMENT);
            let (mut hs, mut hi) = ([0.0f32; 2], [0u32; 2]);
            assert_eq!(ct_topk_update(x.as_ptr(), 2, x.as_ptr(), 2, 0, 1, 0, 1, hs.as_mut_ptr(), hi.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_topk_update(x.as_ptr(), usize::MAX, x.as_ptr(), 2, 4, 2, 0, 1, hs.as_mut_ptr(), hi.as_mut_ptr()), OUT_OF_MEMORY);
            assert_eq!(ct_topk_finish(2, 1, 2, hs.as_mut_ptr(), hi.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_topk_update(x.as_ptr(), 2, x.as_ptr(), 2, 4, 1, 0, 1, hs.as_mut_ptr(), hi.as_mut_ptr()), 0);
            assert_eq!(ct_topk_finish(2, 1, 1, hs.as_mut_ptr(), hi.as_mut_ptr()), 0);
            assert_eq!(ct_topk_unit_rows(null_mut(), 2, 4), INVALID_ARGUMENT);
            assert_eq!(ct_topk_unit_rows(hs.as_mut_ptr(), usize::MAX, 2), OUT_OF_MEMORY);
            assert_eq!(ct_topk_unit_rows(hs.as_mut_ptr(), 1, 0), INVALID_ARGUMENT);
            assert_eq!(ct_topk_unit_rows(hs.as_mut_ptr(), 1, 2), 0);
        }
    }
}
