//! CoSENT (Su 2022; sentence-transformers' CoSENTLoss) for pairs with a similarity score.
//!
//! Pairs (a_i, b_i) with gold scores y_i; s_i = cos(a_i, b_i) / tau (tau = 1/scale, scale 20):
//!
//!   L = log(1 + sum_{(i, j): y_i < y_j} exp(s_i - s_j))
//!
//! (a pair scored lower must not be more similar). Pairs with equal scores (ties) form no term;
//! when every score is equal L = 0. Computed in O(n log n): sort by y; for position k,
//! inner_k = s_k + lse_{j: y_j > y_k}(-s_j) (a suffix log-sum-exp), L = lse(0, inner_k ...).
//! The gradient, with P_kj = exp(s_k - s_j - L) the weight of term (k, j):
//!
//!   dL/ds_k = sum_{j: y_j > y_k} P_kj - sum_{j: y_j < y_k} P_jk
//!           = exp(inner_k - L) - exp(lse_{j: y_j < y_k}(s_j) - s_k - L)
//!   dL/dcos_k = dL/ds_k / tau,   dL/dtau = -(1/tau) sum_k dL/ds_k s_k.
//!
//! Then dL/du_a = dL/dcos u_b, dL/du_b = dL/dcos u_a, and back through the normalization.
//! The O(n) scalar part runs in f64.

use super::mnrl::Normed;
use super::normalize::{axpy, dot};
use super::LossOut;
use crate::simd::Isa;
use crate::Oom;

fn lse2(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let m = a.max(b);
    m + ((a - m).exp() + (b - m).exp()).ln()
}

/// The CoSENT loss of scaled similarities `s` with scores `y` (finite); `ds` gets dL/ds.
pub fn cosent_scores(s: &[f64], y: &[f32], ds: Option<&mut [f64]>) -> f64 {
    let n = s.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| y[i].partial_cmp(&y[j]).unwrap_or(core::cmp::Ordering::Equal));
    // group boundaries in sorted order: start[k] = first position with y == y[order[k]], end[k] = one past the last
    let mut start = vec![0usize; n];
    let mut end = vec![0usize; n];
    let mut k = 0;
    while k < n {
        let mut e = k + 1;
        while e < n && y[order[e]] == y[order[k]] {
            e += 1;
        }
        for q in k..e {
            start[q] = k;
            end[q] = e;
        }
        k = e;
    }
    // suffix[q] = lse_{r >= q} (-s_r), prefix[q] = lse_{r < q} s_r (sorted positions)
    let mut suffix = vec![f64::NEG_INFINITY; n + 1];
    for q in (0..n).rev() {
        suffix[q] = lse2(suffix[q + 1], -s[order[q]]);
    }
    let mut prefix = vec![f64::NEG_INFINITY; n + 1];
    for q in 0..n {
        prefix[q + 1] = lse2(prefix[q], s[order[q]]);
    }
    let mut inner = vec![f64::NEG_INFINITY; n];
    let mut total = 0.0f64; // lse of 0 and every inner
    for q in 0..n {
        inner[q] = s[order[q]] + suffix[end[q]];
        total = lse2(total, inner[q]);
    }
    if let Some(ds) = ds {
        for q in 0..n {
            let i = order[q];
            let up = if inner[q] == f64::NEG_INFINITY { 0.0 } else { (inner[q] - total).exp() };
            let lo = prefix[start[q]];
            let down = if lo == f64::NEG_INFINITY { 0.0 } else { (lo - s[i] - total).exp() };
            ds[i] = up - down;
        }
    }
    total
}

