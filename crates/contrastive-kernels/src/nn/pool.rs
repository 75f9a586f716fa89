//! Pools on NCHW planes (ceil_mode = false, dilation 1), PyTorch's exact algorithms.
//!
//! MaxPool2d: max over the window of x padded with -inf; `idx` records the argmax as the flat
//! index h W + w in its plane (PyTorch's return_indices); backward adds dy at the argmax (windows
//! that share an argmax add up).
//! AvgPool2d: hs = i s - p, he = min(hs + k, H + p), pool = (he - hs)(we - ws); the window is
//! clipped to the input; divisor = pool if count_include_pad else the real count;
//! y = sum / divisor and every real element gets dy / divisor.
//! Global average pool (AdaptiveAvgPool2d(1)): y = mean over H W, dx = dy / (H W).
//! Planes are independent: big calls are split into runs of planes over the thread pool.

use super::window::Window;
use crate::par::SharedMut;

/// `planes` (n * channels) planes, each pooled over the window `win`.
#[derive(Clone, Copy)]
pub struct Pool {
    pub planes: usize,
    pub win: Window,
}

impl Pool {
    /// As [`Window::out_hw`], and None when a padding exceeds half its kernel (PyTorch's rule).
    pub fn out_hw(&self) -> Option<(usize, usize)> {
        let w = &self.win;
        if w.ph > w.kh / 2 || w.pw > w.kw / 2 {
            return None;
        }
        w.out_hw()
    }
}

fn window(i: usize, s: usize, p: usize, k: usize, n: usize) -> (isize, isize, usize, usize) {
    let hs = (i * s) as isize - p as isize;
    let he = (hs + k as isize).min((n + p) as isize);
    (hs, he, hs.max(0) as usize, he.min(n as isize) as usize)
}

/// Runs `f(q, lo)` for contiguous runs of planes lo..lo + q.planes over the thread pool; planes
/// are independent, so results do not depend on how they are split. `traffic`: floats per plane.
fn per_planes(p: &Pool, traffic: usize, f: &(dyn Fn(&Pool, usize) + Sync)) {
    crate::par::ranges(p.planes, p.planes * traffic, &|a, b| f(&Pool { planes: b - a, ..*p }, a));
}

