//! Image augmentations: the per-pixel work of `packages/contrastive/src/augment/`.
//!
//! Every image batch here is float32 NCHW (`n` images of `c` planes of `h x w`), values in
//! [0, 1]. Random parameters are drawn in TypeScript (one counter-based generator per image and
//! view, see `philox`) and arrive as per-image arrays, so one call transforms a whole batch.
//! Formulas follow torchvision 0.14's tensor path (`../shared/reference/augment/README.md`),
//! cited per file.
//!
//! Determinism: no kernel here uses `Isa::madd` (fused or not, depending on the CPU, in the
//! relaxed build) or any engine-provided math, so a batch gives the same bits in every
//! WebAssembly engine and in both builds (simd128, relaxed).

pub mod blur;
pub mod color;
pub mod convert;
pub mod geometry;
pub mod lanes;
pub mod philox;
pub mod point;
pub mod resize;

use crate::Oom;

/// A zeroed u32 Vec that reports allocation failure (see [`crate::try_vec`]).
pub fn try_vec_u32(len: usize) -> Result<Vec<u32>, Oom> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Oom)?;
    v.resize(len, 0);
    Ok(v)
}

/// Clamps every lane to [0, 1] with the `Isa` operations only: min(x, 1) = -max(-x, -1).
#[inline(always)]
pub(crate) fn clamp01<I: crate::simd::Isa>(v: I::V) -> I::V {
    let z = I::splat(0.0);
    let m1 = I::splat(-1.0);
    I::sub(z, I::max(I::sub(z, I::max(v, z)), m1))
}

/// Batches smaller than this many output floats stay on the calling thread (a split costs
/// ~15-30 µs; a bilinear warp of 32 MNIST digits is already ~100 µs).
const PAR_MIN_FLOATS: usize = 1 << 14;

/// Runs `f(state, i, out_i)` for each image i in 0..n, out_i = out[i * len..(i + 1) * len], spread
/// over the thread pool (threads build) when the batch is big enough; `state` comes from `init`,
/// once per run of consecutive images (per call when serial), for a kernel's scratch. Images are
/// independent and each is computed by the same code on any thread, so results are bit-identical
/// for any thread count.
pub(crate) fn per_image<S>(
    n: usize,
    len: usize,
    out: &mut [f32],
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &mut [f32]) + Sync,
) {
    assert!(out.len() >= n * len);
    let threads = crate::par::threads();
    if threads == 1 || n < 2 * threads || n * len < PAR_MIN_FLOATS {
        let mut st = init();
        for i in 0..n {
            f(&mut st, i, &mut out[i * len..(i + 1) * len]);
        }
        return;
    }
    let parts = (4 * threads).min(n);
    let base = out.as_mut_ptr() as usize;
    crate::par::for_each(parts, &|p, _| {
        let mut st = init();
        for i in p * n / parts..(p + 1) * n / parts {
            // SAFETY: parts cover disjoint ranges of images, all inside `out` (asserted above).
            let o = unsafe { core::slice::from_raw_parts_mut((base as *mut f32).add(i * len), len) };
            f(&mut st, i, o);
        }
    });
}

/// As [`per_image`], for kernels that interleave consecutive images (loops bound by an add's
/// latency, run side by side on up to `g` images): `f(i0, imgs)` gets images i0..i0 + k,
/// imgs = out[i0 * len..(i0 + k) * len], k <= g. A kernel must compute each image the same way
/// whatever its group, so results stay bit-identical for any grouping and thread count.
pub(crate) fn per_group(n: usize, len: usize, g: usize, out: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync) {
    assert!(out.len() >= n * len && g > 0);
    let groups = n.div_ceil(g);
    let threads = crate::par::threads();
    if threads == 1 || groups < 2 * threads || n * len < PAR_MIN_FLOATS {
        for gi in 0..groups {
            let (i0, i1) = (gi * g, (gi * g + g).min(n));
            f(i0, &mut out[i0 * len..i1 * len]);
        }
        return;
    }
    let parts = (4 * threads).min(groups);
    let base = out.as_mut_ptr() as usize;
    crate::par::for_each(parts, &|p, _| {
        for gi in p * groups / parts..(p + 1) * groups / parts {
            let (i0, i1) = (gi * g, (gi * g + g).min(n));
            // SAFETY: groups cover disjoint ranges of images, all inside `out` (asserted above).
            let o = unsafe { core::slice::from_raw_parts_mut((base as *mut f32).add(i0 * len), (i1 - i0) * len) };
            f(i0, o);
        }
    });
}
