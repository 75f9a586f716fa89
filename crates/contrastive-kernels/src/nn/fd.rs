//! Central finite differences for the layer tests: the gradient of a scalar f at x, checked
//! entry by entry against an analytic gradient.

use crate::testutil::Rng;

pub fn randv(n: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng(seed * 7919 + n as u64);
    (0..n).map(|_| r.normal()).collect()
}

/// Checks `grad` against (f(x + h e_i) - f(x - h e_i)) / 2h, with f evaluated in f32 kernels
/// and summed in f64; the tolerance allows for the float32 forward pass.
pub fn check_grad(x: &[f32], grad: &[f32], f: impl Fn(&[f32]) -> f64, what: &str) {
    let h = 1e-2f32;
    let scale = grad.iter().fold(1.0f32, |m, g| m.max(g.abs()));
    let mut xv = x.to_vec();
    for i in 0..x.len() {
        xv[i] = x[i] + h;
        let up = f(&xv);
        xv[i] = x[i] - h;
        let down = f(&xv);
        xv[i] = x[i];
        let fd = (up - down) / (2.0 * h as f64);
        let err = (fd - grad[i] as f64).abs();
        assert!(err <= 2e-2 * scale as f64, "{what}[{i}]: analytic {} vs finite difference {fd}", grad[i]);
    }
}
