//! Batch normalization over x laid out [n, c, l]: BatchNorm1d on [N, C] (l = 1) or [N, C, L],
//! BatchNorm2d on NCHW (l = H W). Statistics per channel over the m = n l values.
//!
//! Train: mu = mean, var_b = (1/m) sum (x - mu)^2 (biased; two passes, so channels with a large
//! mean keep their precision), invstd = 1 / sqrt(var_b + eps), y = gamma (x - mu) invstd + beta;
//! running_mean <- (1 - mom) running_mean + mom mu,
//! running_var  <- (1 - mom) running_var + mom var_b m / (m - 1)   (unbiased).
//! Eval: mu = running_mean, invstd = 1 / sqrt(running_var + eps); nothing is updated.
//! Backward (train): dbeta = sum dy, dgamma = sum dy xhat,
//!   dx = gamma invstd (dy - dbeta/m - xhat dgamma/m);  (eval): dx = gamma invstd dy.

pub struct Shape {
    pub n: usize,
    pub c: usize,
    pub l: usize,
}

impl Shape {
    #[inline]
    fn each<F: FnMut(usize)>(&self, ch: usize, mut f: F) {
        for i in 0..self.n {
            let base = (i * self.c + ch) * self.l;
            for j in base..base + self.l {
                f(j);
            }
        }
    }
}

/// Forward. `save_mean`/`save_invstd` (c each) receive the statistics the backward pass needs.
#[allow(clippy::too_many_arguments)]
pub fn forward(
    x: &[f32],
    s: &Shape,
    gamma: Option<&[f32]>,
    beta: Option<&[f32]>,
    running_mean: &mut [f32],
    running_var: &mut [f32],
    momentum: f32,
    eps: f32,
    training: bool,
    y: &mut [f32],
    save_mean: &mut [f32],
    save_invstd: &mut [f32],
) {
    let m = (s.n * s.l) as f64;
    for ch in 0..s.c {
        let (mu, invstd) = if training {
            let mut sum = 0.0f64;
            s.each(ch, |j| sum += x[j] as f64);
            let mu = sum / m;
            let mut sq = 0.0f64;
            s.each(ch, |j| {
                let d = x[j] as f64 - mu;
                sq += d * d;
            });
            let var_b = sq / m;
            let mom = momentum as f64;
            running_mean[ch] = ((1.0 - mom) * running_mean[ch] as f64 + mom * mu) as f32;
            let unbiased = if m > 1.0 { var_b * m / (m - 1.0) } else { var_b };
            running_var[ch] = ((1.0 - mom) * running_var[ch] as f64 + mom * unbiased) as f32;
            (mu, 1.0 / (var_b + eps as f64).sqrt())
        } else {
            (running_mean[ch] as f64, 1.0 / (running_var[ch] as f64 + eps as f64).sqrt())
        };
        save_mean[ch] = mu as f32;
        save_invstd[ch] = invstd as f32;
        let g = gamma.map_or(1.0, |g| g[ch] as f64);
        let b = beta.map_or(0.0, |b| b[ch] as f64);
        let (scale, shift) = (g * invstd, b - g * invstd * mu);
        s.each(ch, |j| y[j] = (x[j] as f64 * scale + shift) as f32);
    }
}

/// Backward: dx overwritten; dgamma, dbeta (when affine) accumulated.
#[allow(clippy::too_many_arguments)]
pub fn backward(
    x: &[f32],
    dy: &[f32],
    s: &Shape,
    gamma: Option<&[f32]>,
    save_mean: &[f32],
    save_invstd: &[f32],
    training: bool,
    dx: &mut [f32],
    dgamma: Option<&mut [f32]>,
    dbeta: Option<&mut [f32]>,
) {
    let m = (s.n * s.l) as f64;
    let mut dgamma = dgamma;
    let mut dbeta = dbeta;
    for ch in 0..s.c {
        let (mu, invstd) = (save_mean[ch] as f64, save_invstd[ch] as f64);
        let (mut sdy, mut sdyx) = (0.0f64, 0.0f64);
        s.each(ch, |j| {
            sdy += dy[j] as f64;
            sdyx += dy[j] as f64 * (x[j] as f64 - mu) * invstd;
        });
        if let Some(dg) = dgamma.as_deref_mut() {
            dg[ch] += sdyx as f32;
        }
        if let Some(db) = dbeta.as_deref_mut() {
            db[ch] += sdy as f32;
        }
        let k = gamma.map_or(1.0, |g| g[ch] as f64) * invstd;
        if training {
            let (a, b) = (sdy / m, sdyx / m);
            s.each(ch, |j| {
                let xhat = (x[j] as f64 - mu) * invstd;
                dx[j] = (k * (dy[j] as f64 - a - xhat * b)) as f32;
            });
        } else {
            s.each(ch, |j| dx[j] = (k * dy[j] as f64) as f32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};

    fn loss(x: &[f32], g: &[f32], b: &[f32], s: &Shape, dy: &[f32], training: bool) -> f64 {
        let (mut rm, mut rv) = (vec![0.3; s.c], vec![1.7; s.c]);
        let (mut sm, mut si) = (vec![0.0; s.c], vec![0.0; s.c]);
        let mut y = vec![0.0; x.len()];
        forward(x, s, Some(g), Some(b), &mut rm, &mut rv, 0.1, 1e-5, training, &mut y, &mut sm, &mut si);
        y.iter().zip(dy).map(|(a, b)| (*a as f64) * (*b as f64)).sum()
    }

    #[test]
    fn train_and_eval_backward_match_finite_differences() {
        for training in [true, false] {
            for &(n, c, l) in &[(6usize, 3usize, 1usize), (2, 3, 5)] {
                let s = Shape { n, c, l };
                let x = randv(n * c * l, 21);
                let g = randv(c, 22);
                let b = randv(c, 23);
                let dy = randv(n * c * l, 24);
                let (mut rm, mut rv) = (vec![0.3; c], vec![1.7; c]);
                let (mut sm, mut si) = (vec![0.0; c], vec![0.0; c]);
                let mut y = vec![0.0; x.len()];
                forward(&x, &s, Some(&g), Some(&b), &mut rm, &mut rv, 0.1, 1e-5, training, &mut y, &mut sm, &mut si);
                let (mut dx, mut dg, mut db) = (vec![0.0; x.len()], vec![0.0; c], vec![0.0; c]);
                backward(&x, &dy, &s, Some(&g), &sm, &si, training, &mut dx, Some(&mut dg), Some(&mut db));
                check_grad(&x, &dx, |v| loss(v, &g, &b, &s, &dy, training), "dx");
                check_grad(&g, &dg, |v| loss(&x, v, &b, &s, &dy, training), "dgamma");
                check_grad(&b, &db, |v| loss(&x, &g, v, &s, &dy, training), "dbeta");
            }
        }
    }

    #[test]
    fn large_mean_channels_keep_their_variance() {
        // mean 1000, std ~0.01: E[x^2] - E[x]^2 in f32 would return garbage
        let x: Vec<f32> = (0..64).map(|i| 1000.0 + 0.01 * ((i % 7) as f32 - 3.0)).collect();
        let s = Shape { n: 64, c: 1, l: 1 };
        let (mut rm, mut rv, mut sm, mut si) = ([0.0f32], [1.0f32], [0.0f32], [0.0f32]);
        let mut y = vec![0.0; 64];
        forward(&x, &s, None, None, &mut rm, &mut rv, 0.1, 1e-5, true, &mut y, &mut sm, &mut si);
        let var: f64 = y.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>() / 64.0;
        assert!((var - 1.0).abs() < 0.2, "normalized variance {var}");
    }
}
