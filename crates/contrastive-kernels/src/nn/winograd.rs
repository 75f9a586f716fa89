//! 3x3 stride-1 Conv2d by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016).
//!
//! Each output tile of 2x2 comes from a 4x4 input tile d (tiles step by 2, so input tiles
//! overlap by 2): Y = A^T [ (G g G^T) . (B^T d B) ] A, with
//!   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
//!   A^T = [1 1 1 0; 0 1 -1 -1].
//! Over channels the elementwise product becomes 16 matrix products, one per transform point
//! xi: M[xi] (Cout x T) = U[xi] (Cout x Cin) V[xi] (Cin x T), T = tiles of a group of samples,
//! U = G g G^T per (out, in) pair, V = B^T d B per (in channel, tile): 16 Cin Cout
//! multiply-adds per tile of 4 outputs instead of 36 Cin Cout (2.25x fewer).
//! Backward is the transpose of each linear step: dM = A dY A^T per tile, dV[xi] = U[xi]^T dM[xi],
//! dx = sum over tiles of B dV B^T (overlapping tiles add), dU[xi] = dM[xi] V[xi]^T summed over
//! tiles, dW = G^T dU G. This is the exact gradient of the same function (Winograd is exact
//! in real arithmetic), so it matches the im2col path up to rounding (the tests bound it).
//! Padding p <= 1 is read as zeros at the borders; outputs past Ho x Wo in the last tile row or
//! column are dropped (and get dY = 0 in backward).
//! Every per-tile transform is split over the thread pool by (sample, channel) planes and the
//! products by `gemm`, so results are the same bits for any thread count.

use super::conv2d::Conv;
use crate::gemm::{gemm, Packs, Strided};
use crate::par::{self, SharedMut};
use crate::simd::Isa;
use crate::{try_vec, Oom};

/// Whether this geometry can run here: 3x3, stride 1, padding 0 or 1 on each side.
pub fn applies(c: &Conv) -> bool {
    c.win.kh == 3 && c.win.kw == 3 && c.win.sh == 1 && c.win.sw == 1 && c.win.ph <= 1 && c.win.pw <= 1 && c.out_hw().is_some()
}

struct Tiles {
    ho: usize,
    wo: usize,
    th: usize,
    tw: usize,
}

impl Tiles {
    fn of(c: &Conv) -> Tiles {
        let (ho, wo) = c.out_hw().unwrap_or((0, 0));
        Tiles { ho, wo, th: ho.div_ceil(2), tw: wo.div_ceil(2) }
    }
    fn per_sample(&self) -> usize {
        self.th * self.tw
    }
}

/// The 16 runs of `tt` tiles at `at` in the 16 transform-point matrices of `v` (xi_stride apart),
/// which one plane's tiles write.
///
/// # Safety
/// No other live piece of `v` may overlap these runs (each plane has its own `at`).
#[allow(clippy::mut_from_ref)]
unsafe fn runs16(v: &SharedMut<f32>, xi_stride: usize, at: usize, tt: usize) -> [&mut [f32]; 16] {
    let mut out: [&mut [f32]; 16] = Default::default();
    for (xi, o) in out.iter_mut().enumerate() {
        *o = v.part(xi * xi_stride + at, tt);
    }
    out
}

/// Tile j's 16 transform-point values, read from matrices `xi_stride` apart.
fn gather16(m: &[f32], xi_stride: usize, j: usize) -> [f32; 16] {
    core::array::from_fn(|xi| m[xi * xi_stride + j])
}

/// `f(4 r + k, y w + x)` for the pixels of input tile (ty, tx) inside the plane (the 4x4 tile at
/// (2 ty - ph, 2 tx - pw); pixels in the padding are skipped).
fn tile_pixels(c: &Conv, ty: usize, tx: usize, mut f: impl FnMut(usize, usize)) {
    let (h, w) = (c.win.h as isize, c.win.w as isize);
    let (y0, x0) = ((2 * ty) as isize - c.win.ph as isize, (2 * tx) as isize - c.win.pw as isize);
    for r in 0..4 {
        let y = y0 + r as isize;
        if y < 0 || y >= h {
            continue;
        }
        for k in 0..4 {
            let x = x0 + k as isize;
            if x >= 0 && x < w {
                f(4 * r + k, y as usize * c.win.w + x as usize);
            }
        }
    }
}