/// `a`, `b`: n x d pairs, `y`: n scores. `grads`: (dL/da, dL/db), overwritten.
#[allow(clippy::too_many_arguments)]
pub fn cosent<I: Isa>(
    a: &[f32],
    b: &[f32],
    y: &[f32],
    n: usize,
    d: usize,
    tau: f32,
    grads: Option<(&mut [f32], &mut [f32])>,
) -> Result<LossOut, Oom> {
    let an = Normed::new::<I>(a, n, d)?;
    let bn = Normed::new::<I>(b, n, d)?;
    let inv_tau = 1.0 / tau as f64;
    let s: Vec<f64> = (0..n).map(|i| dot::<I>(&an.u[i * d..(i + 1) * d], &bn.u[i * d..(i + 1) * d]) as f64 * inv_tau).collect();
    let mut ds = vec![0.0f64; n];
    let loss = cosent_scores(&s, y, Some(&mut ds));
    let dtau = -inv_tau * ds.iter().zip(&s).map(|(g, v)| g * v).sum::<f64>();
    if let Some((ga, gb)) = grads {
        ga.fill(0.0);
        gb.fill(0.0);
        for i in 0..n {
            let dc = (ds[i] * inv_tau) as f32;
            axpy::<I>(dc, &bn.u[i * d..(i + 1) * d], &mut ga[i * d..(i + 1) * d]);
            axpy::<I>(dc, &an.u[i * d..(i + 1) * d], &mut gb[i * d..(i + 1) * d]);
        }
        an.backward::<I>(ga, d);
        bn.backward::<I>(gb, d);
    }
    Ok(LossOut { loss, dtau })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::oracle::rand_rows;
    use crate::loss::sentence_oracle::{check, lse, unit, Loss64};
    use crate::simd::scalar::Scalar4;

    /// The O(n^2) definition, as sentence-transformers 2.x wrote it.
    pub(crate) fn cosent64(x: &[Vec<f64>], y: &[f32], d: usize, tau: f64) -> f64 {
        let (a, b) = (unit(&x[0], d), unit(&x[1], d));
        let n = y.len();
        let s: Vec<f64> = (0..n).map(|i| (0..d).map(|k| a[i * d + k] * b[i * d + k]).sum::<f64>() / tau).collect();
        let mut terms = vec![0.0];
        for i in 0..n {
            for j in 0..n {
                if y[i] < y[j] {
                    terms.push(s[i] - s[j]);
                }
            }
        }
        lse(&terms)
    }

    #[test]
    fn ties_and_distinct_scores_match_the_pairwise_definition_and_finite_differences() {
        let cases: Vec<Vec<f32>> = vec![
            vec![0.3],
            vec![1.0, 0.0],
            vec![0.5, 0.5, 0.5, 0.5],
            vec![0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 0.2],
            vec![3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0],
        ];
        for y in &cases {
            for &d in &[1usize, 4, 33] {
                let n = y.len();
                let a = rand_rows(n, d, (n * 13 + d) as u64);
                let b = rand_rows(n, d, (n * 17 + d + 5) as u64);
                let (mut ga, mut gb) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
                let out = cosent::<Scalar4>(&a, &b, y, n, d, 0.05, Some((&mut ga, &mut gb))).unwrap();
                let f: Loss64 = &|x, t| cosent64(x, y, d, t);
                check(f, &[&a, &b], d, 0.05, out, &[&ga, &gb]);
            }
        }
    }

    #[test]
    fn all_scores_tied_give_zero_loss_and_zero_gradient() {
        let (n, d) = (5, 8);
        let a = rand_rows(n, d, 1);
        let b = rand_rows(n, d, 2);
        let (mut ga, mut gb) = (vec![1.0f32; n * d], vec![1.0f32; n * d]);
        let out = cosent::<Scalar4>(&a, &b, &[0.7; 5], n, d, 0.05, Some((&mut ga, &mut gb))).unwrap();
        assert_eq!(out.loss, 0.0);
        assert!(ga.iter().chain(&gb).all(|v| *v == 0.0));
    }

    #[test]
    fn large_scale_differences_do_not_overflow() {
        // scale 1e4: exp(s) would overflow f64 without the log-sum-exp
        let s = [300.0, -500.0, 800.0];
        let y = [0.0f32, 1.0, 0.5];
        let mut ds = [0.0f64; 3];
        let l = cosent_scores(&s, &y, Some(&mut ds));
        assert!(l.is_finite() && ds.iter().all(|v| v.is_finite()));
        assert!((l - 1300.0).abs() < 1e-9, "{l}"); // dominated by s_2 - s_1 (y_2 < y_1)
    }
}
