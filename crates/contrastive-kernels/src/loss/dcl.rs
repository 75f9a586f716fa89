//! Decoupled contrastive learning (Yeh et al. 2021), as lightly's DCLLoss / DCLWLoss define it.
//! With u, v the L2-normalized rows of the two views (n rows each) and s(x, y) = x . y / tau:
//!   L_uv = 1/n sum_i [ -w_i s(u_i, v_i) + log( sum_{k != i} exp s(u_i, u_k) + sum_{k != i} exp s(u_i, v_k) ) ]
//!   L    = (L_uv + L_vu) / 2
//! The positive pair is left out of the denominator (the "decoupling"). DCL: w_i = 1. DCLW
//! (von Mises-Fisher weighting): w_i = 2 - n softmax_i(u_i . v_i / sigma), a constant of the
//! backward pass (lightly detaches it). Needs n >= 2 (with one row there are no negatives).

use super::pairdist::{normalize_backward, rows64, vec64, with_views, Grads64};
use super::LossOut;
use crate::Oom;

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// DCLW's weights w_i = 2 - n softmax_i(u_i . v_i / sigma) (u, v normalized rows).
pub fn vmf_weights(a: &[f64], b: &[f64], n: usize, d: usize, sigma: f64) -> Result<Vec<f64>, Oom> {
    let (u, _) = rows64(a, n, d, true)?;
    let (v, _) = rows64(b, n, d, true)?;
    let t: Vec<f64> = (0..n).map(|i| dot(&u[i * d..(i + 1) * d], &v[i * d..(i + 1) * d]) / sigma).collect();
    let m = t.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let z: f64 = t.iter().map(|x| (x - m).exp()).sum();
    Ok(t.iter().map(|x| 2.0 - n as f64 * (x - m).exp() / z).collect())
}

/// Returns (loss, d loss / d tau). `sigma` = Some for DCLW.
pub fn dcl64(a: &[f64], b: &[f64], n: usize, d: usize, tau: f64, sigma: Option<f64>, grads: Grads64) -> Result<(f64, f64), Oom> {
    let w = match sigma {
        Some(sg) => vmf_weights(a, b, n, d, sg)?,
        None => vec![1.0; n],
    };
    dcl64_weighted(a, b, n, d, tau, &w, grads)
}

/// The loss with given positive weights `w` (held constant in the backward pass).
pub fn dcl64_weighted(a: &[f64], b: &[f64], n: usize, d: usize, tau: f64, w: &[f64], grads: Grads64) -> Result<(f64, f64), Oom> {
    let (u, nu) = rows64(a, n, d, true)?;
    let (v, nv) = rows64(b, n, d, true)?;
    let row = |i: usize| i * d..(i + 1) * d;
    // similarity matrices (unscaled): uu, uv (uv[i][k] = u_i . v_k), vv
    let (mut uu, mut uv, mut vv) = (vec64(n * n)?, vec64(n * n)?, vec64(n * n)?);
    for i in 0..n {
        for k in 0..n {
            uu[i * n + k] = dot(&u[row(i)], &u[row(k)]);
            uv[i * n + k] = dot(&u[row(i)], &v[row(k)]);
            vv[i * n + k] = dot(&v[row(i)], &v[row(k)]);
        }
    }
    let inv_t = 1.0 / tau;
    // gradients w.r.t. the unscaled similarities, then w.r.t. u and v
    let (mut guu, mut guv, mut gvv) = (vec64(n * n)?, vec64(n * n)?, vec64(n * n)?);
    let c = 0.5 / n as f64;
    let mut loss = 0.0;
    // log-sum-exp of row i over own[i][k] and cross(i, k), k != i; and the softmax of both parts
    let lse_row = |own: &[f64], cross: &dyn Fn(usize, usize) -> f64, i: usize| -> (f64, Vec<f64>, Vec<f64>) {
        let mut m = f64::NEG_INFINITY;
        for k in 0..n {
            if k != i {
                m = m.max(own[i * n + k] * inv_t).max(cross(i, k) * inv_t);
            }
        }
        let mut s = 0.0;
        for k in 0..n {
            if k != i {
                s += (own[i * n + k] * inv_t - m).exp() + (cross(i, k) * inv_t - m).exp();
            }
        }
        let lse = m + s.ln();
        let p_own: Vec<f64> = (0..n).map(|k| if k == i { 0.0 } else { (own[i * n + k] * inv_t - lse).exp() }).collect();
        let p_cross: Vec<f64> = (0..n).map(|k| if k == i { 0.0 } else { (cross(i, k) * inv_t - lse).exp() }).collect();
        (lse, p_own, p_cross)
    };
    for i in 0..n {
        // direction u -> v: own = uu, cross = uv[i][k]
        let (l0, po, pc) = lse_row(&uu, &|i, k| uv[i * n + k], i);
        // direction v -> u: own = vv, cross = vu[i][k] = uv[k][i]
        let (l1, qo, qc) = lse_row(&vv, &|i, k| uv[k * n + i], i);
        loss += c * (l0 + l1 - 2.0 * w[i] * uv[i * n + i] * inv_t);
        for k in 0..n {
            guu[i * n + k] += c * po[k] * inv_t;
            guv[i * n + k] += c * pc[k] * inv_t;
            gvv[i * n + k] += c * qo[k] * inv_t;
            guv[k * n + i] += c * qc[k] * inv_t;
        }
        guv[i * n + i] -= 2.0 * c * w[i] * inv_t;
    }
    // L depends on tau only through S / tau: dL/dtau = -(1/tau) sum_S dL/dS * S
    let dtau = -(guu.iter().zip(&uu).chain(guv.iter().zip(&uv)).chain(gvv.iter().zip(&vv)).map(|(g, s)| g * s).sum::<f64>()) * inv_t;
    if let Some((ga, gb)) = grads {
        ga.iter_mut().for_each(|x| *x = 0.0);
        gb.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..n {
            for k in 0..n {
                let (g1, g2, g3) = (guu[i * n + k], guv[i * n + k], gvv[i * n + k]);
                for j in 0..d {
                    ga[i * d + j] += g1 * u[k * d + j] + g2 * v[k * d + j];
                    ga[k * d + j] += g1 * u[i * d + j];
                    gb[k * d + j] += g2 * u[i * d + j];
                    gb[i * d + j] += g3 * v[k * d + j];
                    gb[k * d + j] += g3 * v[i * d + j];
                }
            }
        }
        normalize_backward(ga, &u, &nu, a, d);
        normalize_backward(gb, &v, &nv, b, d);
    }
    Ok((loss, dtau))
}

