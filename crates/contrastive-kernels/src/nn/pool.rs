//! Pools on NCHW planes (ceil_mode = false, dilation 1), PyTorch's exact algorithms.
//!
//! MaxPool2d: max over the window of x padded with -inf; `idx` records the argmax as the flat
//! index h W + w in its plane (PyTorch's return_indices); backward adds dy at the argmax (windows
//! that share an argmax add up).
//! AvgPool2d: hs = i s - p, he = min(hs + k, H + p), pool = (he - hs)(we - ws); the window is
//! clipped to the input; divisor = pool if count_include_pad else the real count;
//! y = sum / divisor and every real element gets dy / divisor.
//! Global average pool (AdaptiveAvgPool2d(1)): y = mean over H W, dx = dy / (H W).

#[derive(Clone, Copy)]
pub struct Pool {
    /// n * channels: the number of planes.
    pub planes: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub ph: usize,
    pub pw: usize,
}

impl Pool {
    pub fn out_hw(&self) -> Option<(usize, usize)> {
        let (hp, wp) = (self.h + 2 * self.ph, self.w + 2 * self.pw);
        if self.kh == 0 || self.kw == 0 || self.sh == 0 || self.sw == 0 || hp < self.kh || wp < self.kw {
            return None;
        }
        // PyTorch also requires pad <= kernel / 2
        if 2 * self.ph > self.kh || 2 * self.pw > self.kw {
            return None;
        }
        Some(((hp - self.kh) / self.sh + 1, (wp - self.kw) / self.sw + 1))
    }
}

fn window(i: usize, s: usize, p: usize, k: usize, n: usize) -> (isize, isize, usize, usize) {
    let hs = (i * s) as isize - p as isize;
    let he = (hs + k as isize).min((n + p) as isize);
    (hs, he, hs.max(0) as usize, he.min(n as isize) as usize)
}

