//! Supervised contrastive loss (Khosla et al. 2020, L_out), labels dense in 0..rows.
//! P(i) = { k != i : y_k = y_i },  A = { i : |P(i)| > 0 },
//!   L = 1/|A| sum_{i in A} -1/|P(i)| sum_{p in P(i)} [ l_ip - lse_{k != i} l_ik ].
//! Anchors without positives are left out of the mean; with no anchor at all, L = 0.

use super::cache::budget_bytes;
use super::core::Targets;
use super::normalize;
use super::selfsim::run_self;
use super::LossOut;
use crate::simd::Isa;
use crate::{try_vec, Oom};

/// `labels[i] < rows` (the caller maps labels to dense ids). `gz`, when given, receives dL/dz.
pub fn supcon<I: Isa>(
    z: &[f32],
    labels: &[u32],
    rows: usize,
    d: usize,
    tau: f32,
    gz: Option<&mut [f32]>,
) -> Result<LossOut, Oom> {
    let mut count = vec![0u32; rows];
    for &l in labels {
        count[l as usize] += 1;
    }
    let anchors = labels.iter().filter(|&&l| count[l as usize] > 1).count();
    let w = if anchors > 0 { 1.0 / anchors as f32 } else { 0.0 };
    let weight: Vec<f32> = labels.iter().map(|&l| if count[l as usize] > 1 { w } else { 0.0 }).collect();
    let mut u = try_vec(rows * d)?;
    let mut inv = try_vec(rows)?;
    let mut clamped = vec![false; rows];
    normalize::forward::<I>(z, rows, d, &mut u, &mut inv, &mut clamped);
    match gz {
        None => run_self::<I>(&u, rows, d, Targets::Labels { labels, count: &count }, &weight, 1.0 / tau, None, 0),
        Some(g) => {
            g.fill(0.0);
            let out = run_self::<I>(
                &u,
                rows,
                d,
                Targets::Labels { labels, count: &count },
                &weight,
                1.0 / tau,
                Some(&mut *g),
                budget_bytes(),
            )?;
            normalize::backward::<I>(g, &u, rows, d, &inv, &clamped);
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::ntxent::ntxent;
    use crate::loss::oracle::{check_grads, rand_rows, Family};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn matches_oracle_with_multi_positives_and_singletons() {
        for &d in &[1usize, 3, 5, 17, 129] {
            for labels in [vec![0u32, 0, 1, 1], vec![0, 1, 0, 2, 1, 3, 0], vec![2, 2, 2, 2, 2]] {
                let rows = labels.len();
                let z = rand_rows(rows, d, (d * 3 + rows) as u64);
                let mut g = vec![0.0f32; rows * d];
                let out = supcon::<Scalar4>(&z, &labels, rows, d, 0.3, Some(&mut g)).unwrap();
                assert_eq!(out, supcon::<Scalar4>(&z, &labels, rows, d, 0.3, None).unwrap());
                check_grads(&Family::SupCon(labels.clone()), &[&z], d, 0.3, out, &[&g]);
            }
        }
    }

    #[test]
    fn sample_id_labels_equal_ntxent() {
        let (n, d) = (6, 10);
        let z = rand_rows(2 * n, d, 77);
        let labels: Vec<u32> = (0..2 * n as u32).map(|i| i % n as u32).collect();
        let (mut g1, mut g2) = (vec![0.0f32; z.len()], vec![0.0f32; z.len()]);
        let a = supcon::<Scalar4>(&z, &labels, 2 * n, d, 0.1, Some(&mut g1)).unwrap();
        let b = ntxent::<Scalar4>(&z, 2 * n, d, 0.1, Some(&mut g2)).unwrap();
        assert!((a.loss - b.loss).abs() < 1e-5 && (a.dtau - b.dtau).abs() < 1e-4);
        for (x, y) in g1.iter().zip(&g2) {
            assert!((x - y).abs() < 1e-5);
        }
    }

    #[test]
    fn all_singleton_labels_give_zero_loss_not_nan() {
        let z = rand_rows(4, 3, 1);
        let mut g = vec![1.0f32; 12];
        let out = supcon::<Scalar4>(&z, &[0, 1, 2, 3], 4, 3, 0.1, Some(&mut g)).unwrap();
        assert_eq!(out.loss, 0.0);
        assert!(g.iter().all(|v| *v == 0.0));
    }
}
