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

use crate::par::SharedMut;
use crate::simd::Isa;

pub struct Shape {
    pub n: usize,
    pub c: usize,
    pub l: usize,
}

/// Forward. `save_mean`/`save_invstd` (c each) receive the statistics the backward pass needs.
/// Runs `f` on every contiguous segment (one sample, one channel: l values) of channel `ch`.
#[inline]
fn segments<F: FnMut(usize, usize)>(s: &Shape, ch: usize, mut f: F) {
    for i in 0..s.n {
        let base = (i * s.c + ch) * s.l;
        f(base, base + s.l);
    }
}

/// sum of (x - mu) and of (x - mu)^2 over a segment, in f32 vector lanes.
#[inline]
fn centred_sums<I: Isa>(x: &[f32], mu: f32) -> (f32, f32) {
    let n = x.len();
    let body = n - n % 4;
    let vm = I::splat(mu);
    let (mut s1, mut s2) = (I::splat(0.0), I::splat(0.0));
    let p = x.as_ptr();
    let mut k = 0;
    // SAFETY: k + 4 <= body <= n.
    unsafe {
        while k < body {
            let d = I::sub(I::load(p.add(k)), vm);
            s1 = I::add(s1, d);
            s2 = I::madd(d, d, s2);
            k += 4;
        }
    }
    let (mut a, mut b) = (I::hsum(s1), I::hsum(s2));
    while k < n {
        let d = x[k] - mu;
        a += d;
        b += d * d;
        k += 1;
    }
    (a, b)
}

/// sum of dy and of dy (x - mu) over a segment.
#[inline]
fn grad_sums<I: Isa>(x: &[f32], dy: &[f32], mu: f32) -> (f32, f32) {
    let n = x.len();
    let body = n - n % 4;
    let vm = I::splat(mu);
    let (mut s1, mut s2) = (I::splat(0.0), I::splat(0.0));
    let (px, pd) = (x.as_ptr(), dy.as_ptr());
    let mut k = 0;
    unsafe {
        while k < body {
            let g = I::load(pd.add(k));
            s1 = I::add(s1, g);
            s2 = I::madd(g, I::sub(I::load(px.add(k)), vm), s2);
            k += 4;
        }
    }
    let (mut a, mut b) = (I::hsum(s1), I::hsum(s2));
    while k < n {
        a += dy[k];
        b += dy[k] * (x[k] - mu);
        k += 1;
    }
    (a, b)
}

/// out = a * x + b * y + c (y may be absent: then out = a x + c).
#[inline]
fn affine2<I: Isa>(x: &[f32], a: f32, y: Option<&[f32]>, b: f32, c: f32, out: &mut [f32]) {
    let n = x.len();
    let body = n - n % 4;
    let (va, vb, vc) = (I::splat(a), I::splat(b), I::splat(c));
    let (px, po) = (x.as_ptr(), out.as_mut_ptr());
    let mut k = 0;
    unsafe {
        while k < body {
            let mut v = I::madd(va, I::load(px.add(k)), vc);
            if let Some(y) = y {
                v = I::madd(vb, I::load(y.as_ptr().add(k)), v);
            }
            I::store(po.add(k), v);
            k += 4;
        }
    }
    while k < n {
        out[k] = a * x[k] + y.map_or(0.0, |y| b * y[k]) + c;
        k += 1;
    }
}

/// The one rule for BatchNorm's hyperparameters, the same as the TypeScript layer's
/// (packages/contrastive/src/nn/batchnorm.ts): `momentum` in [0, 1] (the weight of the new
/// batch), `eps` finite and > 0 (as the f32 the kernel computes with).
pub fn params_ok(momentum: f32, eps: f32) -> bool {
    (0.0..=1.0).contains(&momentum) && eps.is_finite() && eps > 0.0
}

