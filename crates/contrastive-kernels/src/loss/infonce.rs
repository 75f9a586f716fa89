//! InfoNCE between queries and keys.
//!
//! In-batch (asymmetric): L = 1/N sum_i [ -l_ii + lse_j l_ij ],  l_ij = q^_i . k^_j / tau.
//! Symmetric (CLIP): the mean of that and the same loss on the transposed logits (k -> q).
//! Explicit negatives (unpaired): row i's logits are [q^_i . p^_i, q^_i . n^_1, ..., q^_i . n^_M] / tau
//! with target 0: L = 1/N sum_i [ -l_i0 + lse_{j=0..M} l_ij ].

use super::cache::budget_bytes;
use super::clip::run_clip;
use super::core::{run, Grads, Problem, Targets};
use super::normalize;
use super::LossOut;
use crate::simd::Isa;
use crate::{try_vec, Oom, Scratch};

struct Normed {
    u: Scratch,
    inv: Scratch,
    clamped: Vec<bool>,
    rows: usize,
}

fn normed<I: Isa>(x: &[f32], rows: usize, d: usize) -> Result<Normed, Oom> {
    let mut u = try_vec(rows * d)?;
    let mut inv = try_vec(rows)?;
    let mut clamped = vec![false; rows];
    normalize::forward::<I>(x, rows, d, &mut u, &mut inv, &mut clamped);
    Ok(Normed { u, inv, clamped, rows })
}

impl Normed {
    fn backward<I: Isa>(&self, g: &mut [f32], d: usize) {
        normalize::backward::<I>(g, &self.u, self.rows, d, &self.inv, &self.clamped);
    }
}

/// `q`, `k`: n x d. `grads`: (dL/dq, dL/dk), overwritten.
pub fn infonce<I: Isa>(
    q: &[f32],
    k: &[f32],
    n: usize,
    d: usize,
    tau: f32,
    symmetric: bool,
    grads: Option<(&mut [f32], &mut [f32])>,
) -> Result<LossOut, Oom> {
    let qn = normed::<I>(q, n, d)?;
    let kn = normed::<I>(k, n, d)?;
    let mut grads = grads;
    if let Some((gq, gk)) = grads.as_mut() {
        gq.fill(0.0);
        gk.fill(0.0);
    }
    let total = if symmetric {
        // both directions from one sweep of the logit tiles
        run_clip::<I>(
            &qn.u,
            &kn.u,
            n,
            d,
            1.0 / tau,
            grads.as_mut().map(|(gq, gk)| (&mut **gq, &mut **gk)),
            budget_bytes(),
        )?
    } else {
        let idx: Vec<u32> = (0..n as u32).collect();
        let weight = vec![1.0 / n as f32; n];
        let problem = Problem {
            x: &qn.u,
            rows: n,
            y: &kn.u,
            cols: n,
            d,
            self_sim: false,
            targets: Targets::Index(&idx),
            weight: &weight,
            inv_tau: 1.0 / tau,
        };
        run::<I>(&problem, grads.as_mut().map(|(gq, gk)| Grads { gx: gq, gy: Some(gk), gp: None }))?
    };
    if let Some((gq, gk)) = grads {
        qn.backward::<I>(gq, d);
        kn.backward::<I>(gk, d);
    }
    Ok(total)
}

/// `q`, `p`: n x d; `neg`: m x d shared by every query. `grads`: (dL/dq, dL/dp, dL/dneg), overwritten.
#[allow(clippy::too_many_arguments)]
pub fn infonce_negatives<I: Isa>(
    q: &[f32],
    p: &[f32],
    n: usize,
    neg: &[f32],
    m: usize,
    d: usize,
    tau: f32,
    grads: Option<(&mut [f32], &mut [f32], &mut [f32])>,
) -> Result<LossOut, Oom> {
    let qn = normed::<I>(q, n, d)?;
    let pn = normed::<I>(p, n, d)?;
    let nn = normed::<I>(neg, m, d)?;
    let weight = vec![1.0 / n as f32; n];
    let problem = Problem {
        x: &qn.u,
        rows: n,
        y: &nn.u,
        cols: m,
        d,
        self_sim: false,
        targets: Targets::Paired(&pn.u),
        weight: &weight,
        inv_tau: 1.0 / tau,
    };
    match grads {
        None => run::<I>(&problem, None),
        Some((gq, gp, gn)) => {
            gq.fill(0.0);
            gp.fill(0.0);
            gn.fill(0.0);
            let out = run::<I>(&problem, Some(Grads { gx: gq, gy: Some(gn), gp: Some(gp) }))?;
            qn.backward::<I>(gq, d);
            pn.backward::<I>(gp, d);
            nn.backward::<I>(gn, d);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::oracle::{check_grads, rand_rows, Family};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn in_batch_and_symmetric_match_oracle_on_odd_sizes() {
        for &d in &[1usize, 3, 5, 17, 127, 129] {
            for &n in &[1usize, 3, 9] {
                for sym in [false, true] {
                    let q = rand_rows(n, d, (d * 31 + n) as u64);
                    let k = rand_rows(n, d, (d * 37 + n + 1) as u64);
                    let (mut gq, mut gk) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
                    let out = infonce::<Scalar4>(&q, &k, n, d, 0.2, sym, Some((&mut gq, &mut gk))).unwrap();
                    assert_eq!(out, infonce::<Scalar4>(&q, &k, n, d, 0.2, sym, None).unwrap());
                    let fam = if sym { Family::Symmetric } else { Family::InfoNce };
                    check_grads(&fam, &[&q, &k], d, 0.2, out, &[&gq, &gk]);
                }
            }
        }
    }

    #[test]
    fn explicit_negatives_match_oracle_including_m0() {
        for &d in &[1usize, 3, 17, 129] {
            for &(n, m) in &[(1usize, 0usize), (3, 1), (4, 9), (5, 70)] {
                let q = rand_rows(n, d, (d + n * 7 + m) as u64);
                let p = rand_rows(n, d, (d + n * 11 + m) as u64);
                let ng = rand_rows(m, d, (d + n * 13 + m) as u64);
                let (mut gq, mut gp, mut gn) = (vec![0.0f32; n * d], vec![0.0f32; n * d], vec![0.0f32; m * d]);
                let out =
                    infonce_negatives::<Scalar4>(&q, &p, n, &ng, m, d, 0.1, Some((&mut gq, &mut gp, &mut gn))).unwrap();
                if m == 0 {
                    assert_eq!(out.loss, 0.0);
                }
                check_grads(&Family::Negatives { n, m }, &[&q, &p, &ng], d, 0.1, out, &[&gq, &gp, &gn]);
            }
        }
    }
}
