//! Elementwise activations: ReLU and GELU (exact erf form and the tanh approximation).
//!
//! ReLU: y = max(x, 0), dx = dy [x > 0] (the gradient at exactly 0 is 0, as PyTorch).
//! GELU exact: y = x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, dy/dx = Phi(x) + x phi(x).
//! GELU tanh:  y = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3),
//!             dy/dx = (1 + t)/2 + x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2, t = tanh u.
//! The tanh form is evaluated per element in f64 (tanh from libm saturates, so |x| = 100 gives no
//! inf/inf). The exact form runs in f32 on the same erfc (Abramowitz-Stegun 7.1.26), whose factor
//! exp(-x^2 / 2) is also phi's, so an element costs one [`exp_f32`] (|error| ~3e-7 of Phi).

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
const C: f64 = 0.044_715;

use crate::par::SharedMut;
use crate::simd::scalar::Scalar4;
use crate::simd::Isa;

/// The lane select ReLU needs, which [`Isa`] (shared with the loss kernels) does not have:
/// per lane, `a` where `x > 0`, else +0 (so NaN and -0 in x give +0, as the scalar rule does).
pub trait PosSelect: Isa {
    fn pos_select(x: Self::V, a: Self::V) -> Self::V;
}

impl PosSelect for Scalar4 {
    #[inline(always)]
    fn pos_select(x: [f32; 4], a: [f32; 4]) -> [f32; 4] {
        core::array::from_fn(|i| if x[i] > 0.0 { a[i] } else { 0.0 })
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl PosSelect for crate::simd::simd128::Simd128 {
    #[inline(always)]
    fn pos_select(x: Self::V, a: Self::V) -> Self::V {
        use core::arch::wasm32::*;
        v128_and(a, f32x4_gt(x, f32x4_splat(0.0)))
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128", target_feature = "relaxed-simd"))]
impl PosSelect for crate::simd::relaxed::Relaxed {
    #[inline(always)]
    fn pos_select(x: Self::V, a: Self::V) -> Self::V {
        <crate::simd::simd128::Simd128 as PosSelect>::pos_select(x, a)
    }
}

/// out[i] = a[i] where x[i] > 0, else 0; four lanes at a time, branch-free (ReLU data is a coin
/// flip per element, which a branch per element mispredicts half the time).
#[inline(always)]
fn select_pos<I: PosSelect>(x: &[f32], a: &[f32], out: &mut [f32]) {
    let n = out.len().min(x.len()).min(a.len());
    let body = n - n % 4;
    let (px, pa, po) = (x.as_ptr(), a.as_ptr(), out.as_mut_ptr());
    let mut k = 0;
    // SAFETY: k + 4 <= body <= the length of every slice.
    unsafe {
        while k < body {
            I::store(po.add(k), I::pos_select(I::load(px.add(k)), I::load(pa.add(k))));
            k += 4;
        }
    }
    while k < n {
        out[k] = if x[k] > 0.0 { a[k] } else { 0.0 };
        k += 1;
    }
}

/// Runs `f(lo, hi)` on element ranges of 0..n (multiples of 64, so the vector body covers the
/// same elements whatever the split) over the thread pool. `cost`: floats of memory traffic, or
/// their equivalent in work, per element.
fn per_elements(n: usize, cost: usize, f: &(dyn Fn(usize, usize) + Sync)) {
    const B: usize = 64;
    crate::par::ranges(n.div_ceil(B), cost * n, &|a, b| f(a * B, (b * B).min(n)));
}

/// y = max(x, 0) (+0 for x <= 0).
pub fn relu_forward<I: PosSelect>(x: &[f32], y: &mut [f32]) {
    let n = x.len().min(y.len());
    let out = SharedMut::new(&mut y[..n]);
    // SAFETY (all four): element ranges are disjoint.
    per_elements(n, 2, &|a, b| select_pos::<I>(&x[a..b], &x[a..b], unsafe { out.part(a, b - a) }));
}

/// dx = dy [x > 0].
pub fn relu_backward<I: PosSelect>(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let n = x.len().min(dy.len()).min(dx.len());
    let out = SharedMut::new(&mut dx[..n]);
    per_elements(n, 3, &|a, b| select_pos::<I>(&x[a..b], &dy[a..b], unsafe { out.part(a, b - a) }));
}

/// erfc(z) for any real z: Abramowitz-Stegun 7.1.26 in f64 (|error| < 1.5e-7 absolute, and
/// relative in the tail because the factor exp(-z^2) is exact), reflected for z < 0.
pub fn erfc(z: f64) -> f64 {
    let a = z.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly =
        t * (0.254_829_592 + t * (-0.284_496_736 + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let r = poly * (-a * a).exp();
    if z >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[inline]
fn phi_cdf(x: f64) -> f64 {
    0.5 * erfc(-x * core::f64::consts::FRAC_1_SQRT_2)
}

/// Exact GELU and its derivative in f32: Phi(x) from the erfc of |x| / sqrt 2, one exp.
#[inline]
fn gelu_erf_f32(x: f32) -> (f32, f32) {
    let a = x.abs() * core::f32::consts::FRAC_1_SQRT_2;
    if a > 10.0 {
        // erfc(10) ~ 2e-45: Phi is 0 or 1 to f32
        return if x > 0.0 { (x, 1.0) } else { (x * 0.0, 0.0) };
    }
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let e = crate::simd::exp_f32(-a * a);
    let r = poly * e;
    let p = if x >= 0.0 { 1.0 - 0.5 * r } else { 0.5 * r };
    (x * p, p + x * (INV_SQRT_2PI as f32) * e)
}

#[inline]
fn gelu(x: f64, tanh: bool) -> (f64, f64) {
    if tanh {
        let u = SQRT_2_OVER_PI * (x + C * x * x * x);
        let t = u.tanh();
        let y = 0.5 * x * (1.0 + t);
        let d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * C * x * x);
        (y, d)
    } else {
        let p = phi_cdf(x);
        let d = p + x * INV_SQRT_2PI * (-0.5 * x * x).exp();
        (x * p, d)
    }
}

/// GELU costs ~20 ns an element (f64 exp or tanh): worth splitting from a few thousand.
const GELU_COST: usize = 32;

pub fn gelu_forward(x: &[f32], tanh: bool, y: &mut [f32]) {
    let n = x.len().min(y.len());
    let out = SharedMut::new(&mut y[..n]);
    per_elements(n, GELU_COST, &|a, b| {
        for (o, v) in unsafe { out.part(a, b - a) }.iter_mut().zip(&x[a..b]) {
            *o = if tanh { gelu(*v as f64, true).0 as f32 } else { gelu_erf_f32(*v).0 };
        }
    });
}

pub fn gelu_backward(x: &[f32], dy: &[f32], tanh: bool, dx: &mut [f32]) {
    let n = x.len().min(dy.len()).min(dx.len());
    let out = SharedMut::new(&mut dx[..n]);
    per_elements(n, GELU_COST, &|a, b| {
        for ((o, v), g) in unsafe { out.part(a, b - a) }.iter_mut().zip(&x[a..b]).zip(&dy[a..b]) {
            *o = if tanh { (gelu(*v as f64, true).1 * *g as f64) as f32 } else { gelu_erf_f32(*v).1 * *g };
        }
    });
}

/// out = a * b elementwise (the backward pass of dropout: dy times the saved mask).
pub fn mul(a: &[f32], b: &[f32], out: &mut [f32]) {
    for ((o, x), y) in out.iter_mut().zip(a).zip(b) {
        *o = x * y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};

    #[test]
    fn relu_gradient_at_exact_zero_is_zero() {
        let x = [0.0f32, -0.0, 1.0, -1.0];
        let mut dx = [9.0f32; 4];
        relu_backward::<Scalar4>(&x, &[1.0; 4], &mut dx);
        assert_eq!(dx, [0.0, 0.0, 1.0, 0.0]);
    }

    #[test]
    fn relu_vector_body_and_scalar_tail_agree_with_the_rule() {
        // 11 values: two 4-lane bodies and a 3-value tail, with -0, 0 and tiny values in both
        let x = [-0.0f32, 0.0, 1e-30, -1e-30, 2.0, -3.0, 0.5, 0.0, -0.0, 1e-30, -7.0];
        let dy: Vec<f32> = (0..11).map(|i| i as f32 + 1.0).collect();
        let (mut y, mut dx) = ([9.0f32; 11], [9.0f32; 11]);
        relu_forward::<Scalar4>(&x, &mut y);
        relu_backward::<Scalar4>(&x, &dy, &mut dx);
        for i in 0..11 {
            let pos = x[i] > 0.0;
            assert_eq!(y[i].to_bits(), if pos { x[i] } else { 0.0 }.to_bits(), "y[{i}]");
            assert_eq!(dx[i].to_bits(), if pos { dy[i] } else { 0.0 }.to_bits(), "dx[{i}]");
        }
    }

    #[test]
    fn gelu_tails_stay_finite_and_saturate() {
        for tanh in [false, true] {
            let x = [100.0f32, -100.0, 50.0, -50.0, 15.0, -15.0];
            let mut y = [0.0f32; 6];
            let mut d = [0.0f32; 6];
            gelu_forward(&x, tanh, &mut y);
            gelu_backward(&x, &[1.0; 6], tanh, &mut d);
            assert_eq!(y[0], 100.0);
            assert_eq!(y[1], 0.0);
            assert!(d.iter().all(|v| v.is_finite()));
            assert_eq!(d[0], 1.0);
        }
    }

    #[test]
    fn gelu_exact_and_tanh_backward_match_finite_differences() {
        for tanh in [false, true] {
            let x = randv(40, 11);
            let dy = randv(40, 12);
            let mut dx = vec![0.0; 40];
            gelu_backward(&x, &dy, tanh, &mut dx);
            check_grad(
                &x,
                &dx,
                |v| {
                    let mut y = vec![0.0; 40];
                    gelu_forward(v, tanh, &mut y);
                    y.iter().zip(&dy).map(|(a, b)| (*a as f64) * (*b as f64)).sum()
                },
                "gelu",
            );
        }
    }

    #[test]
    fn the_f32_exact_gelu_agrees_with_the_f64_one_to_1e_6() {
        for i in -2000..=2000 {
            let x = i as f32 * 0.006;
            let (y, d) = gelu_erf_f32(x);
            let (y64, d64) = gelu(x as f64, false);
            assert!((y as f64 - y64).abs() < 1e-6 * (1.0 + y64.abs()), "y({x}) {y} vs {y64}");
            assert!((d as f64 - d64).abs() < 1e-6 * (1.0 + d64.abs()), "d({x}) {d} vs {d64}");
        }
    }

    #[test]
    fn erfc_is_accurate_to_a_few_1e_7() {
        // erfc(0) = 1, erfc(1) = 0.157299207050285, erfc(-2) = 1.995322265018953
        assert!((erfc(0.0) - 1.0).abs() < 2e-7);
        assert!((erfc(1.0) - 0.157_299_207_050_285).abs() < 2e-7);
        assert!((erfc(-2.0) - 1.995_322_265_018_953).abs() < 2e-7);
    }
}
