//! WebAssembly SIMD128: every engine we target has it (Node 16.4+, Chromium, workerd, Deno, Bun).
//!
//! [`V128`] implements [`Isa`] once for both v128 builds; they differ only in how `a * b + c`
//! is computed ([`Madd`]): [`Simd128`] multiplies then adds, `relaxed::Relaxed` may fuse.

use super::{Isa, EXP_HI, EXP_LO, EXP_P, LN2_HI, LN2_LO, LOG2E, ROUND};
use core::arch::wasm32::*;
use core::marker::PhantomData;

/// How a v128 build computes a * b + c, and the name it reports.
pub trait Madd {
    const NAME: &'static str;
    fn madd(a: v128, b: v128, c: v128) -> v128;
}

/// The 4-lane v128 instruction set with the multiply-add of `M`.
pub struct V128<M>(PhantomData<M>);

/// Multiply, then add: two roundings, the same bits on every engine.
pub struct Unfused;

impl Madd for Unfused {
    const NAME: &'static str = "simd128";
    #[inline(always)]
    fn madd(a: v128, b: v128, c: v128) -> v128 {
        f32x4_add(f32x4_mul(a, b), c)
    }
}

pub type Simd128 = V128<Unfused>;

/// e^x on four lanes; the same steps as [`super::exp_f32`], with `madd` supplied by the caller
/// so the relaxed build can fuse the polynomial.
#[inline(always)]
pub fn exp_v128(x: v128, madd: impl Fn(v128, v128, v128) -> v128) -> v128 {
    let x = f32x4_pmin(f32x4_pmax(x, f32x4_splat(EXP_LO)), f32x4_splat(EXP_HI));
    // plain mul then add (never fused), so n is the same in every build and in exp_f32
    let y = f32x4_add(f32x4_mul(x, f32x4_splat(LOG2E)), f32x4_splat(ROUND));
    let n = f32x4_sub(y, f32x4_splat(ROUND));
    let r = f32x4_sub(f32x4_sub(x, f32x4_mul(n, f32x4_splat(LN2_HI))), f32x4_mul(n, f32x4_splat(LN2_LO)));
    let mut p = f32x4_splat(EXP_P[0]);
    p = madd(p, r, f32x4_splat(EXP_P[1]));
    p = madd(p, r, f32x4_splat(EXP_P[2]));
    p = madd(p, r, f32x4_splat(EXP_P[3]));
    p = madd(p, r, f32x4_splat(EXP_P[4]));
    p = madd(p, r, f32x4_splat(EXP_P[5]));
    let e = f32x4_add(madd(p, f32x4_mul(r, r), r), f32x4_splat(1.0));
    let bits = i32x4_shl(i32x4_add(y, i32x4_splat(127)), 23);
    f32x4_mul(e, bits)
}

/// 4x4 transpose in 8 shuffles (interleave pairs of rows, then pairs of pairs).
#[inline(always)]
pub fn transpose4_v128(r: [v128; 4]) -> [v128; 4] {
    let t0 = i32x4_shuffle::<0, 4, 1, 5>(r[0], r[1]);
    let t1 = i32x4_shuffle::<0, 4, 1, 5>(r[2], r[3]);
    let t2 = i32x4_shuffle::<2, 6, 3, 7>(r[0], r[1]);
    let t3 = i32x4_shuffle::<2, 6, 3, 7>(r[2], r[3]);
    [
        i32x4_shuffle::<0, 1, 4, 5>(t0, t1),
        i32x4_shuffle::<2, 3, 6, 7>(t0, t1),
        i32x4_shuffle::<0, 1, 4, 5>(t2, t3),
        i32x4_shuffle::<2, 3, 6, 7>(t2, t3),
    ]
}

impl<M: Madd> Isa for V128<M> {
    type V = v128;
    const NAME: &'static str = M::NAME;
    #[inline(always)]
    unsafe fn load(p: *const f32) -> v128 {
        v128_load(p as *const v128)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: v128) {
        v128_store(p as *mut v128, v)
    }
    #[inline(always)]
    unsafe fn load_splat(p: *const f32) -> v128 {
        v128_load32_splat(p as *const u32)
    }
    #[inline(always)]
    fn splat(x: f32) -> v128 {
        f32x4_splat(x)
    }
    #[inline(always)]
    fn add(a: v128, b: v128) -> v128 {
        f32x4_add(a, b)
    }
    #[inline(always)]
    fn sub(a: v128, b: v128) -> v128 {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    fn mul(a: v128, b: v128) -> v128 {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    fn max(a: v128, b: v128) -> v128 {
        f32x4_pmax(a, b)
    }
    #[inline(always)]
    fn madd(a: v128, b: v128, c: v128) -> v128 {
        M::madd(a, b, c)
    }
    #[inline(always)]
    fn hsum(v: v128) -> f32 {
        (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<2>(v))
            + (f32x4_extract_lane::<1>(v) + f32x4_extract_lane::<3>(v))
    }
    #[inline(always)]
    fn hmax(v: v128) -> f32 {
        f32x4_extract_lane::<0>(v)
            .max(f32x4_extract_lane::<1>(v))
            .max(f32x4_extract_lane::<2>(v).max(f32x4_extract_lane::<3>(v)))
    }
    #[inline(always)]
    fn exp(x: v128) -> v128 {
        exp_v128(x, M::madd)
    }
    #[inline(always)]
    fn transpose4(r: [v128; 4]) -> [v128; 4] {
        transpose4_v128(r)
    }
}
