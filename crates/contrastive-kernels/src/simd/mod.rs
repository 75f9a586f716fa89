//! One small interface over the instruction sets: a 4-lane f32 vector.
//!
//! Every kernel above this layer is written once, generic over [`Isa`], and compiled
//! for the instruction set chosen at build time ([`Best`]). [`scalar::Scalar4`] is the
//! oracle: it runs the same tiling, tails and polynomial as the SIMD code, lane by lane,
//! so native `cargo test` exercises every SIMD-shaped code path.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd"))]
pub mod relaxed;
pub mod scalar;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod simd128;

/// A 4-lane f32 vector instruction set.
pub trait Isa {
    type V: Copy;
    const NAME: &'static str;
    /// # Safety
    /// `p` must point at 4 readable f32 (no alignment required).
    unsafe fn load(p: *const f32) -> Self::V;
    /// # Safety
    /// `p` must point at 4 writable f32 (no alignment required).
    unsafe fn store(p: *mut f32, v: Self::V);
    fn splat(x: f32) -> Self::V;
    /// Broadcast of the f32 at `p` (one `v128.load32_splat` in wasm).
    /// # Safety
    /// `p` must point at a readable f32.
    unsafe fn load_splat(p: *const f32) -> Self::V;
    fn add(a: Self::V, b: Self::V) -> Self::V;
    fn sub(a: Self::V, b: Self::V) -> Self::V;
    fn mul(a: Self::V, b: Self::V) -> Self::V;
    fn max(a: Self::V, b: Self::V) -> Self::V;
    /// a * b + c (fused or not, depending on the instruction set).
    fn madd(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    fn hsum(v: Self::V) -> f32;
    fn hmax(v: Self::V) -> f32;
    /// e^x per lane, by [`exp_f32`]'s algorithm.
    fn exp(x: Self::V) -> Self::V;
    /// The 4x4 transpose: lane j of output i is lane i of input j.
    fn transpose4(r: [Self::V; 4]) -> [Self::V; 4];
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd"))]
pub type Best = relaxed::Relaxed;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128", not(target_feature = "relaxed-simd")))]
pub type Best = simd128::Simd128;
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub type Best = scalar::Scalar4;

// exp(x) = 2^n * e^r with n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2];
// e^r by the Cephes expf polynomial (relative error ~1.2e-7 on that interval).
// n is rounded by adding ROUND = 1.5 * 2^23 to y = x log2(e): for |y| < 2^22 the sum lands where
// the float spacing is 1, so it rounds y to the nearest integer (ties to even, as
// `round_ties_even`), and the low bits of the sum ARE n: (bits(y + ROUND) + 127) << 23 is 2^n's
// bit pattern (ROUND's own bits shift out). Cheaper in wasm than `nearest` + `trunc_sat` (several x86 instructions).
// x is clamped to [EXP_LO, EXP_HI] so 2^n stays a normal float: e^EXP_LO ~ 1.2e-38 stands in
// for values that would underflow, which is far below anything a softmax sum can notice.
pub const EXP_HI: f32 = 88.0;
pub const EXP_LO: f32 = -87.33654;
pub const LOG2E: f32 = core::f32::consts::LOG2_E;
pub const ROUND: f32 = 12_582_912.0;
pub const LN2_HI: f32 = 0.693_359_4;
pub const LN2_LO: f32 = -2.121_944_4e-4;
/// Cephes' coefficients; its last, 5.0000001e-1, is 0.5 in f32.
pub const EXP_P: [f32; 6] = [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];

/// Scalar e^x, bit-for-bit the algorithm every [`Isa::exp`] runs per lane
/// (so a row's SIMD body and its scalar tail agree).
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(EXP_LO, EXP_HI);
    let yr = x * LOG2E + ROUND;
    let n = yr - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = EXP_P[0];
    p = p * r + EXP_P[1];
    p = p * r + EXP_P[2];
    p = p * r + EXP_P[3];
    p = p * r + EXP_P[4];
    p = p * r + EXP_P[5];
    let e = p * (r * r) + r + 1.0;
    let bits = yr.to_bits().wrapping_add(127) << 23;
    e * f32::from_bits(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The textbook form of the same algorithm: n by `round_ties_even`, 2^n from n's integer value.
    fn exp_textbook(x: f32) -> f32 {
        let x = x.clamp(EXP_LO, EXP_HI);
        let n = (x * LOG2E).round_ties_even();
        let r = x - n * LN2_HI - n * LN2_LO;
        let p = EXP_P[1..].iter().fold(EXP_P[0], |p, c| p * r + c);
        (p * (r * r) + r + 1.0) * f32::from_bits(((n as i32 + 127) as u32) << 23)
    }

    #[test]
    fn magic_number_rounding_is_bit_identical_to_round_ties_even() {
        // every float step near the rounding ties (y = k + 1/2) and a dense sweep of the range
        let mut xs: Vec<f32> = (-2000..=2000).map(|i| i as f32 * 0.04373).collect();
        for k in -127..=127 {
            let tie = (k as f32 + 0.5) / LOG2E;
            let mut v = tie;
            for _ in 0..4 {
                xs.push(v);
                v = f32::from_bits(v.to_bits() + 1);
            }
            let mut v = tie;
            for _ in 0..4 {
                xs.push(v);
                v = f32::from_bits(v.to_bits() - 1);
            }
        }
        xs.extend([EXP_LO, EXP_HI, -1e30, 1e30, 0.0, -0.0, f32::MIN_POSITIVE]);
        for x in xs {
            assert_eq!(exp_f32(x).to_bits(), exp_textbook(x).to_bits(), "x = {x:e}");
        }
    }

    #[test]
    fn exp_relative_error_is_below_3e_7() {
        for i in -8733..=8800 {
            let x = i as f32 * 0.01;
            let want = (x as f64).exp();
            let got = exp_f32(x) as f64;
            assert!(((got - want) / want).abs() < 3e-7, "x = {x}: {got} vs {want}");
        }
    }
}
