//! LayerNorm (nn.LayerNorm over the last dimension d) of n rows:
//!   mu = mean(x), var = mean((x - mu)^2) (biased), r = 1 / sqrt(var + eps),
//!   xhat = (x - mu) r,  y = xhat gamma + beta   (gamma, beta absent = not affine).
//! Backward, with g = dy gamma:
//!   dx = r (g - mean(g) - xhat mean(g xhat));  dgamma += sum_rows dy xhat;  dbeta += sum_rows dy.
//! Rows are split over the thread pool; the parameter gradients are summed over rows in row
//! order on the calling thread, so results are bit-identical for any thread count.
//! Statistics are accumulated in f64 (rows are a few hundred wide: negligible cost).

use crate::par::{self, SharedMut};

/// y (n x d); `save` receives [mu, r] per row (2n floats) for the backward pass.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    x: &[f32],
    n: usize,
    d: usize,
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    eps: f32,
    y: &mut [f32],
    save: &mut [f32],
) {
    let (ys, ss) = (SharedMut::new(&mut y[..n * d]), SharedMut::new(&mut save[..2 * n]));
    par::ranges(n, 2 * n * d, &|a, b| {
        // SAFETY: each range writes its own rows.
        let (y, save) = unsafe { (ys.part(a * d, (b - a) * d), ss.part(2 * a, 2 * (b - a))) };
        for i in a..b {
            let row = &x[i * d..(i + 1) * d];
            let mu = row.iter().map(|v| *v as f64).sum::<f64>() / d as f64;
            let var = row.iter().map(|v| (*v as f64 - mu) * (*v as f64 - mu)).sum::<f64>() / d as f64;
            let r = 1.0 / (var + eps as f64).sqrt();
            let (muf, rf) = (mu as f32, r as f32);
            save[2 * (i - a)] = muf;
            save[2 * (i - a) + 1] = rf;
            let out = &mut y[(i - a) * d..(i - a + 1) * d];
            for j in 0..d {
                let h = (row[j] - muf) * rf;
                out[j] = match (gamma, beta) {
                    (Some(g), Some(b)) => h * g[j] + b[j],
                    (Some(g), None) => h * g[j],
                    _ => h,
                };
            }
        }
    });
}

/// dx (n x d, overwritten when given); dgamma, dbeta accumulated (when given).
#[allow(clippy::too_many_arguments)]
pub fn backward(
    x: &[f32],
    dy: &[f32],
    n: usize,
    d: usize,
    gamma: Option<&[f32]>,
    save: &[f32],
    dx: Option<&mut [f32]>,
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
) {
    if let Some(dx) = dx {
        let xs = SharedMut::new(&mut dx[..n * d]);
        par::ranges(n, 3 * n * d, &|a, b| {
            // SAFETY: each range writes its own rows.
            let dx = unsafe { xs.part(a * d, (b - a) * d) };
            for i in a..b {
                let (mu, r) = (save[2 * i], save[2 * i + 1]);
                let (row, g) = (&x[i * d..(i + 1) * d], &dy[i * d..(i + 1) * d]);
                let (mut s1, mut s2) = (0.0f64, 0.0f64);
                for j in 0..d {
                    let gj = g[j] * gamma.map_or(1.0, |w| w[j]);
                    s1 += gj as f64;
                    s2 += (gj * ((row[j] - mu) * r)) as f64;
                }
                let (m1, m2) = ((s1 / d as f64) as f32, (s2 / d as f64) as f32);
                let out = &mut dx[(i - a) * d..(i - a + 1) * d];
                for j in 0..d {
                    let gj = g[j] * gamma.map_or(1.0, |w| w[j]);
                    out[j] = r * (gj - m1 - (row[j] - mu) * r * m2);
                }
            }
        });
    }
    if dgamma.is_none() && dbeta.is_none() {
        return;
    }
    let (mut dg, mut db) = (dgamma, dbeta);
    for i in 0..n {
        let (mu, r) = (save[2 * i], save[2 * i + 1]);
        let (row, g) = (&x[i * d..(i + 1) * d], &dy[i * d..(i + 1) * d]);
        if let Some(dg) = dg.as_deref_mut() {
            for j in 0..d {
                dg[j] += g[j] * ((row[j] - mu) * r);
            }
        }
        if let Some(db) = db.as_deref_mut() {
            for j in 0..d {
                db[j] += g[j];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};

    #[test]
    fn backward_matches_finite_differences_affine_and_not() {
        for &(n, d) in &[(1usize, 8usize), (5, 7), (3, 96)] {
            let x = randv(n * d, 1);
            let gamma = randv(d, 2);
            let beta = randv(d, 3);
            let dy = randv(n * d, 4);
            for affine in [true, false] {
                let f = |x: &[f32], gm: &[f32], bt: &[f32]| {
                    let (mut y, mut s) = (vec![0.0; n * d], vec![0.0; 2 * n]);
                    let (g, b) = if affine { (Some(gm), Some(bt)) } else { (None, None) };
                    forward(x, n, d, g, b, 1e-5, &mut y, &mut s);
                    y.iter().zip(&dy).map(|(a, g)| *a as f64 * *g as f64).sum::<f64>()
                };
                let (mut y, mut s) = (vec![0.0; n * d], vec![0.0; 2 * n]);
                let (g, b) = if affine { (Some(&gamma[..]), Some(&beta[..])) } else { (None, None) };
                forward(&x, n, d, g, b, 1e-5, &mut y, &mut s);
                let (mut dx, mut dg, mut db) = (vec![0.0; n * d], vec![0.0; d], vec![0.0; d]);
                backward(&x, &dy, n, d, g, &s, Some(&mut dx), Some(&mut dg), Some(&mut db));
                check_grad(&x, &dx, |v| f(v, &gamma, &beta), "dx");
                if affine {
                    check_grad(&gamma, &dg, |v| f(&x, v, &beta), "dgamma");
                    check_grad(&beta, &db, |v| f(&x, &gamma, v), "dbeta");
                }
            }
        }
    }
}
