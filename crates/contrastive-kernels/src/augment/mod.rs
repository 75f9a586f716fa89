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