/// Training: mean and biased variance over (N, L) per channel normalize x; the running
/// statistics move by `momentum` toward the mean and the unbiased variance. Reductions are
/// centred on a first-pass mean and summed per segment in f32, across segments in f64.
#[allow(clippy::too_many_arguments)]
pub fn forward<I: Isa>(
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
    if s.l == 1 {
        return forward_rows::<I>(
            x,
            s,
            gamma,
            beta,
            running_mean,
            running_var,
            momentum,
            eps,
            training,
            y,
            save_mean,
            save_invstd,
        );
    }
    let m = (s.n * s.l) as f64;
    let (yo, rm, rv) =
        (SharedMut::new(&mut y[..s.n * s.c * s.l]), SharedMut::new(running_mean), SharedMut::new(running_var));
    let (sm, si) = (SharedMut::new(save_mean), SharedMut::new(save_invstd));
    // channels spread over the thread pool: each channel's sums are taken in the same order on
    // any thread; the call streams the tensor twice
    crate::par::items(s.c, 2 * s.n * s.c * s.l, &|ch| {
        // SAFETY: each channel is one part's: its statistics and its segments of y.
        let (running_mean, running_var) = unsafe { (&mut rm.part(ch, 1)[0], &mut rv.part(ch, 1)[0]) };
        let (mu, invstd) = if training {
            // shift by the first value so the f32 sums do not lose the variance to a large mean
            let shift = x[ch * s.l];
            let (mut s1, mut s2) = (0.0f64, 0.0f64);
            segments(s, ch, |a, b| {
                let (p, q) = centred_sums::<I>(&x[a..b], shift);
                s1 += p as f64;
                s2 += q as f64;
            });
            let mean_d = s1 / m;
            let var_b = (s2 / m - mean_d * mean_d).max(0.0);
            let mu = shift as f64 + mean_d;
            let mom = momentum as f64;
            *running_mean = ((1.0 - mom) * *running_mean as f64 + mom * mu) as f32;
            let unbiased = if m > 1.0 { var_b * m / (m - 1.0) } else { var_b };
            *running_var = ((1.0 - mom) * *running_var as f64 + mom * unbiased) as f32;
            (mu, 1.0 / (var_b + eps as f64).sqrt())
        } else {
            (*running_mean as f64, 1.0 / (*running_var as f64 + eps as f64).sqrt())
        };
        unsafe {
            sm.part(ch, 1)[0] = mu as f32;
            si.part(ch, 1)[0] = invstd as f32;
        }
        let g = gamma.map_or(1.0, |g| g[ch] as f64);
        let b = beta.map_or(0.0, |b| b[ch] as f64);
        let (scale, shift) = ((g * invstd) as f32, (b - g * invstd * mu) as f32);
        segments(s, ch, |a, e| affine2::<I>(&x[a..e], scale, None, 0.0, shift, unsafe { yo.part(a, e - a) }));
    });
}

/// dx = g invstd (dy - mean(dy) - xhat mean(dy xhat)) in training, g invstd dy in eval;
/// dgamma += sum dy xhat, dbeta += sum dy.
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(
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
    if s.l == 1 {
        return backward_rows::<I>(x, dy, s, gamma, save_mean, save_invstd, training, dx, dgamma, dbeta);
    }
    let m = (s.n * s.l) as f64;
    let dxo = SharedMut::new(&mut dx[..s.n * s.c * s.l]);
    let (dgo, dbo) = (dgamma.map(SharedMut::new), dbeta.map(SharedMut::new));
    // by channel as in `forward`; four passes over tensors
    crate::par::items(s.c, 4 * s.n * s.c * s.l, &|ch| {
        let (mu, invstd) = (save_mean[ch], save_invstd[ch] as f64);
        let (mut sdy, mut sdyx) = (0.0f64, 0.0f64);
        segments(s, ch, |a, b| {
            let (p, q) = grad_sums::<I>(&x[a..b], &dy[a..b], mu);
            sdy += p as f64;
            sdyx += q as f64;
        });
        sdyx *= invstd;
        // SAFETY: each channel is one part's: its gradient entries and its segments of dx.
        if let Some(dg) = &dgo {
            unsafe { dg.part(ch, 1)[0] += sdyx as f32 };
        }
        if let Some(db) = &dbo {
            unsafe { db.part(ch, 1)[0] += sdy as f32 };
        }
        let k = gamma.map_or(1.0, |g| g[ch] as f64) * invstd;
        if training {
            let (a, b) = (sdy / m, sdyx / m);
            // dx = k dy - k b invstd x + (k b invstd mu - k a)
            let cx = (-k * b * invstd) as f32;
            let c0 = (k * b * invstd * mu as f64 - k * a) as f32;
            segments(s, ch, |p, e| {
                affine2::<I>(&x[p..e], cx, Some(&dy[p..e]), k as f32, c0, unsafe { dxo.part(p, e - p) })
            });
        } else {
            segments(s, ch, |p, e| affine2::<I>(&dy[p..e], k as f32, None, 0.0, 0.0, unsafe { dxo.part(p, e - p) }));
        }
    });
}