/// V = B^T d B for every (sample, channel) plane of samples s0..s0 + gn of x, over the pool:
/// V[xi] is Cin x cols, the plane's tiles at ch * cols + s * tt.
#[allow(clippy::too_many_arguments)]
fn transform_inputs(c: &Conv, t: &Tiles, x: &[f32], s0: usize, gn: usize, cols: usize, v: &mut [f32], vl: usize) {
    let (tt, hw) = (t.per_sample(), c.win.h * c.win.w);
    let xs = c.cin * hw;
    let vs = SharedMut::new(&mut v[..16 * vl]);
    par::items(gn * c.cin, 32 * vl / c.cin.max(1), &|q| {
        let (s, ch) = (q / c.cin, q % c.cin);
        let plane = &x[(s0 + s) * xs + ch * hw..(s0 + s) * xs + (ch + 1) * hw];
        transform_plane(c, t, plane, &vs, vl, ch * cols + s * tt);
    });
}

/// The 16 products of the transform points: C[xi] (m x n) = A[xi] B[xi], where A[xi], B[xi]
/// and C[xi] are the xi-th of 16 equal blocks of `a`, `b` (each block viewed with the strides
/// of `a` and `b`) and `c`.
fn point_products<I: Isa>(m: usize, n: usize, k: usize, a: Strided, b: Strided, c: &mut [f32], packs: &mut Packs) {
    let (la, lb, lc) = (a.data.len() / 16, b.data.len() / 16, c.len() / 16);
    for xi in 0..16 {
        let ax = Strided { data: &a.data[xi * la..(xi + 1) * la], ..a };
        let bx = Strided { data: &b.data[xi * lb..(xi + 1) * lb], ..b };
        gemm::<I>(m, n, k, ax, bx, &mut c[xi * lc..(xi + 1) * lc], n, packs);
    }
}

/// Samples per group: V and M (and dV / dM) near 2M floats together.
fn group(c: &Conv, t: &Tiles) -> usize {
    ((1 << 21) / (16 * (c.cin + c.cout) * t.per_sample()).max(1)).clamp(1, c.n.max(1))
}

/// U[xi][o][i] = (G g G^T)[xi] for every (o, i): 16 x Cout x Cin.
fn transform_weights(c: &Conv, w: &[f32], u: &mut [f32]) {
    let oi = c.cout * c.cin;
    for o in 0..c.cout {
        for i in 0..c.cin {
            let g = &w[(o * c.cin + i) * 9..(o * c.cin + i) * 9 + 9];
            // t = G g (4x3), then t G^T (4x4)
            let mut t = [0.0f32; 12];
            for col in 0..3 {
                let (g0, g1, g2) = (g[col], g[3 + col], g[6 + col]);
                t[col] = g0;
                t[3 + col] = 0.5 * (g0 + g1 + g2);
                t[6 + col] = 0.5 * (g0 - g1 + g2);
                t[9 + col] = g2;
            }
            for r in 0..4 {
                let (a, b, d) = (t[3 * r], t[3 * r + 1], t[3 * r + 2]);
                let row = [a, 0.5 * (a + b + d), 0.5 * (a - b + d), d];
                for (k, v) in row.iter().enumerate() {
                    u[(4 * r + k) * oi + o * c.cin + i] = *v;
                }
            }
        }
    }
}