pub fn max_forward(p: &Pool, x: &[f32], y: &mut [f32], idx: &mut [u32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    let (xs, ys) = (p.win.h * p.win.w, ho * wo);
    let fast = p.win.kh == 2 && p.win.kw == 2 && p.win.sh == 2 && p.win.sw == 2 && p.win.ph == 0 && p.win.pw == 0;
    let (yo, io) = (SharedMut::new(&mut y[..p.planes * ys]), SharedMut::new(&mut idx[..p.planes * ys]));
    per_planes(p, xs + 2 * ys, &|q, a| {
        let x = &x[a * xs..(a + q.planes) * xs];
        // SAFETY: plane runs are disjoint, and so are their outputs.
        let (y, idx) = unsafe { (yo.part(a * ys, q.planes * ys), io.part(a * ys, q.planes * ys)) };
        if fast {
            max_forward_2x2(q, x, y, idx, ho, wo)
        } else {
            max_forward_general(q, x, y, idx, ho, wo)
        }
    });
}

fn max_forward_general(p: &Pool, x: &[f32], y: &mut [f32], idx: &mut [u32], ho: usize, wo: usize) {
    for pl in 0..p.planes {
        let xp = &x[pl * p.win.h * p.win.w..(pl + 1) * p.win.h * p.win.w];
        for i in 0..ho {
            let (_, _, h0, h1) = window(i, p.win.sh, p.win.ph, p.win.kh, p.win.h);
            for j in 0..wo {
                let (_, _, w0, w1) = window(j, p.win.sw, p.win.pw, p.win.kw, p.win.w);
                let (mut best, mut at) = (f32::NEG_INFINITY, u32::MAX);
                for hh in h0..h1 {
                    for ww in w0..w1 {
                        let v = xp[hh * p.win.w + ww];
                        if v > best || at == u32::MAX || v.is_nan() {
                            best = v;
                            at = (hh * p.win.w + ww) as u32;
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
/// (row-major inside the window, first maximum wins, NaN propagates) as the general path; on
/// wasm, four windows at a time in vector lanes.
fn max_forward_2x2(p: &Pool, x: &[f32], y: &mut [f32], idx: &mut [u32], ho: usize, wo: usize) {
    for pl in 0..p.planes {
        let xp = &x[pl * p.win.h * p.win.w..(pl + 1) * p.win.h * p.win.w];
        for i in 0..ho {
            let (r0, r1) = (&xp[2 * i * p.win.w..(2 * i + 1) * p.win.w], &xp[(2 * i + 1) * p.win.w..(2 * i + 2) * p.win.w]);
            let o = (pl * ho + i) * wo;
            let (yr, ir) = (&mut y[o..o + wo], &mut idx[o..o + wo]);
            let j0 = max_2x2_lanes(r0, r1, 2 * i * p.win.w, p.win.w, yr, ir);
            for j in j0..wo {
                let cand = [(r0[2 * j], 2 * i * p.win.w + 2 * j), (r0[2 * j + 1], 2 * i * p.win.w + 2 * j + 1)];
                let cand2 = [(r1[2 * j], (2 * i + 1) * p.win.w + 2 * j), (r1[2 * j + 1], (2 * i + 1) * p.win.w + 2 * j + 1)];
                let (mut best, mut at) = cand[0];
                for &(v, a) in cand[1..].iter().chain(cand2.iter()) {
                    if v > best || v.is_nan() {
                        best = v;
                        at = a;
                    }
                }
                yr[j] = best;
                ir[j] = at as u32;
            }
        }
    }
}

/// Output columns 0..j of one row of 2x2 windows, four at a time (rows r0, r1 of the input; `at0`
/// the plane index of r0[0], `w` the row length); returns j, where the scalar loop takes over.
/// Per lane the candidates are taken in the scalar order with the same rule (greater, or NaN).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn max_2x2_lanes(r0: &[f32], r1: &[f32], at0: usize, w: usize, y: &mut [f32], idx: &mut [u32]) -> usize {
    use core::arch::wasm32::*;
    let mut j = 0;
    while 2 * j + 8 <= r0.len() && j + 4 <= y.len() {
        // SAFETY: 2 j + 8 <= the length of r0 and r1 (equal), j + 4 <= that of y and idx.
        unsafe {
            let ld = |r: &[f32], k: usize| v128_load(r.as_ptr().add(k) as *const v128);
            let (a0, a1, b0, b1) = (ld(r0, 2 * j), ld(r0, 2 * j + 4), ld(r1, 2 * j), ld(r1, 2 * j + 4));
            let even = |u, v| i32x4_shuffle::<0, 2, 4, 6>(u, v);
            let odd = |u, v| i32x4_shuffle::<1, 3, 5, 7>(u, v);
            let base = i32x4_add(u32x4_splat((at0 + 2 * j) as u32), i32x4(0, 2, 4, 6));
            let mut best = even(a0, a1);
            let mut at = base;
            for (v, off) in [(odd(a0, a1), 1), (even(b0, b1), w), (odd(b0, b1), w + 1)] {
                let take = v128_or(f32x4_gt(v, best), f32x4_ne(v, v));
                best = v128_bitselect(v, best, take);
                at = v128_bitselect(i32x4_add(base, u32x4_splat(off as u32)), at, take);
            }
            v128_store(y.as_mut_ptr().add(j) as *mut v128, best);
            v128_store(idx.as_mut_ptr().add(j) as *mut v128, at);
        }
        j += 4;
    }
    j
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn max_2x2_lanes(_: &[f32], _: &[f32], _: usize, _: usize, _: &mut [f32], _: &mut [u32]) -> usize {
    0
}

pub fn max_backward(p: &Pool, dy: &[f32], idx: &[u32], dx: &mut [f32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    let (xs, ys) = (p.win.h * p.win.w, ho * wo);
    let out = SharedMut::new(&mut dx[..p.planes * xs]);
    per_planes(p, 2 * xs + 2 * ys, &|q, a| {
        // SAFETY: plane runs are disjoint.
        let dx = unsafe { out.part(a * xs, q.planes * xs) };
        dx.fill(0.0);
        for pl in 0..q.planes {
            let (d, g, at) = (&mut dx[pl * xs..(pl + 1) * xs], &dy[(a + pl) * ys..][..ys], &idx[(a + pl) * ys..][..ys]);
            for (g, &at) in g.iter().zip(at) {
                if (at as usize) < xs {
                    d[at as usize] += g;
                }
            }
        }
    });
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
    let (xs, ys) = (p.win.h * p.win.w, ho * wo);
    let out = SharedMut::new(&mut y[..p.planes * ys]);
    per_planes(p, xs + ys, &|q, a| {
        // SAFETY: plane runs are disjoint.
        let y = unsafe { out.part(a * ys, q.planes * ys) };
        for pl in 0..q.planes {
            let xp = &x[(a + pl) * xs..(a + pl + 1) * xs];
            for i in 0..ho {
                let (hs, he, h0, h1) = window(i, p.win.sh, p.win.ph, p.win.kh, p.win.h);
                for j in 0..wo {
                    let (ws, we, w0, w1) = window(j, p.win.sw, p.win.pw, p.win.kw, p.win.w);
                    let mut s = 0.0f32;
                    for hh in h0..h1 {
                        for ww in w0..w1 {
                            s += xp[hh * p.win.w + ww];
                        }
                    }
                    let d = divisor(hs, he, ws, we, (h1 - h0) * (w1 - w0), include_pad);
                    y[(pl * ho + i) * wo + j] = s / d;
                }
            }
        }
    });
}

pub fn avg_backward(p: &Pool, include_pad: bool, dy: &[f32], dx: &mut [f32]) {
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    let (xs, ys) = (p.win.h * p.win.w, ho * wo);
    let out = SharedMut::new(&mut dx[..p.planes * xs]);
    per_planes(p, 2 * xs + ys, &|q, a| {
        // SAFETY: plane runs are disjoint.
        let dx = unsafe { out.part(a * xs, q.planes * xs) };
        dx.fill(0.0);
        for pl in 0..q.planes {
            let dp = &mut dx[pl * xs..(pl + 1) * xs];
            for i in 0..ho {
                let (hs, he, h0, h1) = window(i, p.win.sh, p.win.ph, p.win.kh, p.win.h);
                for j in 0..wo {
                    let (ws, we, w0, w1) = window(j, p.win.sw, p.win.pw, p.win.kw, p.win.w);
                    let g =
                        dy[((a + pl) * ho + i) * wo + j] / divisor(hs, he, ws, we, (h1 - h0) * (w1 - w0), include_pad);
                    for hh in h0..h1 {
                        for ww in w0..w1 {
                            dp[hh * p.win.w + ww] += g;
                        }
                    }
                }
            }
        }
    });
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
        let p = Pool { planes: 1, win: Window { h: 2, w: 2, kh: 2, kw: 2, sh: 2, sw: 2, ph: 1, pw: 1 } };
        let x = [-1.0f32, -2.0, -3.0, -4.0];
        let (mut y, mut idx) = ([0.0f32; 4], [0u32; 4]);
        max_forward(&p, &x, &mut y, &mut idx);
        assert_eq!(y, [-1.0, -2.0, -3.0, -4.0]);
        assert_eq!(idx, [0, 1, 2, 3]);
    }

    #[test]
    fn avg_pool_corner_divisor_follows_count_include_pad() {
        let p = Pool { planes: 1, win: Window { h: 2, w: 2, kh: 2, kw: 2, sh: 2, sw: 2, ph: 1, pw: 1 } };
        let x = [4.0f32, 8.0, 12.0, 16.0];
        let mut y = [0.0f32; 4];
        avg_forward(&p, true, &x, &mut y);
        assert_eq!(y, [1.0, 2.0, 3.0, 4.0]);
        avg_forward(&p, false, &x, &mut y);
        assert_eq!(y, x);
    }

    #[test]
    fn avg_pool_backward_matches_finite_differences() {
        let p = Pool { planes: 2, win: Window { h: 5, w: 6, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 } };
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
        let p = Pool { planes: 1, win: Window { h: 3, w: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0 } };
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
        let p = Pool { planes: 3, win: Window { h: 7, w: 6, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0 } };
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
