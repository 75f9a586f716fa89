//! Pairwise distances and similarities of the rows of one batch, in f64, with the backward
//! pass from d L / d M (M the n x n matrix) to d L / d z. Shared by the metric-learning losses
//! (triplet, multi-similarity), which select entries of M and so only need it densely.
//!
//! With x_i = z_i / max(||z_i||, 1e-12) when normalized (torch.nn.functional.normalize), x_i = z_i
//! otherwise:
//!   Euclidean   M_ij = ||x_i - x_j||          (d M_ij / d x_i = (x_i - x_j) / M_ij, 0 at M_ij = 0,
//!                                               as torch.cdist's backward)
//!   Cosine      M_ij = 1 - x_i . x_j          (a distance; always on normalized rows)
//!   Dot         M_ij = x_i . x_j              (a similarity; always on normalized rows)

use super::LossOut;
use crate::Oom;

/// F.normalize's eps.
pub const NORM_EPS: f64 = 1e-12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Euclidean,
    Cosine,
    Dot,
}

/// A zeroed f64 buffer, or Oom instead of an abort.
pub fn vec64(len: usize) -> Result<Vec<f64>, Oom> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Oom)?;
    v.resize(len, 0.0);
    Ok(v)
}

/// Rows of z in f64, L2-normalized when `normalize`; `norms[i]` = max(||z_i||, eps) (1 when not normalized).
pub fn rows64(z: &[f64], rows: usize, d: usize, normalize: bool) -> Result<(Vec<f64>, Vec<f64>), Oom> {
    rows64_eps(z, rows, d, normalize, NORM_EPS)
}

/// [`rows64`] with norms clamped at `eps`.
pub fn rows64_eps(z: &[f64], rows: usize, d: usize, normalize: bool, eps: f64) -> Result<(Vec<f64>, Vec<f64>), Oom> {
    let mut x = vec64(rows * d)?;
    let mut norms = vec64(rows)?;
    for (i, slot) in norms.iter_mut().enumerate() {
        let r = &z[i * d..(i + 1) * d];
        let n = if normalize { r.iter().map(|v| v * v).sum::<f64>().sqrt().max(eps) } else { 1.0 };
        *slot = n;
        for (o, v) in x[i * d..(i + 1) * d].iter_mut().zip(r) {
            *o = v / n;
        }
    }
    Ok((x, norms))
}

/// d L / d z from d L / d x for x = z / max(||z||, eps): (dx - x (x . dx)) / ||z||, or dx / eps
/// when the norm was clamped (then x = z / eps does not depend on the norm).
pub fn normalize_backward(dx: &mut [f64], x: &[f64], norms: &[f64], z: &[f64], d: usize) {
    normalize_backward_eps(dx, x, norms, z, d, NORM_EPS)
}