/// f32 entry point: `grads` = (dL/da, dL/db).
pub fn dcl(a: &[f32], b: &[f32], n: usize, d: usize, tau: f32, sigma: Option<f32>, grads: Option<(&mut [f32], &mut [f32])>) -> Result<LossOut, Oom> {
    with_views(a, b, grads, |a, b, g| dcl64(a, b, n, d, tau as f64, sigma.map(|s| s as f64), g))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::pairdist::fd::{max_rel_err, randn};

    #[test]
    fn gradients_and_dtau_match_finite_differences_for_dcl_and_dclw() {
        for &(n, d) in &[(2usize, 3usize), (5, 4), (7, 1)] {
            let z = randn(2 * n * d, (n * 10 + d) as u64);
            let (a, b) = z.split_at(n * d);
            for sigma in [None, Some(0.5)] {
                let (mut ga, mut gb) = (vec![0.0; n * d], vec![0.0; n * d]);
                let (l, dt) = dcl64(a, b, n, d, 0.2, sigma, Some((&mut ga, &mut gb))).unwrap();
                assert!(l.is_finite());
                let g: Vec<f64> = ga.iter().chain(&gb).cloned().collect();
                // DCLW's weights are constants of the backward pass: differentiate with them frozen
                let w = match sigma {
                    Some(s) => vmf_weights(a, b, n, d, s).unwrap(),
                    None => vec![1.0; n],
                };
                let err = max_rel_err(&z, &g, &|x: &[f64]| dcl64_weighted(&x[..n * d], &x[n * d..], n, d, 0.2, &w, None).unwrap().0);
                assert!(err < 1e-6, "n {n} d {d} {sigma:?}: {err}");
                let h = 1e-6;
                let num = (dcl64(a, b, n, d, 0.2 + h, sigma, None).unwrap().0 - dcl64(a, b, n, d, 0.2 - h, sigma, None).unwrap().0) / (2.0 * h);
                assert!((num - dt).abs() < 1e-6 * (1.0 + num.abs()), "dtau {num} vs {dt}");
            }
        }
    }

    #[test]
    fn dclw_weights_average_to_one() {
        let (n, d) = (6, 3);
        let z = randn(2 * n * d, 5);
        let w = vmf_weights(&z[..n * d], &z[n * d..], n, d, 0.5).unwrap();
        assert!((w.iter().sum::<f64>() / n as f64 - 1.0).abs() < 1e-12);
    }
}
