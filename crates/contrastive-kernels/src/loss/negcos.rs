//! Negative cosine similarity (SimSiam, BYOL), as lightly's NegativeCosineSimilarity:
//!   L = -1/n sum_i (a_i / max(||a_i||, eps)) . (b_i / max(||b_i||, eps)),  eps = 1e-8.
//! BYOL's 2 - 2 cos is 2 + 2 L: the same gradient up to the factor 2.

use super::pairdist::{normalize_backward_eps, rows64_eps, with_views, Grads64};
use super::LossOut;
use crate::Oom;

pub const EPS: f64 = 1e-8;

pub fn negcos64(a: &[f64], b: &[f64], n: usize, d: usize, grads: Grads64) -> Result<(f64, f64), Oom> {
    let (u, nu) = rows64_eps(a, n, d, true, EPS)?;
    let (v, nv) = rows64_eps(b, n, d, true, EPS)?;
    let inv = 1.0 / n as f64;
    let mut loss = 0.0;
    for i in 0..n {
        loss -= inv * u[i * d..(i + 1) * d].iter().zip(&v[i * d..(i + 1) * d]).map(|(x, y)| x * y).sum::<f64>();
    }
    if let Some((ga, gb)) = grads {
        for k in 0..n * d {
            ga[k] = -inv * v[k];
            gb[k] = -inv * u[k];
        }
        normalize_backward_eps(ga, &u, &nu, a, d, EPS);
        normalize_backward_eps(gb, &v, &nv, b, d, EPS);
    }
    Ok((loss, 0.0))
}

pub fn negcos(a: &[f32], b: &[f32], n: usize, d: usize, grads: Option<(&mut [f32], &mut [f32])>) -> Result<LossOut, Oom> {
    with_views(a, b, grads, |a, b, g| negcos64(a, b, n, d, g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::pairdist::fd::{max_rel_err, randn};

    #[test]
    fn gradient_matches_finite_differences() {
        let (n, d) = (4, 6);
        let z = randn(2 * n * d, 9);
        let (mut ga, mut gb) = (vec![0.0; n * d], vec![0.0; n * d]);
        let (l, _) = negcos64(&z[..n * d], &z[n * d..], n, d, Some((&mut ga, &mut gb))).unwrap();
        assert!(l.abs() <= 1.0);
        let g: Vec<f64> = ga.iter().chain(&gb).cloned().collect();
        let err = max_rel_err(&z, &g, &|x: &[f64]| negcos64(&x[..n * d], &x[n * d..], n, d, None).unwrap().0);
        assert!(err < 1e-7, "{err}");
    }

    #[test]
    fn a_zero_row_gives_zero_similarity_not_nan() {
        let a = [0.0f32, 0.0, 1.0, 2.0];
        let b = [1.0f32, 1.0, 2.0, 4.0];
        let (mut ga, mut gb) = ([0.0f32; 4], [0.0f32; 4]);
        let out = negcos(&a, &b, 2, 2, Some((&mut ga, &mut gb))).unwrap();
        assert!((out.loss + 0.5).abs() < 1e-7);
        assert!(ga.iter().chain(&gb).all(|v| v.is_finite()));
    }
}
