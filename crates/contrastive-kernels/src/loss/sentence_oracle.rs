//! Test oracle for the sentence-embedding losses (and the f64 helpers every oracle shares: `unit`,
//! `lse`): f64 definitions and central finite differences
//! of those definitions (independent of the kernels' analytic backward passes).

use super::LossOut;

/// A loss in f64 of its inputs and tau.
pub type Loss64<'a> = &'a dyn Fn(&[Vec<f64>], f64) -> f64;

pub fn unit(x: &[f64], d: usize) -> Vec<f64> {
    let mut u = x.to_vec();
    for row in u.chunks_mut(d) {
        let n = row.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
        row.iter_mut().for_each(|v| *v /= n);
    }
    u
}

pub fn lse(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Asserts loss, d loss / d tau (when `with_tau`) and every input gradient of an f32 kernel.
pub fn check(f: Loss64, inputs: &[&[f32]], d: usize, tau: f32, out: LossOut, grads: &[&[f32]]) {
    check_opt(f, inputs, d, tau, out, grads, true)
}

pub fn check_opt(f: Loss64, inputs: &[&[f32]], d: usize, tau: f32, out: LossOut, grads: &[&[f32]], with_tau: bool) {
    let x: Vec<Vec<f64>> = inputs.iter().map(|v| v.iter().map(|&a| a as f64).collect()).collect();
    let t = tau as f64;
    let l = f(&x, t);
    assert!((out.loss - l).abs() <= 2e-4 * (1.0 + l.abs()), "loss {} vs oracle {}", out.loss, l);
    if with_tau {
        let h = 1e-6 * t;
        let fd_tau = (f(&x, t + h) - f(&x, t - h)) / (2.0 * h);
        assert!((out.dtau - fd_tau).abs() <= 1e-3 * (1.0 + fd_tau.abs()), "dtau {} vs fd {}", out.dtau, fd_tau);
    }
    for (which, g) in grads.iter().enumerate() {
        let mut fd = vec![0.0f64; g.len()];
        let mut xs = x.clone();
        for e in 0..g.len() {
            let row = &x[which][(e / d) * d..(e / d + 1) * d];
            let scale = row.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-3);
            let h = 1e-6 * scale;
            let orig = xs[which][e];
            xs[which][e] = orig + h;
            let lp = f(&xs, t);
            xs[which][e] = orig - h;
            let lm = f(&xs, t);
            xs[which][e] = orig;
            fd[e] = (lp - lm) / (2.0 * h);
        }
        let gmax = fd.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        // Where the true gradient is ~0 (D = 1, identical rows) f32 rounding leaves about
        // eps / (tau * ||x||); the reference tolerances use the same floor.
        let min_norm = x[which].chunks(d).map(|r| r.iter().map(|v| v * v).sum::<f64>().sqrt()).fold(f64::MAX, f64::min);
        let floor = 1e-5 / (t * min_norm.max(1e-12));
        for e in 0..g.len() {
            assert!(
                (g[e] as f64 - fd[e]).abs() <= 2e-3 * gmax + floor,
                "input {which} entry {e}: kernel {} vs finite difference {} (max {gmax})",
                g[e],
                fd[e]
            );
        }
    }
}
