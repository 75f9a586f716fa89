//! Relaxed SIMD: `f32x4.relaxed_madd` lets the engine emit a fused multiply-add where the
//! CPU has one (x86 FMA3, ARM NEON). Everything else is SIMD128's ([`V128`]).

use super::simd128::{Madd, V128};
use core::arch::wasm32::*;

/// A multiply-add the engine may fuse (one rounding) or not, per CPU.
pub struct Fused;

impl Madd for Fused {
    const NAME: &'static str = "relaxed";
    #[inline(always)]
    fn madd(a: v128, b: v128, c: v128) -> v128 {
        f32x4_relaxed_madd(a, b, c)
    }
}

pub type Relaxed = V128<Fused>;
