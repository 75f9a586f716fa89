//! MultipleNegativesRankingLoss (sentence-transformers; InfoNCE with in-batch negatives and
//! any number of hard negatives per anchor).
//!
//! Anchors a_i (n x d); documents c = [p_1..p_n; n^1_1..n^1_n; ...; n^h_1..n^h_n] ((1+h) n x d):
//! the positives, then each hard-negative column. Every document is a candidate for every anchor.
//!
//!   l_ij = s cos(a_i, c_j)       (s = 1/tau, sentence-transformers' scale; 20 by default)
//!   L    = 1/n sum_i [ lse_{j < (1+h) n} l_ij - l_ii ]
//!
//! Symmetric (sentence-transformers' directions = (query_to_doc, doc_to_query) with
//! partition_mode = per_direction, i.e. MultipleNegativesSymmetricRankingLoss): the mean of
//! that and the positives -> anchors term 1/n sum_i [ lse_{j < n} s cos(p_i, a_j) - s cos(p_i, a_i) ]
//! (hard negatives only appear in the first term).
//!
//! Both terms run on the fused streaming cross-entropy of `core` (no n x (1+h)n matrix is kept),
//! so the gradients and d L / d tau are exact; d L / d s = -tau^2 d L / d tau.

use super::core::{run, Grads, Problem, Targets};
use super::normalize;
use super::LossOut;
use crate::simd::Isa;
use crate::{try_vec, Oom, Scratch};

/// Rows normalized as torch's F.normalize, with what their backward needs.
pub(crate) struct Normed {
    pub u: Scratch,
    inv: Scratch,
    clamped: Vec<bool>,
    rows: usize,
}

impl Normed {
    pub fn new<I: Isa>(x: &[f32], rows: usize, d: usize) -> Result<Normed, Oom> {
        let mut u = try_vec(rows * d)?;
        let mut inv = try_vec(rows)?;
        let mut clamped = vec![false; rows];
        normalize::forward::<I>(x, rows, d, &mut u, &mut inv, &mut clamped);
        Ok(Normed { u, inv, clamped, rows })
    }
    /// In place: dL/du on entry, dL/dx on return.
    pub fn backward<I: Isa>(&self, g: &mut [f32], d: usize) {
        normalize::backward::<I>(g, &self.u, self.rows, d, &self.inv, &self.clamped);
    }
}

/// `a`: n x d; `docs`: (1 + h) n x d. `grads`: (dL/da, dL/ddocs), overwritten.
#[allow(clippy::too_many_arguments)]
pub fn mnrl<I: Isa>(
    a: &[f32],
    docs: &[f32],
    n: usize,
    h: usize,
    d: usize,
    tau: f32,
    symmetric: bool,
    grads: Option<(&mut [f32], &mut [f32])>,
) -> Result<LossOut, Oom> {
    let cols = (1 + h) * n;
    let an = Normed::new::<I>(a, n, d)?;
    let dn = Normed::new::<I>(docs, cols, d)?;
    let idx: Vec<u32> = (0..n as u32).collect();
    let share = if symmetric { 0.5 } else { 1.0 };
    let weight = vec![share / n as f32; n];
    let forward = Problem {
        x: &an.u,
        rows: n,
        y: &dn.u,
        cols,
        d,
        self_sim: false,
        targets: Targets::Index(&idx),
        weight: &weight,
        inv_tau: 1.0 / tau,
    };
    let backward = Problem {
        x: &dn.u[..n * d],
        rows: n,
        y: &an.u,
        cols: n,
        d,
        self_sim: false,
        targets: Targets::Index(&idx),
        weight: &weight,
        inv_tau: 1.0 / tau,
    };
    match grads {
        None => {
            let mut out = run::<I>(&forward, None)?;
            if symmetric {
                let b = run::<I>(&backward, None)?;
                out.loss += b.loss;
                out.dtau += b.dtau;
            }
            Ok(out)
        }
        Some((ga, gd)) => {
            ga.fill(0.0);
            gd.fill(0.0);
            let mut out = run::<I>(&forward, Some(Grads { gx: ga, gy: Some(gd), gp: None }))?;
            if symmetric {
                let b = run::<I>(&backward, Some(Grads { gx: &mut gd[..n * d], gy: Some(ga), gp: None }))?;
                out.loss += b.loss;
                out.dtau += b.dtau;
            }
            an.backward::<I>(ga, d);
            dn.backward::<I>(gd, d);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::oracle::rand_rows;
    use crate::loss::sentence_oracle::{check, lse, unit, Loss64};
    use crate::simd::scalar::Scalar4;

    pub(crate) fn mnrl64(x: &[Vec<f64>], n: usize, d: usize, tau: f64, symmetric: bool) -> f64 {
        let (a, c) = (unit(&x[0], d), unit(&x[1], d));
        let cols = c.len() / d;
        let dot = |p: &[f64], q: &[f64]| p.iter().zip(q).map(|(u, v)| u * v).sum::<f64>();
        let mut fwd = 0.0;
        for i in 0..n {
            let row: Vec<f64> = (0..cols).map(|j| dot(&a[i * d..(i + 1) * d], &c[j * d..(j + 1) * d]) / tau).collect();
            fwd += lse(&row) - row[i];
        }
        fwd /= n as f64;
        if !symmetric {
            return fwd;
        }
        let mut bwd = 0.0;
        for i in 0..n {
            let row: Vec<f64> = (0..n).map(|j| dot(&c[i * d..(i + 1) * d], &a[j * d..(j + 1) * d]) / tau).collect();
            bwd += lse(&row) - row[i];
        }
        0.5 * (fwd + bwd / n as f64)
    }

    #[test]
    fn hard_negatives_and_symmetric_match_the_f64_definition_and_finite_differences() {
        for &d in &[1usize, 3, 17, 129] {
            for &(n, h) in &[(1usize, 0usize), (1, 2), (3, 0), (5, 1), (9, 3)] {
                for sym in [false, true] {
                    let a = rand_rows(n, d, (d * 7 + n * 3 + h) as u64);
                    let c = rand_rows((1 + h) * n, d, (d * 11 + n * 5 + h + 1) as u64);
                    let (mut ga, mut gc) = (vec![0.0f32; a.len()], vec![0.0f32; c.len()]);
                    let tau = 0.05;
                    let out = mnrl::<Scalar4>(&a, &c, n, h, d, tau, sym, Some((&mut ga, &mut gc))).unwrap();
                    assert_eq!(out, mnrl::<Scalar4>(&a, &c, n, h, d, tau, sym, None).unwrap());
                    let f: Loss64 = &|x, t| mnrl64(x, n, d, t, sym);
                    check(f, &[&a, &c], d, tau, out, &[&ga, &gc]);
                }
            }
        }
    }
}