/// [`normalize_backward`] for norms clamped at `eps`.
pub fn normalize_backward_eps(dx: &mut [f64], x: &[f64], norms: &[f64], z: &[f64], d: usize, eps: f64) {
    for (i, &n) in norms.iter().enumerate() {
        let r = i * d..(i + 1) * d;
        let raw = z[r.clone()].iter().map(|v| v * v).sum::<f64>().sqrt();
        if raw > eps {
            let dot: f64 = x[r.clone()].iter().zip(&dx[r.clone()]).map(|(a, b)| a * b).sum();
            for j in r {
                dx[j] = (dx[j] - x[j] * dot) / n;
            }
        } else {
            for j in r {
                dx[j] /= n;
            }
        }
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The n x n matrix of `metric` over the rows of x.
pub fn matrix(x: &[f64], rows: usize, d: usize, metric: Metric) -> Result<Vec<f64>, Oom> {
    let mut m = vec64(rows * rows)?;
    for i in 0..rows {
        let xi = &x[i * d..(i + 1) * d];
        for j in i..rows {
            let xj = &x[j * d..(j + 1) * d];
            let v = match metric {
                Metric::Euclidean => {
                    if i == j {
                        0.0
                    } else {
                        xi.iter().zip(xj).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt()
                    }
                }
                Metric::Cosine => 1.0 - dot(xi, xj),
                Metric::Dot => dot(xi, xj),
            };
            m[i * rows + j] = v;
            m[j * rows + i] = v;
        }
    }
    Ok(m)
}

/// Accumulates d L / d x (rows x d, into `dx`) from d L / d M (`gm`, rows x rows, any entries).
pub fn matrix_backward(x: &[f64], m: &[f64], gm: &[f64], rows: usize, d: usize, metric: Metric, dx: &mut [f64]) {
    for i in 0..rows {
        for j in 0..rows {
            let g = gm[i * rows + j];
            if g == 0.0 {
                continue;
            }
            match metric {
                Metric::Euclidean => {
                    let dist = m[i * rows + j];
                    if i == j || dist == 0.0 {
                        continue;
                    }
                    let s = g / dist;
                    for k in 0..d {
                        let t = s * (x[i * d + k] - x[j * d + k]);
                        dx[i * d + k] += t;
                        dx[j * d + k] -= t;
                    }
                }
                Metric::Cosine | Metric::Dot => {
                    let s = if metric == Metric::Cosine { -g } else { g };
                    for k in 0..d {
                        let (a, b) = (x[i * d + k], x[j * d + k]);
                        dx[i * d + k] += s * b;
                        dx[j * d + k] += s * a;
                    }
                }
            }
        }
    }
}

/// Runs `loss(M) -> (value, dL/dM)` on the batch z and returns the value and, when `gz` is
/// given, d L / d z written into it (f32).
pub fn with_matrix<F>(z: &[f32], rows: usize, d: usize, metric: Metric, normalize: bool, gz: Option<&mut [f32]>, loss: F) -> Result<f64, Oom>
where
    F: FnOnce(&[f64], Option<&mut [f64]>) -> f64,
{
    let z64: Vec<f64> = {
        let mut v = vec64(rows * d)?;
        for (a, b) in v.iter_mut().zip(z) {
            *a = *b as f64;
        }
        v
    };
    let mut g64 = if gz.is_some() { Some(vec64(rows * d)?) } else { None };
    let value = with_matrix64(&z64, rows, d, metric, normalize, g64.as_deref_mut(), loss)?;
    if let (Some(gz), Some(g)) = (gz, g64) {
        for (a, b) in gz.iter_mut().zip(&g) {
            *a = *b as f32;
        }
    }
    Ok(value)
}

/// [`with_matrix`] on f64 rows (the oracle and finite-difference tests call this directly).
pub fn with_matrix64<F>(z: &[f64], rows: usize, d: usize, metric: Metric, normalize: bool, gz: Option<&mut [f64]>, loss: F) -> Result<f64, Oom>
where
    F: FnOnce(&[f64], Option<&mut [f64]>) -> f64,
{
    let normalize = normalize || metric != Metric::Euclidean;
    let (x, norms) = rows64(z, rows, d, normalize)?;
    let m = matrix(&x, rows, d, metric)?;
    match gz {
        None => Ok(loss(&m, None)),
        Some(gz) => {
            let mut gm = vec64(rows * rows)?;
            let value = loss(&m, Some(&mut gm));
            gz.iter_mut().for_each(|v| *v = 0.0);
            matrix_backward(&x, &m, &gm, rows, d, metric, gz);
            if normalize {
                normalize_backward(gz, &x, &norms, z, d);
            }
            Ok(value)
        }
    }
}

/// Gradients of a two-view loss, f64: (d L / d a, d L / d b).
pub type Grads64<'a> = Option<(&'a mut [f64], &'a mut [f64])>;

/// Runs a two-view f64 loss `f(a, b, grads) -> (loss, dL/dtau)` on f32 views and writes its
/// gradients (when asked for) back as f32.
pub fn with_views<F>(a: &[f32], b: &[f32], grads: Option<(&mut [f32], &mut [f32])>, f: F) -> Result<LossOut, Oom>
where
    F: FnOnce(&[f64], &[f64], Grads64) -> Result<(f64, f64), Oom>,
{
    let widen = |x: &[f32]| -> Result<Vec<f64>, Oom> {
        let mut v = vec64(x.len())?;
        for (o, i) in v.iter_mut().zip(x) {
            *o = *i as f64;
        }
        Ok(v)
    };
    let (a64, b64) = (widen(a)?, widen(b)?);
    let (loss, dtau) = match grads {
        None => f(&a64, &b64, None)?,
        Some((ga, gb)) => {
            let (mut ga64, mut gb64) = (vec64(a.len())?, vec64(b.len())?);
            let r = f(&a64, &b64, Some((&mut ga64, &mut gb64)))?;
            for (o, i) in ga.iter_mut().zip(&ga64) {
                *o = *i as f32;
            }
            for (o, i) in gb.iter_mut().zip(&gb64) {
                *o = *i as f32;
            }
            r
        }
    };
    Ok(LossOut { loss, dtau })
}

#[cfg(test)]
pub(crate) mod fd {
    //! Central finite differences of an f64 loss, for the metric-learning tests.

    /// max |analytic - numeric| / (1 + |numeric|) over the entries of `x`.
    pub fn max_rel_err(x: &[f64], analytic: &[f64], f: &dyn Fn(&[f64]) -> f64) -> f64 {
        let h = 1e-6;
        let mut worst: f64 = 0.0;
        let mut p = x.to_vec();
        for i in 0..x.len() {
            p[i] = x[i] + h;
            let up = f(&p);
            p[i] = x[i] - h;
            let down = f(&p);
            p[i] = x[i];
            let num = (up - down) / (2.0 * h);
            worst = worst.max((analytic[i] - num).abs() / (1.0 + num.abs()));
        }
        worst
    }

    /// Deterministic Gaussian-ish rows (Box-Muller on a xorshift stream).
    pub fn randn(len: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        (0..len).map(|_| (-2.0 * next().ln()).sqrt() * (6.283185307179586 * next()).cos()).collect()
    }
}