pub fn max_forward(p: &Pool, x: &[f32], y: &mut [f32], idx: &mut [u32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    if p.kh == 2 && p.kw == 2 && p.sh == 2 && p.sw == 2 && p.ph == 0 && p.pw == 0 {
        return max_forward_2x2(p, x, y, idx, ho, wo);
    }
    max_forward_general(p, x, y, idx, ho, wo)
}

fn max_forward_general(p: &Pool, x: &[f32], y: &mut [f32], idx: &mut [u32], ho: usize, wo: usize) {
    for pl in 0..p.planes {
        let xp = &x[pl * p.h * p.w..(pl + 1) * p.h * p.w];
        for i in 0..ho {
            let (_, _, h0, h1) = window(i, p.sh, p.ph, p.kh, p.h);
            for j in 0..wo {
                let (_, _, w0, w1) = window(j, p.sw, p.pw, p.kw, p.w);
                let (mut best, mut at) = (f32::NEG_INFINITY, u32::MAX);
                for hh in h0..h1 {
                    for ww in w0..w1 {
                        let v = xp[hh * p.w + ww];
                        if v > best || at == u32::MAX || v.is_nan() {
                            best = v;
                            at = (hh * p.w + ww) as u32;
                        }
                    }
                }
                let o = (pl * ho + i) * wo + j;
                y[o] = best;
                idx[o] = at;
            }
        }
    }
}

/// The CNN presets' 2x2 / stride 2 pool without the general window arithmetic. Same scan order
/// (row-major inside the window, first maximum wins, NaN propagates) as the general path.
fn max_forward_2x2(p: &Pool, x: &[f32], y: &mut [f32], idx: &mut [u32], ho: usize, wo: usize) {
    for pl in 0..p.planes {
        let xp = &x[pl * p.h * p.w..(pl + 1) * p.h * p.w];
        for i in 0..ho {
            let (r0, r1) = (&xp[2 * i * p.w..], &xp[(2 * i + 1) * p.w..]);
            for j in 0..wo {
                let cand = [(r0[2 * j], 2 * i * p.w + 2 * j), (r0[2 * j + 1], 2 * i * p.w + 2 * j + 1)];
                let cand2 = [(r1[2 * j], (2 * i + 1) * p.w + 2 * j), (r1[2 * j + 1], (2 * i + 1) * p.w + 2 * j + 1)];
                let (mut best, mut at) = cand[0];
                for &(v, a) in cand[1..].iter().chain(cand2.iter()) {
                    if v > best || v.is_nan() {
                        best = v;
                        at = a;
                    }
                }
                let o = (pl * ho + i) * wo + j;
                y[o] = best;
                idx[o] = at as u32;
            }
        }
    }
}

pub fn max_backward(p: &Pool, dy: &[f32], idx: &[u32], dx: &mut [f32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    dx[..p.planes * p.h * p.w].fill(0.0);
    for pl in 0..p.planes {
        for o in 0..ho * wo {
            let at = idx[pl * ho * wo + o] as usize;
            if at < p.h * p.w {
                dx[pl * p.h * p.w + at] += dy[pl * ho * wo + o];
            }
        }
    }
}

fn divisor(hs: isize, he: isize, ws: isize, we: isize, real: usize, include_pad: bool) -> f32 {
    if include_pad {
        ((he - hs) * (we - ws)) as f32
    } else {
        real as f32
    }
}

pub fn avg_forward(p: &Pool, include_pad: bool, x: &[f32], y: &mut [f32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    for pl in 0..p.planes {
        let xp = &x[pl * p.h * p.w..(pl + 1) * p.h * p.w];
        for i in 0..ho {
            let (hs, he, h0, h1) = window(i, p.sh, p.ph, p.kh, p.h);
            for j in 0..wo {
                let (ws, we, w0, w1) = window(j, p.sw, p.pw, p.kw, p.w);
                let mut s = 0.0f32;
                for hh in h0..h1 {
                    for ww in w0..w1 {
                        s += xp[hh * p.w + ww];
                    }
                }
                let d = divisor(hs, he, ws, we, (h1 - h0) * (w1 - w0), include_pad);
                y[(pl * ho + i) * wo + j] = s / d;
            }
        }
    }
}

pub fn avg_backward(p: &Pool, include_pad: bool, dy: &[f32], dx: &mut [f32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    dx[..p.planes * p.h * p.w].fill(0.0);
    for pl in 0..p.planes {
        let dp = &mut dx[pl * p.h * p.w..(pl + 1) * p.h * p.w];
        for i in 0..ho {
            let (hs, he, h0, h1) = window(i, p.sh, p.ph, p.kh, p.h);
            for j in 0..wo {
                let (ws, we, w0, w1) = window(j, p.sw, p.pw, p.kw, p.w);
                let g = dy[(pl * ho + i) * wo + j] / divisor(hs, he, ws, we, (h1 - h0) * (w1 - w0), include_pad);
                for hh in h0..h1 {
                    for ww in w0..w1 {
                        dp[hh * p.w + ww] += g;
                    }
                }
            }
        }
    }
}

/// y[plane] = mean of the plane's hw values.
pub fn global_avg_forward(x: &[f32], planes: usize, hw: usize, y: &mut [f32]) {
    for (pl, o) in y[..planes].iter_mut().enumerate() {
        let s: f64 = x[pl * hw..(pl + 1) * hw].iter().map(|v| *v as f64).sum();
        *o = (s / hw as f64) as f32;
    }
}

pub fn global_avg_backward(dy: &[f32], planes: usize, hw: usize, dx: &mut [f32]) {
    for pl in 0..planes {
        let g = dy[pl] / hw as f32;
        dx[pl * hw..(pl + 1) * hw].fill(g);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};

    #[test]
    fn max_pool_pads_with_minus_infinity_not_zero() {
        let p = Pool { planes: 1, h: 2, w: 2, kh: 2, kw: 2, sh: 2, sw: 2, ph: 1, pw: 1 };
        let x = [-1.0f32, -2.0, -3.0, -4.0];
        let (mut y, mut idx) = ([0.0f32; 4], [0u32; 4]);
        max_forward(&p, &x, &mut y, &mut idx);
        assert_eq!(y, [-1.0, -2.0, -3.0, -4.0]);
        assert_eq!(idx, [0, 1, 2, 3]);
    }

    #[test]
    fn avg_pool_corner_divisor_follows_count_include_pad() {
        let p = Pool { planes: 1, h: 2, w: 2, kh: 2, kw: 2, sh: 2, sw: 2, ph: 1, pw: 1 };
        let x = [4.0f32, 8.0, 12.0, 16.0];
        let mut y = [0.0f32; 4];
        avg_forward(&p, true, &x, &mut y);
        assert_eq!(y, [1.0, 2.0, 3.0, 4.0]);
        avg_forward(&p, false, &x, &mut y);
        assert_eq!(y, x);
    }

    #[test]
    fn avg_pool_backward_matches_finite_differences() {
        let p = Pool { planes: 2, h: 5, w: 6, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 };
        let (ho, wo) = p.out_hw().unwrap();
        let x = randv(60, 41);
        let dy = randv(2 * ho * wo, 42);
        for inc in [true, false] {
            let mut dx = vec![0.0; 60];
            avg_backward(&p, inc, &dy, &mut dx);
            check_grad(
                &x,
                &dx,
                |v| {
                    let mut y = vec![0.0; dy.len()];
                    avg_forward(&p, inc, v, &mut y);
                    y.iter().zip(&dy).map(|(a, b)| (*a as f64) * (*b as f64)).sum()
                },
                "avg dx",
            );
        }
    }

    #[test]
    fn overlapping_max_windows_add_their_gradients() {
        // 3x3 windows with stride 1 on a 3x4 plane: the max at the centre is shared
        let p = Pool { planes: 1, h: 3, w: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0 };
        let x = [0., 1., 2., 0.5, 3., 9., 4., 1.5, 5., 6., 7., 2.5];
        let (mut y, mut idx) = ([0.0f32; 2], [0u32; 2]);
        max_forward(&p, &x, &mut y, &mut idx);
        assert_eq!(idx, [5, 5]);
        let mut dx = [0.0f32; 12];
        max_backward(&p, &[1.0, 2.0], &idx, &mut dx);
        assert_eq!(dx[5], 3.0);
    }

    #[test]
    fn the_2x2_fast_path_matches_the_general_window_scan_with_ties_and_nan() {
        let p = Pool { planes: 3, h: 7, w: 6, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 };
        let (ho, wo) = p.out_hw().unwrap();
        // values from a small set so windows have ties, plus NaNs
        let x: Vec<f32> = (0..3 * 7 * 6).map(|i| if i % 17 == 3 { f32::NAN } else { ((i * 7) % 5) as f32 }).collect();
        let (mut y1, mut y2) = (vec![0.0f32; 3 * ho * wo], vec![0.0f32; 3 * ho * wo]);
        let (mut i1, mut i2) = (vec![0u32; 3 * ho * wo], vec![0u32; 3 * ho * wo]);
        max_forward_2x2(&p, &x, &mut y1, &mut i1, ho, wo);
        max_forward_general(&p, &x, &mut y2, &mut i2, ho, wo);
        assert_eq!(i1, i2);
        for (a, b) in y1.iter().zip(&y2) {
            assert!(a == b || a.is_nan() && b.is_nan());
        }
    }
}