/// dW[o][i] += G^T dU[.][o][i] G (3x3 from 4x4), the transpose of [`transform_weights`].
fn untransform_weight_grads(c: &Conv, du: &[f32], dw: &mut [f32]) {
    let oi = c.cout * c.cin;
    for o in 0..c.cout {
        for i in 0..c.cin {
            let m = gather16(du, oi, o * c.cin + i);
            // G^T m: 3x4 (rows), then (.) G: 3x3
            let mut t = [0.0f32; 12];
            for col in 0..4 {
                let (m0, m1, m2, m3) = (m[col], m[4 + col], m[8 + col], m[12 + col]);
                t[col] = m0 + 0.5 * (m1 + m2);
                t[4 + col] = 0.5 * (m1 - m2);
                t[8 + col] = 0.5 * (m1 + m2) + m3;
            }
            let g = &mut dw[(o * c.cin + i) * 9..(o * c.cin + i) * 9 + 9];
            for r in 0..3 {
                let (a, b, d, e) = (t[4 * r], t[4 * r + 1], t[4 * r + 2], t[4 * r + 3]);
                g[3 * r] += a + 0.5 * (b + d);
                g[3 * r + 1] += 0.5 * (b - d);
                g[3 * r + 2] += 0.5 * (b + d) + e;
            }
        }
    }
}

/// V[xi][ch][col0 + tile] = (B^T d B)[xi] for the tiles of one input plane.
fn transform_plane(c: &Conv, t: &Tiles, plane: &[f32], v: &SharedMut<f32>, xi_stride: usize, at: usize) {
    // SAFETY: this plane's run of tiles; planes' runs are disjoint.
    let out = unsafe { runs16(v, xi_stride, at, t.per_sample()) };
    for ty in 0..t.th {
        for tx in 0..t.tw {
            let mut d = [0.0f32; 16];
            tile_pixels(c, ty, tx, |e, px| d[e] = plane[px]);
            // rows: B^T d
            let mut s = [0.0f32; 16];
            for k in 0..4 {
                let (d0, d1, d2, d3) = (d[k], d[4 + k], d[8 + k], d[12 + k]);
                s[k] = d0 - d2;
                s[4 + k] = d1 + d2;
                s[8 + k] = d2 - d1;
                s[12 + k] = d1 - d3;
            }
            // columns: (.) B
            let j = ty * t.tw + tx;
            for r in 0..4 {
                let (a, b, e, f) = (s[4 * r], s[4 * r + 1], s[4 * r + 2], s[4 * r + 3]);
                out[4 * r][j] = a - e;
                out[4 * r + 1][j] = b + e;
                out[4 * r + 2][j] = e - b;
                out[4 * r + 3][j] = b - f;
            }
        }
    }
}

/// dx plane += sum over its tiles of B dV B^T, the transpose of [`transform_plane`].
fn untransform_plane(c: &Conv, t: &Tiles, dv: &[f32], xi_stride: usize, at: usize, dx: &mut [f32]) {
    for ty in 0..t.th {
        for tx in 0..t.tw {
            let m = gather16(dv, xi_stride, at + ty * t.tw + tx);
            // (.) B^T on columns: column k of the result from columns of m
            let mut s = [0.0f32; 16];
            for r in 0..4 {
                let (a, b, e, f) = (m[4 * r], m[4 * r + 1], m[4 * r + 2], m[4 * r + 3]);
                s[4 * r] = a;
                s[4 * r + 1] = b - e + f;
                s[4 * r + 2] = e + b - a;
                s[4 * r + 3] = -f;
            }
            // B (.) on rows
            let mut d = [0.0f32; 16];
            for k in 0..4 {
                let (a, b, e, f) = (s[k], s[4 + k], s[8 + k], s[12 + k]);
                d[k] = a;
                d[4 + k] = b - e + f;
                d[8 + k] = e + b - a;
                d[12 + k] = -f;
            }
            tile_pixels(c, ty, tx, |e, px| dx[px] += d[e]);
        }
    }
}

/// y plane (Ho x Wo) = A^T M A per tile (+ bias), from M[xi][ch][at + tile].
fn output_plane(t: &Tiles, m: &[f32], xi_stride: usize, at: usize, bias: f32, y: &mut [f32]) {
    for ty in 0..t.th {
        for tx in 0..t.tw {
            let v = gather16(m, xi_stride, at + ty * t.tw + tx);
            // rows: A^T v (2x4), then (.) A (2x2)
            let mut s = [0.0f32; 8];
            for k in 0..4 {
                let (a, b, e, f) = (v[k], v[4 + k], v[8 + k], v[12 + k]);
                s[k] = a + b + e;
                s[4 + k] = b - e - f;
            }
            for r in 0..2 {
                let yy = 2 * ty + r;
                if yy >= t.ho {
                    continue;
                }
                let (a, b, e, f) = (s[4 * r], s[4 * r + 1], s[4 * r + 2], s[4 * r + 3]);
                let o = [a + b + e, b - e - f];
                for (k, val) in o.iter().enumerate() {
                    let xx = 2 * tx + k;
                    if xx < t.wo {
                        y[yy * t.wo + xx] = val + bias;
                    }
                }
            }
        }
    }
}

