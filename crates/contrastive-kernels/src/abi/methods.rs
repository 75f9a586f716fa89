//! The extern "C" surface of the self-supervised and metric-learning losses beyond InfoNCE
//! (loss/{triplet,multisim,dcl,negcos,barlow,vicreg}.rs) and of the momentum (EMA) update
//! (optim/ema.rs). Same contract as the parent module: lengths are element counts, a null
//! gradient pointer means "loss only", `out` points at [loss, d loss / d tau], status codes.

use super::{elems, finish, slice, slice_mut, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::loss::multisim::{multisim, MultiSimOpts};
use crate::loss::pairdist::Metric;
use crate::loss::triplet::{triplet, Mining, TripletOpts};
use crate::loss::vicreg::{vicreg, VicRegOpts};
use crate::loss::{barlow::barlow, dcl::dcl, negcos::negcos};
use crate::optim::ema::ema;
use crate::simd::Best;

/// rows x d, both at least `min_rows` and 1: INVALID_ARGUMENT below, OUT_OF_MEMORY when the
/// buffer cannot exist; `square` also checks the d x d matrix (Barlow Twins, VICReg).
fn size(rows: usize, d: usize, min_rows: usize, square: bool) -> Result<usize, i32> {
    if rows < min_rows.max(1) || d == 0 {
        return Err(INVALID_ARGUMENT);
    }
    if square && elems(&[d, d]).is_none() {
        return Err(OUT_OF_MEMORY);
    }
    elems(&[rows, d]).ok_or(OUT_OF_MEMORY)
}

fn finite(v: &[f32]) -> bool {
    v.iter().all(|x| x.is_finite())
}

type GradPair<'a> = Option<(&'a mut [f32], &'a mut [f32])>;

/// Both gradient pointers null (loss only) or both set.
unsafe fn pair<'a>(ga: *mut f32, gb: *mut f32, len: usize) -> Result<GradPair<'a>, ()> {
    match (slice_mut(ga, len), slice_mut(gb, len)) {
        (Some(a), Some(b)) => Ok(Some((a, b))),
        (None, None) => Ok(None),
        _ => Err(()),
    }
}

/// Triplet margin loss with mining (loss/triplet.rs). metric: 0 = Euclidean, 1 = cosine
/// distance; mining: 0 all, 1 hard, 2 semi-hard, 3 easy (PML's TripletMarginMiner with
/// `miner_margin`), 4 batch-hard, 5 batch-semi-hard; reduction: 0 = mean over non-zero
/// triplets, 1 = mean over mined triplets. `labels` are compared for equality only.
///
/// # Safety
/// Pointers must reference buffers of the stated sizes inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_triplet(
    z: *const f32,
    labels: *const u32,
    rows: usize,
    d: usize,
    margin: f32,
    metric: u32,
    normalize: u32,
    mining: u32,
    miner_margin: f32,
    reduction: u32,
    gz: *mut f32,
    out: *mut f64,
) -> i32 {
    let n = or_status!(size(rows, d, 1, false));
    let Some(mining) = Mining::from_code(mining) else { return INVALID_ARGUMENT };
    let metric = match metric {
        0 => Metric::Euclidean,
        1 => Metric::Cosine,
        _ => return INVALID_ARGUMENT,
    };
    if !margin.is_finite() || !miner_margin.is_finite() || reduction > 1 {
        return INVALID_ARGUMENT;
    }
    let o = TripletOpts {
        margin: margin as f64,
        metric,
        normalize: normalize != 0,
        mining,
        miner_margin: miner_margin as f64,
        mean_all: reduction == 1,
    };
    finish(triplet(slice(z, n), slice(labels, rows), rows, d, &o, slice_mut(gz, n)), out)
}

/// Multi-similarity loss (loss/multisim.rs); `mine` != 0 applies the miner with `epsilon`.
///
/// # Safety
/// As [`ct_triplet`].
#[no_mangle]
pub unsafe extern "C" fn ct_multisim(
    z: *const f32,
    labels: *const u32,
    rows: usize,
    d: usize,
    alpha: f32,
    beta: f32,
    base: f32,
    mine: u32,
    epsilon: f32,
    gz: *mut f32,
    out: *mut f64,
) -> i32 {
    let n = or_status!(size(rows, d, 1, false));
    if !finite(&[alpha, beta, base, epsilon]) || alpha <= 0.0 || beta <= 0.0 {
        return INVALID_ARGUMENT;
    }
    let o = MultiSimOpts {
        alpha: alpha as f64,
        beta: beta as f64,
        base: base as f64,
        epsilon: if mine != 0 { Some(epsilon as f64) } else { None },
    };
    finish(multisim(slice(z, n), slice(labels, rows), rows, d, &o, slice_mut(gz, n)), out)
}

/// DCL (`sigma` = 0) or DCLW (`sigma` > 0, the von Mises-Fisher weighting) on two views of n >= 2 rows.
///
/// # Safety
/// As [`ct_triplet`].
#[no_mangle]
pub unsafe extern "C" fn ct_dcl(a: *const f32, b: *const f32, n: usize, d: usize, tau: f32, sigma: f32, ga: *mut f32, gb: *mut f32, out: *mut f64) -> i32 {
    let len = or_status!(size(n, d, 2, false));
    if !(tau.is_finite() && tau > 0.0 && sigma.is_finite() && sigma >= 0.0) {
        return INVALID_ARGUMENT;
    }
    let grads = match pair(ga, gb, len) {
        Ok(g) => g,
        Err(()) => return INVALID_ARGUMENT,
    };
    let sigma = if sigma > 0.0 { Some(sigma) } else { None };
    finish(dcl(slice(a, len), slice(b, len), n, d, tau, sigma, grads), out)
}

