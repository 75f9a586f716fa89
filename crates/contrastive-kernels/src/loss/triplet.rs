//! Triplet margin loss over the rows of a labeled batch, with the miners of
//! pytorch-metric-learning (PML) and of sentence-transformers (ST).
//!
//! With D the pairwise distance matrix (pairdist.rs: Euclidean on optionally normalized rows,
//! or cosine distance 1 - cos), a triplet (a, p, n) has y_a = y_p, a != p, y_n != y_a, and
//!   l(a, p, n) = max(0, D_ap - D_an + margin).
//! The mining picks the triplets T (t = D_an - D_ap, m' the miner's margin):
//!   All           every triplet                                  (PML TripletMarginLoss, no miner;
//!                                                                 ST BatchAllTripletLoss)
//!   Hard          t <= m' and t <= 0                             (PML TripletMarginMiner "hard")
//!   SemiHard      0 < t <= m'                                     (PML TripletMarginMiner "semihard")
//!   Easy          t > m'                                          (PML TripletMarginMiner "easy")
//!   BatchHard     per anchor: p = argmax D_ap, n = argmin D_an     (PML BatchHardMiner; ST BatchHardTripletLoss)
//!   BatchSemiHard per positive pair (a, p): n = argmin { D_an : D_an > D_ap }, or argmax D_an when
//!                 no negative is farther than p                    (ST BatchSemiHardTripletLoss, FaceNet)
//! Reduction: MeanNonZero = sum / #{l > 0} (PML's AvgNonZeroReducer), Mean = sum / |T|.
//! No triplet (or no positive term) gives L = 0 and a zero gradient. The selection is a
//! constant of the backward pass, as under autograd.

use super::pairdist::{with_matrix, Metric};
use super::LossOut;
use crate::Oom;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mining {
    All,
    Hard,
    SemiHard,
    Easy,
    BatchHard,
    BatchSemiHard,
}