/// dM[xi][ch][at + tile] = (A dY A^T)[xi] from a dY plane (zero past Ho x Wo).
fn grad_tiles_plane(t: &Tiles, dy: &[f32], dm: &SharedMut<f32>, xi_stride: usize, at: usize) {
    // SAFETY: this plane's run of tiles; planes' runs are disjoint.
    let out = unsafe { runs16(dm, xi_stride, at, t.per_sample()) };
    for ty in 0..t.th {
        for tx in 0..t.tw {
            let mut g = [0.0f32; 4];
            for r in 0..2 {
                for k in 0..2 {
                    let (yy, xx) = (2 * ty + r, 2 * tx + k);
                    if yy < t.ho && xx < t.wo {
                        g[2 * r + k] = dy[yy * t.wo + xx];
                    }
                }
            }
            // A g: 4x2 (rows), then (.) A^T: 4x4
            let rows = [[g[0], g[1]], [g[0] + g[2], g[1] + g[3]], [g[0] - g[2], g[1] - g[3]], [-g[2], -g[3]]];
            let j = ty * t.tw + tx;
            for (r, [a, b]) in rows.iter().enumerate() {
                out[4 * r][j] = *a;
                out[4 * r + 1][j] = a + b;
                out[4 * r + 2][j] = a - b;
                out[4 * r + 3][j] = -b;
            }
        }
    }
}

/// The scratch sizes below computed without wrap (wasm32 usize): None is reported as OOM.
fn scratch_fits(c: &Conv, g: usize, tt: usize) -> Option<()> {
    16usize.checked_mul(c.cout)?.checked_mul(c.cin)?;
    16usize.checked_mul(c.cin.max(c.cout))?.checked_mul(g)?.checked_mul(tt)?;
    Some(())
}

/// y (n x Cout x Ho x Wo) = conv3x3(x, W) + b, stride 1, padding (ph, pw) <= 1.
pub fn forward<I: Isa>(c: &Conv, x: &[f32], wt: &[f32], b: Option<&[f32]>, y: &mut [f32]) -> Result<(), Oom> {
    if !applies(c) {
        return Err(Oom);
    }
    let t = Tiles::of(c);
    let (tt, p) = (t.per_sample(), t.ho * t.wo);
    let g = group(c, &t);
    scratch_fits(c, g, tt).ok_or(Oom)?;
    let mut u = try_vec(16 * c.cout * c.cin)?;
    transform_weights(c, wt, &mut u);
    let mut v = try_vec(16 * c.cin * g * tt)?;
    let mut m = try_vec(16 * c.cout * g * tt)?;
    let mut packs = Packs::new()?;
    let ys = c.cout * p;
    for s0 in (0..c.n).step_by(g) {
        let gn = g.min(c.n - s0);
        let cols = gn * tt;
        let (vl, ml) = (c.cin * cols, c.cout * cols);
        transform_inputs(c, &t, x, s0, gn, cols, &mut v, vl);
        let mo = &mut m[..16 * ml];
        mo.fill(0.0);
        point_products::<I>(c.cout, cols, c.cin, Strided::rows(&u, c.cin), Strided::rows(&v[..16 * vl], cols), mo, &mut packs);
        let (mo, yo) = (&*mo, SharedMut::new(&mut y[s0 * ys..(s0 + gn) * ys]));
        par::items(gn * c.cout, 32 * ml / c.cout.max(1), &|q| {
            let (s, oc) = (q / c.cout, q % c.cout);
            // SAFETY: one output plane per item.
            let plane = unsafe { yo.part(s * ys + oc * p, p) };
            output_plane(&t, mo, ml, oc * cols + s * tt, b.map_or(0.0, |b| b[oc]), plane);
        });
    }
    Ok(())
}