// [N, C] (l = 1): a channel's values are a column, one per row, so the per-channel loops above
// would walk memory with stride C one float at a time. Here rows are streamed instead, CH
// channels at a time, the channels in vector lanes: per-channel sums of a block of RB rows in
// f32, blocks added in f64 (as the segment path sums segments), then one pass writes the output.
const CH: usize = 128;
const RB: usize = 64;

/// acc[j] += f(row values at j) over rows r0..r1 of a CH-channel chunk, for two sums at once:
/// s1 += u, s2 += u * v with u, v from `uv(x_vec, y_vec, shift_vec)`; y may be x.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn column_sums<I: Isa, F: Fn(I::V, I::V, I::V) -> (I::V, I::V), G: Fn(f32, f32, f32) -> (f32, f32)>(
    x: &[f32],
    y: &[f32],
    c: usize,
    ch0: usize,
    cc: usize,
    n: usize,
    shift: &[f32; CH],
    out1: &mut [f64; CH],
    out2: &mut [f64; CH],
    uv: F,
    uv1: G,
) {
    let body = cc - cc % 4;
    let mut r0 = 0;
    while r0 < n {
        let r1 = (r0 + RB).min(n);
        let (mut s1, mut s2) = ([0.0f32; CH], [0.0f32; CH]);
        for r in r0..r1 {
            let base = r * c + ch0;
            let (xr, yr) = (&x[base..base + cc], &y[base..base + cc]);
            let mut j = 0;
            // SAFETY: j + 4 <= body <= cc, the length of xr, yr and of the used part of s1, s2, shift.
            unsafe {
                while j < body {
                    let (u, v) =
                        uv(I::load(xr.as_ptr().add(j)), I::load(yr.as_ptr().add(j)), I::load(shift.as_ptr().add(j)));
                    I::store(s1.as_mut_ptr().add(j), I::add(I::load(s1.as_ptr().add(j)), u));
                    I::store(s2.as_mut_ptr().add(j), I::madd(u, v, I::load(s2.as_ptr().add(j))));
                    j += 4;
                }
            }
            while j < cc {
                let (u, v) = uv1(xr[j], yr[j], shift[j]);
                s1[j] += u;
                s2[j] += u * v;
                j += 1;
            }
        }
        for j in 0..cc {
            out1[j] += s1[j] as f64;
            out2[j] += s2[j] as f64;
        }
        r0 = r1;
    }
}

/// out[r, j] = a[j] x[r, j] + b[j] y[r, j] + k[j] over a CH-channel chunk (y absent: no b term);
/// the same operation order as [`affine2`], so both layouts round alike.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn column_affine<I: Isa>(
    x: &[f32],
    a: &[f32; CH],
    y: Option<&[f32]>,
    b: &[f32; CH],
    k: &[f32; CH],
    c: usize,
    ch0: usize,
    cc: usize,
    n: usize,
    out: &mut [f32],
) {
    let body = cc - cc % 4;
    for r in 0..n {
        let base = r * c + ch0;
        let xr = &x[base..base + cc];
        let yr = y.map(|y| &y[base..base + cc]);
        let o = &mut out[base..base + cc];
        let mut j = 0;
        // SAFETY: j + 4 <= body <= cc, the length of xr, yr, o and of the used part of a, b, k.
        unsafe {
            while j < body {
                let mut v =
                    I::madd(I::load(a.as_ptr().add(j)), I::load(xr.as_ptr().add(j)), I::load(k.as_ptr().add(j)));
                if let Some(yr) = yr {
                    v = I::madd(I::load(b.as_ptr().add(j)), I::load(yr.as_ptr().add(j)), v);
                }
                I::store(o.as_mut_ptr().add(j), v);
                j += 4;
            }
        }
        while j < cc {
            o[j] = a[j] * xr[j] + yr.map_or(0.0, |y| b[j] * y[j]) + k[j];
            j += 1;
        }
    }
}

