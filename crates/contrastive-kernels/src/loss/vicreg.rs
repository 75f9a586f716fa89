//! VICReg (Bardes et al. 2022), as lightly's VICRegLoss, with a, b the two views (n x d, n >= 2):
//!   inv = 1/(n d) sum (a - b)^2
//!   var = 1/2 (v(a) + v(b)),  v(x) = 1/d sum_j max(0, 1 - sqrt(Var_j(x) + eps))  (unbiased variance)
//!   cov = c(a) + c(b),        c(x) = 1/d sum_{j != k} Cov(x)_jk^2,  Cov = x_c^T x_c / (n - 1)
//!   L = lambda inv + mu var + nu cov   (published weights 25, 25, 1; eps = 1e-4).
//! A constant dimension has std sqrt(eps): its hinge is active with a zero gradient (x - mean = 0).

use super::pairdist::{vec64, with_views, Grads64};
use super::LossOut;
use crate::gemm::{gemm, Packs, Strided};
use crate::simd::Isa;
use crate::{try_vec, Oom};

#[derive(Debug, Clone, Copy)]
pub struct VicRegOpts {
    pub lambda: f64,
    pub mu: f64,
    pub nu: f64,
    pub eps: f64,
}

/// (mu * v(x) / 2 + nu * c(x)) of one view, and its gradient added into g.
fn var_cov(x: &[f64], n: usize, d: usize, o: &VicRegOpts, g: Option<&mut [f64]>) -> Result<f64, Oom> {
    let mut xc = vec64(n * d)?;
    for j in 0..d {
        let mean = (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64;
        for i in 0..n {
            xc[i * d + j] = x[i * d + j] - mean;
        }
    }
    let m1 = (n - 1) as f64;
    let mut cov = vec64(d * d)?;
    for i in 0..n {
        for j in 0..d {
            let v = xc[i * d + j] / m1;
            for k in 0..d {
                cov[j * d + k] += v * xc[i * d + k];
            }
        }
    }
    let mut v_loss = 0.0;
    let mut c_loss = 0.0;
    let mut dstd = vec64(d)?; // d L / d xc_ij for the variance term = dstd[j] * xc_ij
    for j in 0..d {
        let std = (cov[j * d + j] + o.eps).sqrt();
        if 1.0 - std > 0.0 {
            v_loss += (1.0 - std) / d as f64;
            // d/dVar of -mu/2 * std/d = -mu/(4 d std); dVar/dxc = 2 xc / (n-1)
            dstd[j] = -o.mu / (2.0 * d as f64 * std) / m1;
        }
        for k in 0..d {
            if k != j {
                c_loss += cov[j * d + k] * cov[j * d + k] / d as f64;
            }
        }
    }
    if let Some(g) = g {
        // cov term: dL/dCov_jk = 2 nu Cov_jk / d (j != k); dL/dxc = xc (G + G^T) / (n-1) = 2 xc G / (n-1)
        for i in 0..n {
            for j in 0..d {
                let mut s = 0.0;
                for k in 0..d {
                    if k != j {
                        s += xc[i * d + k] * cov[k * d + j];
                    }
                }
                g[i * d + j] += 4.0 * o.nu * s / (d as f64 * m1) + dstd[j] * xc[i * d + j];
            }
        }
        // through the centering: subtract each column's mean gradient
        for j in 0..d {
            let mean = (0..n).map(|i| g[i * d + j]).sum::<f64>() / n as f64;
            for i in 0..n {
                g[i * d + j] -= mean;
            }
        }
    }
    Ok(o.mu * 0.5 * v_loss + o.nu * c_loss)
}

pub fn vicreg64(a: &[f64], b: &[f64], n: usize, d: usize, o: &VicRegOpts, grads: Grads64) -> Result<(f64, f64), Oom> {
    let inv_nd = 1.0 / (n * d) as f64;
    let inv: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() * inv_nd;
    let mut loss = o.lambda * inv;
    match grads {
        None => {
            loss += var_cov(a, n, d, o, None)? + var_cov(b, n, d, o, None)?;
        }
        Some((ga, gb)) => {
            // var_cov adds into g, whose column means it then removes: the invariance part has to be added after
            ga.iter_mut().for_each(|v| *v = 0.0);
            gb.iter_mut().for_each(|v| *v = 0.0);
            loss += var_cov(a, n, d, o, Some(&mut *ga))? + var_cov(b, n, d, o, Some(&mut *gb))?;
            for k in 0..n * d {
                let t = 2.0 * o.lambda * (a[k] - b[k]) * inv_nd;
                ga[k] += t;
                gb[k] -= t;
            }
        }
    }
    Ok((loss, 0.0))
}

/// [`var_cov`] with its two n x d x d products (Cov = x_c^T x_c, and x_c Cov') on the f32 GEMM.
fn var_cov_gemm<I: Isa>(x: &[f64], n: usize, d: usize, o: &VicRegOpts, g: Option<&mut [f64]>) -> Result<f64, Oom> {
    let mut xc = try_vec(n * d)?;
    let mut xc64 = vec64(n * d)?;
    for j in 0..d {
        let mean = (0..n).map(|i| x[i * d + j]).sum::<f64>() / n as f64;
        for i in 0..n {
            xc64[i * d + j] = x[i * d + j] - mean;
            xc[i * d + j] = xc64[i * d + j] as f32;
        }
    }
    let m1 = (n - 1) as f64;
    let mut cov = try_vec(d * d)?;
    let mut packs = Packs::new()?;
    gemm::<I>(d, d, n, Strided::transposed(&xc, d), Strided::rows(&xc, d), &mut cov, d, &mut packs);
    let (mut v_loss, mut c_loss) = (0.0, 0.0);
    let mut dstd = vec64(d)?;
    for j in 0..d {
        // the variance in f64 (the hinge is sensitive near std = 1)
        let var = (0..n).map(|i| xc64[i * d + j] * xc64[i * d + j]).sum::<f64>() / m1;
        let std = (var + o.eps).sqrt();
        if 1.0 - std > 0.0 {
            v_loss += (1.0 - std) / d as f64;
            dstd[j] = -o.mu / (2.0 * d as f64 * std) / m1;
        }
        for k in 0..d {
            if k != j {
                let c = cov[j * d + k] as f64 / m1;
                c_loss += c * c / d as f64;
            }
        }
    }
    if let Some(g) = g {
        // Cov' = Cov off the diagonal, scaled so that x_c Cov' is the covariance term's gradient
        let s = 4.0 * o.nu / (d as f64 * m1 * m1);
        for j in 0..d {
            for k in 0..d {
                cov[j * d + k] = if j == k { 0.0 } else { (cov[j * d + k] as f64 * s) as f32 };
            }
        }
        let mut gc = try_vec(n * d)?;
        gemm::<I>(n, d, d, Strided::rows(&xc, d), Strided::rows(&cov, d), &mut gc, d, &mut packs);
        for k in 0..n * d {
            g[k] += gc[k] as f64 + dstd[k % d] * xc64[k];
        }
        for j in 0..d {
            let mean = (0..n).map(|i| g[i * d + j]).sum::<f64>() / n as f64;
            for i in 0..n {
                g[i * d + j] -= mean;
            }
        }
    }
    Ok(o.mu * 0.5 * v_loss + o.nu * c_loss)
}

/// The kernel: [`vicreg64`] with the covariance products on the f32 GEMM.
pub fn vicreg<I: Isa>(a: &[f32], b: &[f32], n: usize, d: usize, o: &VicRegOpts, grads: Option<(&mut [f32], &mut [f32])>) -> Result<LossOut, Oom> {
    with_views(a, b, grads, |a, b, g| {
        let inv_nd = 1.0 / (n * d) as f64;
        let inv: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() * inv_nd;
        let mut loss = o.lambda * inv;
        match g {
            None => loss += var_cov_gemm::<I>(a, n, d, o, None)? + var_cov_gemm::<I>(b, n, d, o, None)?,
            Some((ga, gb)) => {
                ga.iter_mut().for_each(|v| *v = 0.0);
                gb.iter_mut().for_each(|v| *v = 0.0);
                loss += var_cov_gemm::<I>(a, n, d, o, Some(&mut *ga))? + var_cov_gemm::<I>(b, n, d, o, Some(&mut *gb))?;
                for k in 0..n * d {
                    let t = 2.0 * o.lambda * (a[k] - b[k]) * inv_nd;
                    ga[k] += t;
                    gb[k] -= t;
                }
            }
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
            let zf: Vec<f32> = randn(2 * n * d, (n + d) as u64).iter().map(|v| (0.4 * v) as f32).collect();
            let z64: Vec<f64> = zf.iter().map(|v| *v as f64).collect();
            let (mut ga, mut gb) = (vec![0.0; n * d], vec![0.0; n * d]);
            let (want, _) = vicreg64(&z64[..n * d], &z64[n * d..], n, d, &O, Some((&mut ga, &mut gb))).unwrap();
            let (mut fa, mut fb) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
            let got = vicreg::<Scalar4>(&zf[..n * d], &zf[n * d..], n, d, &O, Some((&mut fa, &mut fb))).unwrap();
            assert!((got.loss - want).abs() < 1e-5 * (1.0 + want.abs()), "{} vs {want}", got.loss);
            let scale = ga.iter().chain(&gb).fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in fa.iter().chain(&fb).zip(ga.iter().chain(&gb)) {
                assert!((*g as f64 - w).abs() < 1e-5 * scale, "{g} vs {w}");
            }
        }
    }

    const O: VicRegOpts = VicRegOpts { lambda: 25.0, mu: 25.0, nu: 1.0, eps: 1e-4 };

    #[test]
    fn gradient_matches_finite_differences_including_batch_of_two() {
        for &(n, d) in &[(2usize, 3usize), (6, 4), (9, 1)] {
            // scale 0.3: most stds below 1, so the hinge is active
            let z: Vec<f64> = randn(2 * n * d, (3 * n + d) as u64).iter().map(|v| 0.3 * v).collect();
            let (mut ga, mut gb) = (vec![0.0; n * d], vec![0.0; n * d]);
            vicreg64(&z[..n * d], &z[n * d..], n, d, &O, Some((&mut ga, &mut gb))).unwrap();
            let g: Vec<f64> = ga.iter().chain(&gb).cloned().collect();
            let err = max_rel_err(&z, &g, &|x: &[f64]| vicreg64(&x[..n * d], &x[n * d..], n, d, &O, None).unwrap().0);
            assert!(err < 1e-5, "n {n} d {d}: {err}");
        }
    }

    #[test]
    fn a_constant_dimension_pays_the_full_hinge_with_a_finite_gradient() {
        let (n, d) = (4, 2);
        let a = [0.5f32, 1.0, 0.5, -1.0, 0.5, 2.0, 0.5, 0.0];
        let b = [0.5f32, 1.0, 0.5, -1.0, 0.5, 2.0, 0.5, 0.0];
        let (mut ga, mut gb) = ([0.0f32; 8], [0.0f32; 8]);
        let out = vicreg::<Scalar4>(&a, &b, n, d, &O, Some((&mut ga, &mut gb))).unwrap();
        // dim 0 constant: hinge 1 - sqrt(1e-4) = 0.99 per view, averaged over d = 2 -> 25 * 0.495
        assert!(out.loss >= 25.0 * 0.495 - 1e-6, "{}", out.loss);
        assert!(ga.iter().chain(&gb).all(|v| v.is_finite()));
        for i in 0..n {
            assert_eq!(ga[i * d], 0.0);
        }
    }
}