impl Mining {
    pub fn from_code(c: u32) -> Option<Mining> {
        Some(match c {
            0 => Mining::All,
            1 => Mining::Hard,
            2 => Mining::SemiHard,
            3 => Mining::Easy,
            4 => Mining::BatchHard,
            5 => Mining::BatchSemiHard,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TripletOpts {
    pub margin: f64,
    pub metric: Metric,
    /// L2-normalize rows before Euclidean distances (PML's default; ST's is raw rows).
    pub normalize: bool,
    pub mining: Mining,
    pub miner_margin: f64,
    /// false: MeanNonZero; true: Mean.
    pub mean_all: bool,
}

/// Calls `f(a, p, n)` for every mined triplet of the distance matrix `m`.
pub fn for_each_triplet(m: &[f64], labels: &[u32], o: &TripletOpts, mut f: impl FnMut(usize, usize, usize)) {
    let rows = labels.len();
    let at = |i: usize, j: usize| m[i * rows + j];
    match o.mining {
        Mining::All | Mining::Hard | Mining::SemiHard | Mining::Easy => {
            for a in 0..rows {
                for p in 0..rows {
                    if p == a || labels[p] != labels[a] {
                        continue;
                    }
                    for n in 0..rows {
                        if labels[n] == labels[a] {
                            continue;
                        }
                        let t = at(a, n) - at(a, p);
                        let keep = match o.mining {
                            Mining::All => true,
                            Mining::Hard => t <= o.miner_margin && t <= 0.0,
                            Mining::SemiHard => t <= o.miner_margin && t > 0.0,
                            _ => t > o.miner_margin,
                        };
                        if keep {
                            f(a, p, n);
                        }
                    }
                }
            }
        }
        Mining::BatchHard => {
            for a in 0..rows {
                let (mut hp, mut hn): (Option<usize>, Option<usize>) = (None, None);
                for j in 0..rows {
                    if j == a {
                        continue;
                    }
                    if labels[j] == labels[a] {
                        if hp.is_none_or(|p| at(a, j) > at(a, p)) {
                            hp = Some(j);
                        }
                    } else if hn.is_none_or(|n| at(a, j) < at(a, n)) {
                        hn = Some(j);
                    }
                }
                if let (Some(p), Some(n)) = (hp, hn) {
                    f(a, p, n);
                }
            }
        }
        Mining::BatchSemiHard => {
            for a in 0..rows {
                for p in 0..rows {
                    if p == a || labels[p] != labels[a] {
                        continue;
                    }
                    let (mut outside, mut inside): (Option<usize>, Option<usize>) = (None, None);
                    for n in 0..rows {
                        if labels[n] == labels[a] {
                            continue;
                        }
                        if at(a, n) > at(a, p) && outside.is_none_or(|o| at(a, n) < at(a, o)) {
                            outside = Some(n);
                        }
                        if inside.is_none_or(|i| at(a, n) > at(a, i)) {
                            inside = Some(n);
                        }
                    }
                    if let Some(n) = outside.or(inside) {
                        f(a, p, n);
                    }
                }
            }
        }
    }
}

/// The loss on a distance matrix; fills d L / d M when `gm` is given.
pub fn triplet_on_matrix(m: &[f64], labels: &[u32], o: &TripletOpts, gm: Option<&mut [f64]>) -> f64 {
    let rows = labels.len();
    let (mut sum, mut nonzero, mut total) = (0.0f64, 0usize, 0usize);
    for_each_triplet(m, labels, o, |a, p, n| {
        let l = m[a * rows + p] - m[a * rows + n] + o.margin;
        total += 1;
        if l > 0.0 {
            sum += l;
            nonzero += 1;
        }
    });
    let count = if o.mean_all { total } else { nonzero };
    if count == 0 || nonzero == 0 {
        return 0.0;
    }
    let w = 1.0 / count as f64;
    if let Some(gm) = gm {
        for_each_triplet(m, labels, o, |a, p, n| {
            if m[a * rows + p] - m[a * rows + n] + o.margin > 0.0 {
                gm[a * rows + p] += w;
                gm[a * rows + n] -= w;
            }
        });
    }
    sum * w
}

/// `labels` any u32 (compared for equality only). `gz`, when given, receives dL/dz.
pub fn triplet(z: &[f32], labels: &[u32], rows: usize, d: usize, o: &TripletOpts, gz: Option<&mut [f32]>) -> Result<LossOut, Oom> {
    let loss = with_matrix(z, rows, d, o.metric, o.normalize, gz, |m, gm| triplet_on_matrix(m, labels, o, gm))?;
    Ok(LossOut { loss, dtau: 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::pairdist::fd::{max_rel_err, randn};
    use crate::loss::pairdist::with_matrix64;

    fn opts(mining: Mining, metric: Metric, normalize: bool, mean_all: bool) -> TripletOpts {
        TripletOpts { margin: 0.3, metric, normalize, mining, miner_margin: 0.2, mean_all }
    }

    fn loss64(z: &[f64], labels: &[u32], d: usize, o: &TripletOpts, g: Option<&mut [f64]>) -> f64 {
        with_matrix64(z, labels.len(), d, o.metric, o.normalize, g, |m, gm| triplet_on_matrix(m, labels, o, gm)).unwrap()
    }

    #[test]
    fn gradient_matches_finite_differences_for_every_miner_and_metric() {
        let labels = [0u32, 1, 0, 2, 1, 0, 2, 1];
        let d = 5;
        let z = randn(labels.len() * d, 3);
        for mining in [Mining::All, Mining::Hard, Mining::SemiHard, Mining::Easy, Mining::BatchHard, Mining::BatchSemiHard] {
            for (metric, normalize) in [(Metric::Euclidean, true), (Metric::Euclidean, false), (Metric::Cosine, true)] {
                for mean_all in [false, true] {
                    let o = opts(mining, metric, normalize, mean_all);
                    let mut g = vec![0.0; z.len()];
                    let l = loss64(&z, &labels, d, &o, Some(&mut g));
                    assert!(l.is_finite());
                    let err = max_rel_err(&z, &g, &|x| loss64(x, &labels, d, &o, None));
                    assert!(err < 1e-5, "{mining:?} {metric:?} {normalize} {mean_all}: {err}");
                }
            }
        }
    }

    #[test]
    fn all_same_labels_have_no_triplet_and_give_zero_not_nan() {
        let z: Vec<f32> = randn(12, 1).iter().map(|v| *v as f32).collect();
        let mut g = vec![1.0f32; 12];
        let o = opts(Mining::All, Metric::Euclidean, true, false);
        let out = triplet(&z, &[4, 4, 4, 4], 4, 3, &o, Some(&mut g)).unwrap();
        assert_eq!(out.loss, 0.0);
        assert!(g.iter().all(|v| *v == 0.0));
    }

    #[test]
    fn batch_hard_picks_the_farthest_positive_and_nearest_negative() {
        // 1-d points: anchor 0 at 0, positives at 1 and 3, negatives at 2 and 5
        let z = [0.0f32, 1.0, 3.0, 2.0, 5.0];
        let labels = [0u32, 0, 0, 1, 1];
        let o = TripletOpts { margin: 0.5, metric: Metric::Euclidean, normalize: false, mining: Mining::BatchHard, miner_margin: 0.0, mean_all: true };
        let rows = 5;
        let m: Vec<f64> = (0..25).map(|k| ((z[k / 5] - z[k % 5]) as f64).abs()).collect();
        let mut seen = vec![];
        for_each_triplet(&m, &labels, &o, |a, p, n| seen.push((a, p, n)));
        assert_eq!(seen[0], (0, 2, 3));
        assert_eq!(seen.len(), rows);
    }
}
