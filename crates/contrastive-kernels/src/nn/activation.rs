//! Elementwise activations: ReLU and GELU (exact erf form and the tanh approximation).
//!
//! ReLU: y = max(x, 0), dx = dy [x > 0] (the gradient at exactly 0 is 0, as PyTorch).
//! GELU exact: y = x Phi(x), Phi(x) = erfc(-x / sqrt 2) / 2, dy/dx = Phi(x) + x phi(x).
//! GELU tanh:  y = x (1 + tanh u) / 2, u = sqrt(2/pi) (x + 0.044715 x^3),
//!             dy/dx = (1 + t)/2 + x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2) / 2, t = tanh u.
//! Evaluated per element in f64 (tanh from libm saturates, so |x| = 100 gives no inf/inf).

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
const C: f64 = 0.044_715;

pub fn relu_forward(x: &[f32], y: &mut [f32]) {
    for (o, v) in y.iter_mut().zip(x) {
        *o = if *v > 0.0 { *v } else { 0.0 };
    }
}

pub fn relu_backward(x: &[f32], dy: &[f32], dx: &mut [f32]) {
    for ((o, v), g) in dx.iter_mut().zip(x).zip(dy) {
        *o = if *v > 0.0 { *g } else { 0.0 };
    }
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

pub fn gelu_forward(x: &[f32], tanh: bool, y: &mut [f32]) {
    for (o, v) in y.iter_mut().zip(x) {
        *o = gelu(*v as f64, tanh).0 as f32;
    }
}

pub fn gelu_backward(x: &[f32], dy: &[f32], tanh: bool, dx: &mut [f32]) {
    for ((o, v), g) in dx.iter_mut().zip(x).zip(dy) {
        *o = (gelu(*v as f64, tanh).1 * *g as f64) as f32;
    }
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
        relu_backward(&x, &[1.0; 4], &mut dx);
        assert_eq!(dx, [0.0, 0.0, 1.0, 0.0]);
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
    fn erfc_is_accurate_to_a_few_1e_7() {
        // erfc(0) = 1, erfc(1) = 0.157299207050285, erfc(-2) = 1.995322265018953
        assert!((erfc(0.0) - 1.0).abs() < 2e-7);
        assert!((erfc(1.0) - 0.157_299_207_050_285).abs() < 2e-7);
        assert!((erfc(-2.0) - 1.995_322_265_018_953).abs() < 2e-7);
    }
}
