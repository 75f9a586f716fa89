//! Multi-similarity loss (Wang et al. 2019) with its pair miner, as pytorch-metric-learning
//! defines them (MultiSimilarityLoss, MultiSimilarityMiner, cosine similarity S = x_i . x_j on
//! L2-normalized rows).
//!
//! Miner (epsilon e; P_i, N_i the positive and negative pairs of anchor i, i excluded):
//!   keep (i, p) in P_i when S_ip - e < max_{n in N_i} S_in,
//!   keep (i, n) in N_i when S_in + e > min_{p in P_i} S_ip
//! (an anchor without negatives keeps no positive pair, and vice versa).
//! Loss over the kept pairs (all pairs without the miner), mean over every row i:
//!   L_i = 1/alpha log(1 + sum_{p} exp(-alpha (S_ip - base))) + 1/beta log(1 + sum_{n} exp(beta (S_in - base))),
//!   L = 1/rows sum_i L_i.
//! Each log(1 + sum exp) is evaluated as a log-sum-exp with the 1 as exp(0), so no term overflows.

use super::pairdist::{with_matrix, Metric};
use super::LossOut;
use crate::Oom;

#[derive(Debug, Clone, Copy)]
pub struct MultiSimOpts {
    pub alpha: f64,
    pub beta: f64,
    pub base: f64,
    /// The miner's epsilon; None = no miner (every pair).
    pub epsilon: Option<f64>,
}

/// Which pairs the miner keeps: (keep_pos, keep_neg) as rows x rows masks.
pub fn mine(s: &[f64], labels: &[u32], epsilon: Option<f64>) -> (Vec<bool>, Vec<bool>) {
    let rows = labels.len();
    let mut pos = vec![false; rows * rows];
    let mut neg = vec![false; rows * rows];
    for i in 0..rows {
        let (mut max_neg, mut min_pos) = (f64::NEG_INFINITY, f64::INFINITY);
        for j in 0..rows {
            if j == i {
                continue;
            }
            let v = s[i * rows + j];
            if labels[j] == labels[i] {
                min_pos = min_pos.min(v);
            } else {
                max_neg = max_neg.max(v);
            }
        }
        for j in 0..rows {
            if j == i {
                continue;
            }
            let v = s[i * rows + j];
            if labels[j] == labels[i] {
                pos[i * rows + j] = match epsilon {
                    None => true,
                    Some(e) => v - e < max_neg,
                };
            } else {
                neg[i * rows + j] = match epsilon {
                    None => true,
                    Some(e) => v + e > min_pos,
                };
            }
        }
    }
    // (PML's miner returns no pair at all when the batch lacks positive or negative pairs: the
    // rule above already keeps none then, since every anchor lacks one side)
    (pos, neg)
}

/// log(1 + sum_j exp(k t_j)) over the kept j (the 1 as exp(0) inside one log-sum-exp).
fn soft_term(row: impl Iterator<Item = f64> + Clone, k: f64) -> f64 {
    let m = row.clone().fold(0.0f64, |m, t| m.max(k * t));
    let sum = (-m).exp() + row.map(|t| (k * t - m).exp()).sum::<f64>();
    sum.ln() + m
}

pub fn multisim_on_matrix(s: &[f64], labels: &[u32], o: &MultiSimOpts, gm: Option<&mut [f64]>) -> f64 {
    let rows = labels.len();
    let (pos, neg) = mine(s, labels, o.epsilon);
    let mut total = 0.0;
    let mut gm = gm;
    let inv_rows = 1.0 / rows as f64;
    for i in 0..rows {
        let r = i * rows..(i + 1) * rows;
        // positive part: t_p = base - S_ip, scale alpha; negative part: t_n = S_in - base, scale beta
        let pos_t = r.clone().filter(|&k| pos[k]).map(|k| o.base - s[k]);
        let neg_t = r.clone().filter(|&k| neg[k]).map(|k| s[k] - o.base);
        let lp = soft_term(pos_t, o.alpha);
        let ln = soft_term(neg_t, o.beta);
        total += lp / o.alpha + ln / o.beta;
        if let Some(g) = gm.as_deref_mut() {
            for k in r {
                if pos[k] {
                    // d/dS of (1/alpha) lse: -exp(alpha t - lse)
                    g[k] -= (o.alpha * (o.base - s[k]) - lp).exp() * inv_rows;
                } else if neg[k] {
                    g[k] += (o.beta * (s[k] - o.base) - ln).exp() * inv_rows;
                }
            }
        }
    }
    total * inv_rows
}

pub fn multisim(z: &[f32], labels: &[u32], rows: usize, d: usize, o: &MultiSimOpts, gz: Option<&mut [f32]>) -> Result<LossOut, Oom> {
    let loss = with_matrix(z, rows, d, Metric::Dot, true, gz, |m, gm| multisim_on_matrix(m, labels, o, gm))?;
    Ok(LossOut { loss, dtau: 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::pairdist::fd::{max_rel_err, randn};
    use crate::loss::pairdist::with_matrix64;

    fn loss64(z: &[f64], labels: &[u32], d: usize, o: &MultiSimOpts, g: Option<&mut [f64]>) -> f64 {
        with_matrix64(z, labels.len(), d, Metric::Dot, true, g, |m, gm| multisim_on_matrix(m, labels, o, gm)).unwrap()
    }

    #[test]
    fn gradient_matches_finite_differences_with_and_without_the_miner() {
        let labels = [0u32, 1, 0, 2, 1, 0, 2, 1, 3];
        let d = 4;
        let z = randn(labels.len() * d, 11);
        for epsilon in [None, Some(0.1), Some(0.5)] {
            let o = MultiSimOpts { alpha: 2.0, beta: 50.0, base: 0.5, epsilon };
            let mut g = vec![0.0; z.len()];
            let l = loss64(&z, &labels, d, &o, Some(&mut g));
            assert!(l.is_finite() && l > 0.0);
            let err = max_rel_err(&z, &g, &|x| loss64(x, &labels, d, &o, None));
            assert!(err < 1e-5, "{epsilon:?}: {err}");
        }
    }

    #[test]
    fn large_beta_does_not_overflow() {
        let z: Vec<f32> = randn(6 * 3, 2).iter().map(|v| *v as f32).collect();
        let o = MultiSimOpts { alpha: 2.0, beta: 5000.0, base: -1.0, epsilon: None };
        let mut g = vec![0.0f32; 18];
        let out = multisim(&z, &[0, 1, 0, 1, 2, 2], 6, 3, &o, Some(&mut g)).unwrap();
        assert!(out.loss.is_finite() && g.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn all_same_labels_leave_the_miner_no_pair_and_give_zero_not_nan() {
        let z: Vec<f32> = randn(4 * 3, 5).iter().map(|v| *v as f32).collect();
        let mined = MultiSimOpts { alpha: 2.0, beta: 50.0, base: 0.5, epsilon: Some(0.1) };
        let mut g = vec![1.0f32; 12];
        let out = multisim(&z, &[7, 7, 7, 7], 4, 3, &mined, Some(&mut g)).unwrap();
        assert_eq!(out.loss, 0.0);
        assert!(g.iter().all(|v| *v == 0.0));
    }
}