/// Negative cosine similarity of paired rows (SimSiam / BYOL).
///
/// # Safety
/// As [`ct_triplet`].
#[no_mangle]
pub unsafe extern "C" fn ct_negcos(a: *const f32, b: *const f32, n: usize, d: usize, ga: *mut f32, gb: *mut f32, out: *mut f64) -> i32 {
    let len = or_status!(size(n, d, 1, false));
    let grads = match pair(ga, gb, len) {
        Ok(g) => g,
        Err(()) => return INVALID_ARGUMENT,
    };
    finish(negcos(slice(a, len), slice(b, len), n, d, grads), out)
}

/// Barlow Twins on two views of n >= 2 rows.
///
/// # Safety
/// As [`ct_triplet`].
#[no_mangle]
pub unsafe extern "C" fn ct_barlow(a: *const f32, b: *const f32, n: usize, d: usize, lambda: f32, ga: *mut f32, gb: *mut f32, out: *mut f64) -> i32 {
    let len = or_status!(size(n, d, 2, true));
    if !(lambda.is_finite() && lambda >= 0.0) {
        return INVALID_ARGUMENT;
    }
    let grads = match pair(ga, gb, len) {
        Ok(g) => g,
        Err(()) => return INVALID_ARGUMENT,
    };
    finish(barlow::<Best>(slice(a, len), slice(b, len), n, d, lambda, grads), out)
}

/// VICReg on two views of n >= 2 rows with weights lambda (invariance), mu (variance), nu (covariance).
///
/// # Safety
/// As [`ct_triplet`].
#[no_mangle]
pub unsafe extern "C" fn ct_vicreg(
    a: *const f32,
    b: *const f32,
    n: usize,
    d: usize,
    lambda: f32,
    mu: f32,
    nu: f32,
    eps: f32,
    ga: *mut f32,
    gb: *mut f32,
    out: *mut f64,
) -> i32 {
    let len = or_status!(size(n, d, 2, true));
    if !finite(&[lambda, mu, nu, eps]) || eps < 0.0 {
        return INVALID_ARGUMENT;
    }
    let grads = match pair(ga, gb, len) {
        Ok(g) => g,
        Err(()) => return INVALID_ARGUMENT,
    };
    let o = VicRegOpts { lambda: lambda as f64, mu: mu as f64, nu: nu as f64, eps: eps as f64 };
    finish(vicreg::<Best>(slice(a, len), slice(b, len), n, d, &o, grads), out)
}

/// target <- m target + (1 - m) online over `len` floats, m in [0, 1] (f64, as JavaScript's).
///
/// # Safety
/// Both pointers reference `len` floats inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_ema(target: *mut f32, online: *const f32, len: usize, m: f64) -> i32 {
    if !(0.0..=1.0).contains(&m) || (len > 0 && (target.is_null() || online.is_null())) {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    if let Some(t) = slice_mut(target, len) {
        ema(t, slice(online, len), m);
    }
    OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_arguments_get_a_status_instead_of_a_trap() {
        let z = [1.0f32, 2.0, 3.0, 4.0];
        let l = [0u32, 1];
        let mut out = [0.0f64; 2];
        unsafe {
            let null = core::ptr::null_mut();
            assert_eq!(ct_triplet(z.as_ptr(), l.as_ptr(), 2, 2, 0.1, 0, 1, 9, 0.2, 0, null, out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_triplet(z.as_ptr(), l.as_ptr(), 0, 2, 0.1, 0, 1, 0, 0.2, 0, null, out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_triplet(z.as_ptr(), l.as_ptr(), usize::MAX, 2, 0.1, 0, 1, 0, 0.2, 0, null, out.as_mut_ptr()), OUT_OF_MEMORY);
            assert_eq!(ct_dcl(z.as_ptr(), z.as_ptr(), 1, 4, 0.1, 0.0, null, null, out.as_mut_ptr()), INVALID_ARGUMENT);
            let mut g = [0.0f32; 4];
            assert_eq!(ct_negcos(z.as_ptr(), z.as_ptr(), 2, 2, g.as_mut_ptr(), null, out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_vicreg(z.as_ptr(), z.as_ptr(), 1, 4, 25.0, 25.0, 1.0, 1e-4, null, null, out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_ema(g.as_mut_ptr(), z.as_ptr(), 4, 1.5), INVALID_ARGUMENT);
            assert_eq!(ct_ema(g.as_mut_ptr(), z.as_ptr(), 4, 0.25), OK);
            assert_eq!(g, [0.75, 1.5, 2.25, 3.0]);
            assert_eq!(ct_negcos(z.as_ptr(), z.as_ptr(), 2, 2, null, null, out.as_mut_ptr()), OK);
            assert!((out[0] + 1.0).abs() < 1e-7);
        }
    }
}
