//! Relaxed SIMD: `f32x4.relaxed_madd` lets the engine emit a fused multiply-add where the
//! CPU has one (x86 FMA3, ARM NEON). Everything else is SIMD128.

use super::simd128::{exp_v128, transpose4_v128, Simd128};
use super::Isa;
use core::arch::wasm32::*;

pub struct Relaxed;

impl Isa for Relaxed {
    type V = v128;
    const NAME: &'static str = "relaxed";
    #[inline(always)]
    unsafe fn load(p: *const f32) -> v128 {
        Simd128::load(p)
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: v128) {
        Simd128::store(p, v)
    }
    #[inline(always)]
    unsafe fn load_splat(p: *const f32) -> v128 {
        Simd128::load_splat(p)
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
        f32x4_relaxed_madd(a, b, c)
    }
    #[inline(always)]
    fn hsum(v: v128) -> f32 {
        Simd128::hsum(v)
    }
    #[inline(always)]
    fn hmax(v: v128) -> f32 {
        Simd128::hmax(v)
    }
    #[inline(always)]
    fn exp(x: v128) -> v128 {
        exp_v128(x, Self::madd)
    }
    #[inline(always)]
    fn transpose4(r: [v128; 4]) -> [v128; 4] {
        transpose4_v128(r)
    }
}