/// [`forward`] for l = 1, row-streamed; the same formulas.
#[allow(clippy::too_many_arguments)]
fn forward_rows<I: Isa>(
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
    let (n, c) = (s.n, s.c);
    let m = n as f64;
    let mut ch0 = 0;
    while ch0 < c {
        let cc = CH.min(c - ch0);
        let (mut s1, mut s2) = ([0.0f64; CH], [0.0f64; CH]);
        // shift by the first row so the f32 sums do not lose the variance to a large mean
        let mut shift = [0.0f32; CH];
        shift[..cc].copy_from_slice(&x[ch0..ch0 + cc]);
        if training {
            column_sums::<I, _, _>(
                x,
                x,
                c,
                ch0,
                cc,
                n,
                &shift,
                &mut s1,
                &mut s2,
                |xv, _, sv| {
                    let d = I::sub(xv, sv);
                    (d, d)
                },
                |xv, _, sv| (xv - sv, xv - sv),
            );
        }
        let (mut scale, mut bias) = ([0.0f32; CH], [0.0f32; CH]);
        for j in 0..cc {
            let ch = ch0 + j;
            let (mu, invstd) = if training {
                let mean_d = s1[j] / m;
                let var_b = (s2[j] / m - mean_d * mean_d).max(0.0);
                let mu = shift[j] as f64 + mean_d;
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
            scale[j] = (g * invstd) as f32;
            bias[j] = (b - g * invstd * mu) as f32;
        }
        column_affine::<I>(x, &scale, None, &[0.0; CH], &bias, c, ch0, cc, n, y);
        ch0 += cc;
    }
}

/// [`backward`] for l = 1, row-streamed; the same formulas.
#[allow(clippy::too_many_arguments)]
fn backward_rows<I: Isa>(
    x: &[f32],
    dy: &[f32],
    s: &Shape,
    gamma: Option<&[f32]>,
    save_mean: &[f32],
    save_invstd: &[f32],
    training: bool,
    dx: &mut [f32],
    mut dgamma: Option<&mut [f32]>,
    mut dbeta: Option<&mut [f32]>,
) {
    let (n, c) = (s.n, s.c);
    let m = n as f64;
    let mut ch0 = 0;
    while ch0 < c {
        let cc = CH.min(c - ch0);
        let mut mu = [0.0f32; CH];
        mu[..cc].copy_from_slice(&save_mean[ch0..ch0 + cc]);
        let (mut sdy, mut sdyx) = ([0.0f64; CH], [0.0f64; CH]);
        // s1 = sum dy, s2 = sum dy (x - mu): u = dy, v = x - mu
        column_sums::<I, _, _>(
            dy,
            x,
            c,
            ch0,
            cc,
            n,
            &mu,
            &mut sdy,
            &mut sdyx,
            |g, xv, mv| (g, I::sub(xv, mv)),
            |g, xv, mv| (g, xv - mv),
        );
        let (mut cx, mut cdy, mut c0) = ([0.0f32; CH], [0.0f32; CH], [0.0f32; CH]);
        for j in 0..cc {
            let ch = ch0 + j;
            let invstd = save_invstd[ch] as f64;
            let sdyx = sdyx[j] * invstd;
            if let Some(dg) = dgamma.as_deref_mut() {
                dg[ch] += sdyx as f32;
            }
            if let Some(db) = dbeta.as_deref_mut() {
                db[ch] += sdy[j] as f32;
            }
            let k = gamma.map_or(1.0, |g| g[ch] as f64) * invstd;
            cdy[j] = k as f32;
            if training {
                let (a, b) = (sdy[j] / m, sdyx / m);
                // dx = k dy - k b invstd x + (k b invstd mu - k a)
                cx[j] = (-k * b * invstd) as f32;
                c0[j] = (k * b * invstd * mu[j] as f64 - k * a) as f32;
            }
        }
        if training {
            column_affine::<I>(x, &cx, Some(dy), &cdy, &c0, c, ch0, cc, n, dx);
        } else {
            column_affine::<I>(dy, &cdy, None, &[0.0; CH], &[0.0; CH], c, ch0, cc, n, dx);
        }
        ch0 += cc;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn momentum_in_0_1_and_finite_positive_eps_is_the_one_rule() {
        // the same table as packages/contrastive/src/nn/batchnorm.test.ts (as f32)
        for (m, e, ok) in [
            (0.1, 1e-5, true),
            (0.0, 1e-5, true),
            (1.0, 1e-5, true),
            (0.1, 1e-38, true),
            (0.1, 3e38, true),
            (-0.01, 1e-5, false),
            (1.01, 1e-5, false),
            (5.0, 1e-5, false),
            (f32::NAN, 1e-5, false),
            (f32::INFINITY, 1e-5, false),
            (0.1, 0.0, false),
            (0.1, -1e-5, false),
            (0.1, f32::INFINITY, false),
            (0.1, f32::NAN, false),
        ] {
            assert_eq!(params_ok(m, e), ok, "momentum {m}, eps {e}");
        }
    }
    use crate::nn::fd::{check_grad, randv};
    use crate::simd::scalar::Scalar4;

    fn loss(x: &[f32], g: &[f32], b: &[f32], s: &Shape, dy: &[f32], training: bool) -> f64 {
        let (mut rm, mut rv) = (vec![0.3; s.c], vec![1.7; s.c]);
        let (mut sm, mut si) = (vec![0.0; s.c], vec![0.0; s.c]);
        let mut y = vec![0.0; x.len()];
        forward::<Scalar4>(x, s, Some(g), Some(b), &mut rm, &mut rv, 0.1, 1e-5, training, &mut y, &mut sm, &mut si);
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
                forward::<Scalar4>(
                    &x,
                    &s,
                    Some(&g),
                    Some(&b),
                    &mut rm,
                    &mut rv,
                    0.1,
                    1e-5,
                    training,
                    &mut y,
                    &mut sm,
                    &mut si,
                );
                let (mut dx, mut dg, mut db) = (vec![0.0; x.len()], vec![0.0; c], vec![0.0; c]);
                backward::<Scalar4>(&x, &dy, &s, Some(&g), &sm, &si, training, &mut dx, Some(&mut dg), Some(&mut db));
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
        forward::<Scalar4>(&x, &s, None, None, &mut rm, &mut rv, 0.1, 1e-5, true, &mut y, &mut sm, &mut si);
        let var: f64 = y.iter().map(|v| (*v as f64) * (*v as f64)).sum::<f64>() / 64.0;
        assert!((var - 1.0).abs() < 0.2, "normalized variance {var}");
    }

    #[test]
    fn row_path_for_n_by_c_matches_the_segment_path_across_chunk_and_block_edges() {
        // [n, c] runs the row-streamed path; the same numbers laid out [1, c, n] run the segment
        // path. c = CH + 5 (two channel chunks, a 4-lane body and a scalar tail), n = RB + 6.
        let (n, c) = (RB + 6, CH + 5);
        let x: Vec<f32> = randv(n * c, 31).iter().enumerate().map(|(i, v)| v + (i % c) as f32 * 0.5).collect();
        let dy = randv(n * c, 32);
        let g = randv(c, 33);
        let b = randv(c, 34);
        let t = |v: &[f32]| -> Vec<f32> { (0..n * c).map(|i| v[(i % n) * c + i / n]).collect() };
        let (xt, dyt) = (t(&x), t(&dy));
        for training in [true, false] {
            let run = |x: &[f32], dy: &[f32], s: &Shape| {
                let (mut rm, mut rv) = (vec![0.3; c], vec![1.7; c]);
                let (mut sm, mut si) = (vec![0.0; c], vec![0.0; c]);
                let mut y = vec![0.0; n * c];
                forward::<Scalar4>(
                    x,
                    s,
                    Some(&g),
                    Some(&b),
                    &mut rm,
                    &mut rv,
                    0.1,
                    1e-5,
                    training,
                    &mut y,
                    &mut sm,
                    &mut si,
                );
                let (mut dx, mut dg, mut db) = (vec![0.0; n * c], vec![0.0; c], vec![0.0; c]);
                backward::<Scalar4>(x, dy, s, Some(&g), &sm, &si, training, &mut dx, Some(&mut dg), Some(&mut db));
                (y, dx, [rm, rv, sm, si, dg, db])
            };
            let (y1, dx1, v1) = run(&x, &dy, &Shape { n, c, l: 1 });
            let (y2, dx2, v2) = run(&xt, &dyt, &Shape { n: 1, c, l: n });
            // f32 rounding only: here both paths are ~2e-5 from an f64 evaluation of dgamma
            let close = |a: &[f32], b: &[f32], what: &str| {
                for (i, (p, q)) in a.iter().zip(b).enumerate() {
                    assert!((p - q).abs() <= 1e-4 * (1.0 + q.abs()), "{what}[{i}] training={training}: {p} vs {q}");
                }
            };
            close(&t(&y1), &y2, "y");
            close(&t(&dx1), &dx2, "dx");
            for (k, (p, q)) in v1.iter().zip(&v2).enumerate() {
                close(p, q, ["running_mean", "running_var", "mean", "invstd", "dgamma", "dbeta"][k]);
            }
        }
    }
}
