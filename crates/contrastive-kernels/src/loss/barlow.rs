//! Barlow Twins (Zbontar et al. 2021), as lightly's BarlowTwinsLoss: each view is standardized
//! per dimension over the batch (batch norm without affine: biased variance, eps = 1e-5), then
//!   C = a^T b / n  (d x d),   L = sum_j (1 - C_jj)^2 + lambda sum_{j != k} C_jk^2.
//! A constant dimension standardizes to 0 (eps keeps it finite): its C row and column are 0.

use super::pairdist::{vec64, with_views, Grads64};
use super::LossOut;
use crate::gemm::{gemm, Packs, Strided};
use crate::simd::Isa;
use crate::{try_vec, Oom, Scratch};

pub const BN_EPS: f64 = 1e-5;

/// Standardized columns of x (n x d) and each column's 1 / sqrt(var + eps).
pub fn standardize(x: &[f64], n: usize, d: usize, eps: f64) -> Result<(Vec<f64>, Vec<f64>), Oom> {
    let mut y = vec64(n * d)?;
    let mut invstd = vec64(d)?;
    for j in 0..d {
        let mean = (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64;
        let var = (0..n).map(|i| (x[i * d + j] - mean).powi(2)).sum::<f64>() / n as f64;
        let s = 1.0 / (var + eps).sqrt();
        invstd[j] = s;
        for i in 0..n {
            y[i * d + j] = (x[i * d + j] - mean) * s;
        }
    }
    Ok((y, invstd))
}

/// Batch-norm backward (no affine) in place: dx = invstd (dy - mean(dy) - y mean(dy * y)).
pub fn standardize_backward(dy: &mut [f64], y: &[f64], invstd: &[f64], n: usize, d: usize) {
    for j in 0..d {
        let m1 = (0..n).map(|i| dy[i * d + j]).sum::<f64>() / n as f64;
        let m2 = (0..n).map(|i| dy[i * d + j] * y[i * d + j]).sum::<f64>() / n as f64;
        for i in 0..n {
            dy[i * d + j] = invstd[j] * (dy[i * d + j] - m1 - y[i * d + j] * m2);
        }
    }
}

pub fn barlow64(a: &[f64], b: &[f64], n: usize, d: usize, lambda: f64, grads: Grads64) -> Result<(f64, f64), Oom> {
    let (x, sx) = standardize(a, n, d, BN_EPS)?;
    let (y, sy) = standardize(b, n, d, BN_EPS)?;
    let mut c = vec64(d * d)?;
    for i in 0..n {
        for j in 0..d {
            let xv = x[i * d + j] / n as f64;
            if xv == 0.0 {
                continue;
            }
            for k in 0..d {
                c[j * d + k] += xv * y[i * d + k];
            }
        }
    }
    let mut loss = 0.0;
    // G = dL/dC, overwriting c once the loss is taken
    for j in 0..d {
        for k in 0..d {
            let v = c[j * d + k];
            if j == k {
                loss += (v - 1.0) * (v - 1.0);
                c[j * d + k] = 2.0 * (v - 1.0);
            } else {
                loss += lambda * v * v;
                c[j * d + k] = 2.0 * lambda * v;
            }
        }
    }
    if let Some((ga, gb)) = grads {
        // dL/dx = y G^T / n, dL/dy = x G / n
        for i in 0..n {
            for j in 0..d {
                let (mut s1, mut s2) = (0.0, 0.0);
                for k in 0..d {
                    s1 += y[i * d + k] * c[j * d + k];
                    s2 += x[i * d + k] * c[k * d + j];
                }
                ga[i * d + j] = s1 / n as f64;
                gb[i * d + j] = s2 / n as f64;
            }
        }
        standardize_backward(ga, &x, &sx, n, d);
        standardize_backward(gb, &y, &sy, n, d);
    }
    Ok((loss, 0.0))
}

/// The kernel: standardization and its backward in f64, the three n x d x d products on the f32
/// GEMM (C = x^T y, dL/dx = y G^T, dL/dy = x G); [`barlow64`] (all f64) is its oracle.
pub fn barlow<I: Isa>(a: &[f32], b: &[f32], n: usize, d: usize, lambda: f32, grads: Option<(&mut [f32], &mut [f32])>) -> Result<LossOut, Oom> {
    let lambda = lambda as f64;
    with_views(a, b, grads, |a, b, g| {
        let (x, sx) = standardize(a, n, d, BN_EPS)?;
        let (y, sy) = standardize(b, n, d, BN_EPS)?;
        let narrow = |v: &[f64]| -> Result<Scratch, Oom> {
            let mut o = try_vec(v.len())?;
            for (o, i) in o.iter_mut().zip(v) {
                *o = *i as f32;
            }
            Ok(o)
        };
        let (xf, yf) = (narrow(&x)?, narrow(&y)?);
        let mut c = try_vec(d * d)?;
        let mut packs = Packs::new()?;
        gemm::<I>(d, d, n, Strided::transposed(&xf, d), Strided::rows(&yf, d), &mut c, d, &mut packs);
        let inv_n = 1.0 / n as f64;
        let mut loss = 0.0;
        for j in 0..d {
            for k in 0..d {
                let v = c[j * d + k] as f64 * inv_n;
                // G / n, ready for the products below
                let gjk = if j == k {
                    loss += (v - 1.0) * (v - 1.0);
                    2.0 * (v - 1.0)
                } else {
                    loss += lambda * v * v;
                    2.0 * lambda * v
                };
                c[j * d + k] = (gjk * inv_n) as f32;
            }
        }
        if let Some((ga, gb)) = g {
            let mut dx = try_vec(n * d)?;
            let mut dy = try_vec(n * d)?;
            gemm::<I>(n, d, d, Strided::rows(&yf, d), Strided::transposed(&c, d), &mut dx, d, &mut packs);
            gemm::<I>(n, d, d, Strided::rows(&xf, d), Strided::rows(&c, d), &mut dy, d, &mut packs);
            for k in 0..n * d {
                ga[k] = dx[k] as f64;
                gb[k] = dy[k] as f64;
            }
            standardize_backward(ga, &x, &sx, n, d);
            standardize_backward(gb, &y, &sy, n, d);
        }
        Ok((loss, 0.0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::pairdist::fd::{max_rel_err, randn};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn the_gemm_kernel_matches_the_f64_oracle() {
        for &(n, d) in &[(2usize, 3usize), (33, 17), (64, 40)] {
            let z = randn(2 * n * d, (n * d) as u64);
            let zf: Vec<f32> = z.iter().map(|v| *v as f32).collect();
            let z64: Vec<f64> = zf.iter().map(|v| *v as f64).collect();
            let (mut ga, mut gb) = (vec![0.0; n * d], vec![0.0; n * d]);
            let (want, _) = barlow64(&z64[..n * d], &z64[n * d..], n, d, 5e-3, Some((&mut ga, &mut gb))).unwrap();
            let (mut fa, mut fb) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
            let got = barlow::<Scalar4>(&zf[..n * d], &zf[n * d..], n, d, 5e-3, Some((&mut fa, &mut fb))).unwrap();
            assert!((got.loss - want).abs() < 1e-5 * (1.0 + want.abs()), "{} vs {want}", got.loss);
            let scale = ga.iter().chain(&gb).fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in fa.iter().chain(&fb).zip(ga.iter().chain(&gb)) {
                assert!((*g as f64 - w).abs() < 1e-5 * scale, "{g} vs {w}");
            }
        }
    }

    #[test]
    fn gradient_matches_finite_differences_including_batch_of_two() {
        for &(n, d) in &[(2usize, 3usize), (6, 4), (9, 1)] {
            let z = randn(2 * n * d, (n + 7 * d) as u64);
            let (mut ga, mut gb) = (vec![0.0; n * d], vec![0.0; n * d]);
            barlow64(&z[..n * d], &z[n * d..], n, d, 5e-3, Some((&mut ga, &mut gb))).unwrap();
            let g: Vec<f64> = ga.iter().chain(&gb).cloned().collect();
            let err = max_rel_err(&z, &g, &|x: &[f64]| barlow64(&x[..n * d], &x[n * d..], n, d, 5e-3, None).unwrap().0);
            assert!(err < 1e-5, "n {n} d {d}: {err}");
        }
    }

    #[test]
    fn a_constant_dimension_stays_finite() {
        let (n, d) = (5, 3);
        let mut a: Vec<f32> = randn(n * d, 1).iter().map(|v| *v as f32).collect();
        let b: Vec<f32> = randn(n * d, 2).iter().map(|v| *v as f32).collect();
        for i in 0..n {
            a[i * d + 1] = 0.7;
        }
        let (mut ga, mut gb) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
        let out = barlow::<Scalar4>(&a, &b, n, d, 5e-3, Some((&mut ga, &mut gb))).unwrap();
        assert!(out.loss.is_finite() && out.loss >= 1.0); // C_11 = 0 costs (1 - 0)^2
        assert!(ga.iter().chain(&gb).all(|v| v.is_finite()));
    }
}