/// dx overwritten (when asked for); dW and db accumulated (each optional).
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(
    c: &Conv,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: Option<&mut [f32]>,
    db: Option<&mut [f32]>,
) -> Result<(), Oom> {
    if !applies(c) {
        return Err(Oom);
    }
    let t = Tiles::of(c);
    let (tt, p) = (t.per_sample(), t.ho * t.wo);
    let g = group(c, &t);
    scratch_fits(c, g, tt).ok_or(Oom)?;
    let (want_dx, want_dw) = (dx.is_some(), dw.is_some());
    let mut u = try_vec(if want_dx { 16 * c.cout * c.cin } else { 0 })?;
    if want_dx {
        transform_weights(c, wt, &mut u);
    }
    let mut du = try_vec(if want_dw { 16 * c.cout * c.cin } else { 0 })?;
    let mut v = try_vec(if want_dw { 16 * c.cin * g * tt } else { 0 })?;
    let mut dv = try_vec(if want_dx { 16 * c.cin * g * tt } else { 0 })?;
    let mut dm = try_vec(if want_dx || want_dw { 16 * c.cout * g * tt } else { 0 })?;
    let mut packs = Packs::new()?;
    let (xs, ys) = (c.cin * c.win.h * c.win.w, c.cout * p);
    let mut dx = dx;
    if let Some(d) = dx.as_deref_mut() {
        d[..c.n * xs].fill(0.0);
    }
    if let Some(bg) = db {
        for s in 0..c.n {
            for (oc, acc) in bg.iter_mut().enumerate().take(c.cout) {
                *acc += dy[s * ys + oc * p..s * ys + (oc + 1) * p].iter().sum::<f32>();
            }
        }
    }
    if !(want_dx || want_dw) {
        return Ok(());
    }
    for s0 in (0..c.n).step_by(g) {
        let gn = g.min(c.n - s0);
        let cols = gn * tt;
        let (vl, ml) = (c.cin * cols, c.cout * cols);
        {
            let ds = SharedMut::new(&mut dm[..16 * ml]);
            par::items(gn * c.cout, 32 * ml / c.cout.max(1), &|q| {
                let (s, oc) = (q / c.cout, q % c.cout);
                let plane = &dy[(s0 + s) * ys + oc * p..(s0 + s) * ys + (oc + 1) * p];
                grad_tiles_plane(&t, plane, &ds, ml, oc * cols + s * tt);
            });
        }
        if want_dw {
            transform_inputs(c, &t, x, s0, gn, cols, &mut v, vl);
            let (a, b) = (Strided::rows(&dm[..16 * ml], cols), Strided::transposed(&v[..16 * vl], cols));
            point_products::<I>(c.cout, c.cin, cols, a, b, &mut du, &mut packs);
        }
        if let Some(d) = dx.as_deref_mut() {
            let dvo = &mut dv[..16 * vl];
            dvo.fill(0.0);
            point_products::<I>(c.cin, cols, c.cout, Strided::transposed(&u, c.cin), Strided::rows(&dm[..16 * ml], cols), dvo, &mut packs);
            let (dvo, dxo) = (&*dvo, SharedMut::new(&mut d[s0 * xs..(s0 + gn) * xs]));
            par::items(gn * c.cin, 32 * vl / c.cin.max(1), &|q| {
                let (s, ch) = (q / c.cin, q % c.cin);
                // SAFETY: one input plane per item.
                let plane = unsafe { dxo.part(s * xs + ch * c.win.h * c.win.w, c.win.h * c.win.w) };
                untransform_plane(c, &t, dvo, vl, ch * cols + s * tt, plane);
            });
        }
    }
    if let Some(dw) = dw {
        untransform_weight_grads(c, &du, dw);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv2d;
    use crate::nn::window::Window;
    use crate::nn::fd::randv;
    use crate::simd::scalar::Scalar4;

    fn close(a: &[f32], b: &[f32], what: &str) {
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-5 * scale + 1e-5 * y.abs(), "{what}[{i}]: {x} vs {y} (scale {scale})");
        }
    }

    /// Winograd against the im2col path on odd sizes, 1 and 3 channels, padding 0 and 1.
    #[test]
    fn matches_im2col_on_odd_sizes_channels_and_paddings() {
        let mut seed = 1;
        for (h, w) in [(3, 3), (5, 7), (1, 1), (4, 4), (9, 6)] {
            for (cin, cout) in [(1, 1), (3, 2), (1, 5), (4, 3)] {
                for pad in [0, 1] {
                    let c = Conv { n: 2, cin, cout, win: Window { h, w, kh: 3, kw: 3, sh: 1, sw: 1, ph: pad, pw: pad } };
                    if c.out_hw().is_none() {
                        assert!(!applies(&c));
                        continue;
                    }
                    let (ho, wo) = c.out_hw().unwrap();
                    seed += 4;
                    let x = randv(c.n * cin * h * w, seed);
                    let wt = randv(cout * cin * 9, seed + 1);
                    let b = randv(cout, seed + 2);
                    let dy = randv(c.n * cout * ho * wo, seed + 3);
                    let (mut y1, mut y2) = (vec![0.0; dy.len()], vec![0.0; dy.len()]);
                    conv2d::forward_im2col::<Scalar4>(&c, &x, &wt, Some(&b), &mut y1).unwrap();
                    forward::<Scalar4>(&c, &x, &wt, Some(&b), &mut y2).unwrap();
                    close(&y2, &y1, "y");
                    let (mut dx1, mut dw1, mut db1) = (vec![0.0; x.len()], vec![0.0; wt.len()], vec![0.0; cout]);
                    conv2d::backward_im2col::<Scalar4>(&c, &x, &wt, &dy, Some(&mut dx1), Some(&mut dw1), Some(&mut db1)).unwrap();
                    let (mut dx2, mut dw2, mut db2) = (vec![9.0; x.len()], vec![0.0; wt.len()], vec![0.0; cout]);
                    backward::<Scalar4>(&c, &x, &wt, &dy, Some(&mut dx2), Some(&mut dw2), Some(&mut db2)).unwrap();
                    close(&dx2, &dx1, "dx");
                    close(&dw2, &dw1, "dw");
                    close(&db2, &db1, "db");
                }
            }
        }
    }

    #[test]
    fn groups_of_samples_give_the_one_sample_results() {
        // 16 (cin + cout) tiles per sample = 16 * 96 * 196: 6 samples per group, 13 samples -> 3 groups
        let c = Conv { n: 13, cin: 64, cout: 32, win: Window { h: 28, w: 28, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 } };
        let t = Tiles::of(&c);
        assert!(group(&c, &t) < 13);
        let xs = 64 * 784;
        let x = randv(13 * xs, 3);
        let wt = randv(32 * 64 * 9, 4);
        let mut y = vec![0.0; 13 * 32 * 784];
        forward::<Scalar4>(&c, &x, &wt, None, &mut y).unwrap();
        let one = Conv { n: 1, ..c };
        for s in [0, 6, 12] {
            let mut y1 = vec![0.0; 32 * 784];
            forward::<Scalar4>(&one, &x[s * xs..(s + 1) * xs], &wt, None, &mut y1).unwrap();
            assert_eq!(&y[s * 32 * 784..(s + 1) * 32 * 784], &y1[..]);
        }
    }

    #[test]
    fn other_geometries_are_refused_not_miscomputed() {
        for c in [
            Conv { n: 1, cin: 1, cout: 1, win: Window { h: 5, w: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 } },
            Conv { n: 1, cin: 1, cout: 1, win: Window { h: 5, w: 5, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2 } },
            Conv { n: 1, cin: 1, cout: 1, win: Window { h: 5, w: 5, kh: 3, kw: 3, sh: 1, sw: 1, ph: 2, pw: 2 } },
        ] {
            assert!(!applies(&c));
            assert!(forward::<Scalar4>(&c, &[0.0; 25], &[0.0; 25], None, &mut [0.0; 25]).is_err());
        }
    }
}
