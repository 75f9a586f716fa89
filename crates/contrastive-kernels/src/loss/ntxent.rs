//! NT-Xent (SimCLR): z = [a; b] holds 2N rows, row i's positive is its other view
//! p(i) = i + N (i < N) or i - N; the candidates are every row but itself.
//!   L = 1/(2N) sum_i [ -l_{i,p(i)} + lse_{k != i} l_ik ],  l = u u^T / tau.
//! dL/du = (G + G^T) u with G = (P - Y) / (2N tau), then back through the normalization.

use super::cache::budget_bytes;
use super::core::Targets;
use super::normalize;
use super::selfsim::run_self;
use super::LossOut;
use crate::simd::Isa;
use crate::{try_vec, Oom};

/// `z`: rows x d with rows = 2N (a's rows, then b's). `gz`, when given, receives dL/dz.
pub fn ntxent<I: Isa>(z: &[f32], rows: usize, d: usize, tau: f32, gz: Option<&mut [f32]>) -> Result<LossOut, Oom> {
    assert!(rows.is_multiple_of(2));
    let n = rows / 2;
    let mut u = try_vec(rows * d)?;
    let mut inv = try_vec(rows)?;
    let mut clamped = vec![false; rows];
    normalize::forward::<I>(z, rows, d, &mut u, &mut inv, &mut clamped);
    let idx: Vec<u32> = (0..rows).map(|i| if i < n { i + n } else { i - n } as u32).collect();
    let weight = vec![1.0 / rows as f32; rows];
    match gz {
        None => run_self::<I>(&u, rows, d, Targets::Index(&idx), &weight, 1.0 / tau, None, 0),
        Some(g) => {
            g.fill(0.0);
            let out =
                run_self::<I>(&u, rows, d, Targets::Index(&idx), &weight, 1.0 / tau, Some(&mut *g), budget_bytes())?;
            normalize::backward::<I>(g, &u, rows, d, &inv, &clamped);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::oracle::{check_grads, rand_rows, Family};
    use crate::simd::scalar::Scalar4;

    fn case(n: usize, d: usize, tau: f32, seed: u64) {
        let z = rand_rows(2 * n, d, seed);
        let mut g = vec![0.0f32; z.len()];
        let out = ntxent::<Scalar4>(&z, 2 * n, d, tau, Some(&mut g)).unwrap();
        let loss_only = ntxent::<Scalar4>(&z, 2 * n, d, tau, None).unwrap();
        assert_eq!(out, loss_only, "the loss-only path must give the same loss and dtau");
        check_grads(&Family::NtXent, &[&z], d, tau, out, &[&g]);
    }

    #[test]
    fn matches_f64_oracle_and_finite_differences_on_odd_sizes() {
        for &d in &[1usize, 3, 5, 17, 127, 129] {
            for &n in &[1usize, 2, 7] {
                case(n, d, 0.5, (n * 1000 + d) as u64);
            }
        }
        case(40, 9, 0.07, 5); // more rows than one block at some widths
    }

    #[test]
    fn n1_has_zero_loss_and_zero_gradient() {
        let z = rand_rows(2, 8, 3);
        let mut g = vec![1.0f32; 16];
        // the only candidate is the positive: ln(e^l) - l, zero up to one exponential's rounding
        // (the fixed-shift path at tau 0.1, the online path at tau 0.01)
        for tau in [0.1, 0.01] {
            let out = ntxent::<Scalar4>(&z, 2, 8, tau, Some(&mut g)).unwrap();
            assert!(out.loss.abs() < 1e-6, "tau {tau}: loss {}", out.loss);
            assert!(g.iter().all(|v| v.abs() < 1e-6), "tau {tau}: {g:?}");
        }
    }

    #[test]
    fn tau_0_01_aligned_does_not_overflow() {
        // every row the same direction: every logit is 100, e^100 overflows f32.
        let z: Vec<f32> = (0..2 * 6 * 4).map(|i| 1.0 + (i % 4) as f32).collect();
        let mut g = vec![0.0f32; z.len()];
        let out = ntxent::<Scalar4>(&z, 12, 4, 0.01, Some(&mut g)).unwrap();
        assert!((out.loss - (11f64).ln()).abs() < 1e-4, "{}", out.loss);
        assert!(out.dtau.is_finite() && g.iter().all(|v| v.is_finite()));
    }
}
