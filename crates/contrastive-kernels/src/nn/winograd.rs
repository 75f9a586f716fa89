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
use crate::gemm::{for_each_product, gemm_serial, Packs, Strided};
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
            let mut m = [0.0f32; 16];
            for (xi, v) in m.iter_mut().enumerate() {
                *v = du[xi * oi + o * c.cin + i];
            }
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

/// Tiles per chunk of a tile row in the plane transforms: their stack rows hold CH + 1 columns.
const CH: usize = 16;

/// The four rows of 16 output streams for transform row `r`, each `n` long from `j`.
fn four<'a>(out: &'a mut [&mut [f32]; 16], r: usize, j: usize, n: usize) -> [&'a mut [f32]; 4] {
    let [a, b, c, d] = &mut out[4 * r..4 * r + 4] else { unreachable!() };
    [&mut a[j..j + n], &mut b[j..j + n], &mut c[j..j + n], &mut d[j..j + n]]
}

/// Even and odd columns of one row at padded positions 2(t0 + k) - pad (+1), k in 0..len: zero outside the row.
fn deinterleave(row: Option<&[f32]>, t0: usize, pad: usize, len: usize, e: &mut [f32], o: &mut [f32]) {
    let (e, o) = (&mut e[..len], &mut o[..len]);
    let Some(row) = row else {
        e.fill(0.0);
        o.fill(0.0);
        return;
    };
    let w = row.len() as isize;
    let at = |x: isize| if x >= 0 && x < w { row[x as usize] } else { 0.0 };
    let x0 = (2 * t0) as isize - pad as isize;
    // k in [lo, hi): both columns inside the row, read without checks
    let lo = ((-x0).max(0) as usize).div_ceil(2).min(len);
    let hi = (((w - 1 - x0).max(0) as usize) / 2).clamp(lo, len);
    for k in (0..lo).chain(hi..len) {
        let x = x0 + 2 * k as isize;
        e[k] = at(x);
        o[k] = at(x + 1);
    }
    if hi > lo {
        let base = (x0 + 2 * lo as isize) as usize;
        let src = &row[base..base + 2 * (hi - lo)];
        for ((e, o), p) in e[lo..hi].iter_mut().zip(o[lo..hi].iter_mut()).zip(src.chunks_exact(2)) {
            *e = p[0];
            *o = p[1];
        }
    }
}

/// The inverse of [`deinterleave`]: writes the even and odd columns back where they fall inside the row.
fn interleave(row: &mut [f32], t0: usize, pad: usize, e: &[f32], o: &[f32]) {
    let len = e.len().min(o.len());
    let w = row.len() as isize;
    let x0 = (2 * t0) as isize - pad as isize;
    let lo = ((-x0).max(0) as usize).div_ceil(2).min(len);
    let hi = (((w - 1 - x0).max(0) as usize) / 2).clamp(lo, len);
    for k in (0..lo).chain(hi..len) {
        let x = x0 + 2 * k as isize;
        if x >= 0 && x < w {
            row[x as usize] = e[k];
        }
        if x + 1 >= 0 && x + 1 < w {
            row[x as usize + 1] = o[k];
        }
    }
    if hi > lo {
        let base = (x0 + 2 * lo as isize) as usize;
        let dst = &mut row[base..base + 2 * (hi - lo)];
        for ((e, o), p) in e[lo..hi].iter().zip(o[lo..hi].iter()).zip(dst.chunks_exact_mut(2)) {
            p[0] = *e;
            p[1] = *o;
        }
    }
}

/// V[xi][ch][col0 + tile] = (B^T d B)[xi] for the tiles of one input plane.
///
/// A tile row at a time, CH tiles at once: the row step B^T d combines whole input rows
/// elementwise, and the column step reads even and odd columns (tile k uses columns 2k..2k+3 =
/// even[k], odd[k], even[k + 1], odd[k + 1]), so both run over contiguous runs of tiles and
/// vectorize; the arithmetic per value is the per-tile formula's, in the same order.
fn transform_plane(c: &Conv, t: &Tiles, plane: &[f32], v: &SharedMut<f32>, xi_stride: usize, at: usize) {
    let tt = t.per_sample();
    let mut out: [&mut [f32]; 16] = Default::default();
    for (xi, o) in out.iter_mut().enumerate() {
        // SAFETY: this plane's run of tiles in each of the 16 matrices.
        *o = unsafe { v.part(xi * xi_stride + at, tt) };
    }
    let (h, w) = (c.win.h as isize, c.win.w);
    let (mut de, mut dd_o) = ([[0.0f32; CH + 1]; 4], [[0.0f32; CH + 1]; 4]);
    let (mut se, mut so) = ([[0.0f32; CH + 1]; 4], [[0.0f32; CH + 1]; 4]);
    for ty in 0..t.th {
        let y0 = (2 * ty) as isize - c.win.ph as isize;
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            let m = n + 1;
            for r in 0..4 {
                let y = y0 + r as isize;
                let row = (y >= 0 && y < h).then(|| &plane[y as usize * w..(y as usize + 1) * w]);
                deinterleave(row, t0, c.win.pw, m, &mut de[r], &mut dd_o[r]);
            }
            // rows: B^T d, on even and odd columns alike
            for (d, s) in [(&de, &mut se), (&dd_o, &mut so)] {
                let [s0, s1, s2, s3] = s;
                let (d0, d1, d2, d3) = (&d[0][..m], &d[1][..m], &d[2][..m], &d[3][..m]);
                let (s0, s1, s2, s3) = (&mut s0[..m], &mut s1[..m], &mut s2[..m], &mut s3[..m]);
                for k in 0..m {
                    s0[k] = d0[k] - d2[k];
                    s1[k] = d1[k] + d2[k];
                    s2[k] = d2[k] - d1[k];
                    s3[k] = d1[k] - d3[k];
                }
            }
            // columns: (.) B
            let j = ty * t.tw + t0;
            for r in 0..4 {
                let [o0, o1, o2, o3] = four(&mut out, r, j, n);
                let (a, b, e, f) = (&se[r][..n], &so[r][..n], &se[r][1..m], &so[r][1..m]);
                for k in 0..n {
                    o0[k] = a[k] - e[k];
                    o1[k] = b[k] + e[k];
                    o2[k] = e[k] - b[k];
                    o3[k] = b[k] - f[k];
                }
            }
        }
    }
}

/// dx plane += sum over its tiles of B dV B^T, the transpose of [`transform_plane`].
///
/// Vectorized over CH tiles of a tile row as [`transform_plane`]; the overlapping tiles' sums
/// land on each dx value in the per-tile order (tile rows top to bottom, tiles left to right),
/// so the rounding is the per-tile loop's.
fn untransform_plane(c: &Conv, t: &Tiles, dv: &[f32], xi_stride: usize, at: usize, dx: &mut [f32]) {
    let (h, w) = (c.win.h as isize, c.win.w);
    let mut s = [[0.0f32; CH]; 16];
    let mut d = [[0.0f32; CH]; 16];
    let (mut ae, mut ao) = ([0.0f32; CH + 1], [0.0f32; CH + 1]);
    for ty in 0..t.th {
        let y0 = (2 * ty) as isize - c.win.ph as isize;
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            let j = at + ty * t.tw + t0;
            // (.) B^T on columns
            for r in 0..4 {
                let (a, b, e, f) = (
                    &dv[(4 * r) * xi_stride + j..][..n],
                    &dv[(4 * r + 1) * xi_stride + j..][..n],
                    &dv[(4 * r + 2) * xi_stride + j..][..n],
                    &dv[(4 * r + 3) * xi_stride + j..][..n],
                );
                let [s0, s1, s2, s3] = &mut s[4 * r..4 * r + 4] else { unreachable!() };
                let (s0, s1, s2, s3) = (&mut s0[..n], &mut s1[..n], &mut s2[..n], &mut s3[..n]);
                for k in 0..n {
                    s0[k] = a[k];
                    s1[k] = b[k] - e[k] + f[k];
                    s2[k] = e[k] + b[k] - a[k];
                    s3[k] = -f[k];
                }
            }
            // B (.) on rows
            for col in 0..4 {
                let (a, b, e, f) = (&s[col][..n], &s[4 + col][..n], &s[8 + col][..n], &s[12 + col][..n]);
                let [d0, d1, d2, d3] = [0, 1, 2, 3].map(|r| d[4 * r + col].as_mut_ptr());
                // SAFETY: four distinct rows of d, each CH >= n long.
                let (d0, d1, d2, d3) = unsafe {
                    (
                        core::slice::from_raw_parts_mut(d0, n),
                        core::slice::from_raw_parts_mut(d1, n),
                        core::slice::from_raw_parts_mut(d2, n),
                        core::slice::from_raw_parts_mut(d3, n),
                    )
                };
                for k in 0..n {
                    d0[k] = a[k];
                    d1[k] = b[k] - e[k] + f[k];
                    d2[k] = e[k] + b[k] - a[k];
                    d3[k] = -f[k];
                }
            }
            // scatter-add: dx row y0 + r, even column of tile k gets tile k - 1's column 2 then
            // tile k's column 0 (odd: 3 then 1)
            let m = n + 1;
            for r in 0..4 {
                let y = y0 + r as isize;
                if y < 0 || y >= h {
                    continue;
                }
                let row = &mut dx[y as usize * w..(y as usize + 1) * w];
                deinterleave(Some(row), t0, c.win.pw, m, &mut ae, &mut ao);
                let (ae, ao) = (&mut ae[..m], &mut ao[..m]);
                let (c0, c1, c2, c3) = (&d[4 * r][..n], &d[4 * r + 1][..n], &d[4 * r + 2][..n], &d[4 * r + 3][..n]);
                // position 0 got its left tile's share in the previous chunk (or has none)
                for k in 0..n {
                    ae[k] += c0[k];
                    ao[k] += c1[k];
                    ae[k + 1] += c2[k];
                    ao[k + 1] += c3[k];
                }
                interleave(row, t0, c.win.pw, ae, ao);
            }
        }
    }
}

/// y plane (Ho x Wo) = A^T M A per tile (+ bias), from M[xi][ch][at + tile]; vectorized over
/// CH tiles of a tile row, the per-tile arithmetic in its order.
fn output_plane(t: &Tiles, m: &[f32], xi_stride: usize, at: usize, bias: f32, y: &mut [f32]) {
    let mut s = [[0.0f32; CH]; 8];
    let mut o = [[0.0f32; CH]; 4];
    for ty in 0..t.th {
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            let j = at + ty * t.tw + t0;
            // rows: A^T v (2x4)
            for k in 0..4 {
                let (a, b, e, f) = (
                    &m[k * xi_stride + j..][..n],
                    &m[(4 + k) * xi_stride + j..][..n],
                    &m[(8 + k) * xi_stride + j..][..n],
                    &m[(12 + k) * xi_stride + j..][..n],
                );
                let [lo, hi] = [k, 4 + k].map(|i| s[i].as_mut_ptr());
                // SAFETY: two distinct rows of s, each CH >= n long.
                let (lo, hi) = unsafe { (core::slice::from_raw_parts_mut(lo, n), core::slice::from_raw_parts_mut(hi, n)) };
                for q in 0..n {
                    lo[q] = a[q] + b[q] + e[q];
                    hi[q] = b[q] - e[q] - f[q];
                }
            }
            // (.) A (2x2), plus the bias
            for r in 0..2 {
                let (a, b, e, f) = (&s[4 * r][..n], &s[4 * r + 1][..n], &s[4 * r + 2][..n], &s[4 * r + 3][..n]);
                let [o0, o1] = &mut o[2 * r..2 * r + 2] else { unreachable!() };
                let (o0, o1) = (&mut o0[..n], &mut o1[..n]);
                for q in 0..n {
                    o0[q] = a[q] + b[q] + e[q] + bias;
                    o1[q] = b[q] - e[q] - f[q] + bias;
                }
            }
            for r in 0..2 {
                let yy = 2 * ty + r;
                if yy >= t.ho {
                    continue;
                }
                interleave(&mut y[yy * t.wo..(yy + 1) * t.wo], t0, 0, &o[2 * r][..n], &o[2 * r + 1][..n]);
            }
        }
    }
}

/// dM[xi][ch][at + tile] = (A dY A^T)[xi] from a dY plane (zero past Ho x Wo); vectorized over
/// CH tiles of a tile row.
fn grad_tiles_plane(t: &Tiles, dy: &[f32], dm: &SharedMut<f32>, xi_stride: usize, at: usize) {
    let tt = t.per_sample();
    let mut out: [&mut [f32]; 16] = Default::default();
    for (xi, o) in out.iter_mut().enumerate() {
        // SAFETY: this plane's run of tiles in each of the 16 matrices.
        *o = unsafe { dm.part(xi * xi_stride + at, tt) };
    }
    let (mut ge, mut go) = ([[0.0f32; CH + 1]; 2], [[0.0f32; CH + 1]; 2]);
    for ty in 0..t.th {
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            for r in 0..2 {
                let yy = 2 * ty + r;
                let row = (yy < t.ho).then(|| &dy[yy * t.wo..(yy + 1) * t.wo]);
                deinterleave(row, t0, 0, n, &mut ge[r], &mut go[r]);
            }
            // A g (4x2, rows), then (.) A^T (4x4): row r of A g is (a, b) = (l(e), l(o)) with
            // l = e0, e0 + e1, e0 - e1, -e1
            let j = ty * t.tw + t0;
            let (e0, e1, g0, g1) = (&ge[0][..n], &ge[1][..n], &go[0][..n], &go[1][..n]);
            for r in 0..4 {
                let [o0, o1, o2, o3] = four(&mut out, r, j, n);
                let row = |u: f32, v: f32| match r {
                    0 => u,
                    1 => u + v,
                    2 => u - v,
                    _ => -v,
                };
                for k in 0..n {
                    let (a, b) = (row(e0[k], e1[k]), row(g0[k], g1[k]));
                    o0[k] = a;
                    o1[k] = a + b;
                    o2[k] = a - b;
                    o3[k] = -b;
                }
            }
        }
    }
}

/// The plane transforms one tile at a time: faster than the vectorized ones on narrow planes
/// (fewer than [`WIDE`] tiles a row), and their oracle (the same bits).
mod per_tile {
    use super::{Conv, SharedMut, Tiles};
    /// V[xi][ch][col0 + tile] = (B^T d B)[xi] for the tiles of one input plane.
    pub fn transform_plane(c: &Conv, t: &Tiles, plane: &[f32], v: &SharedMut<f32>, xi_stride: usize, at: usize) {
        let tt = t.per_sample();
        let mut out: [&mut [f32]; 16] = Default::default();
        for (xi, o) in out.iter_mut().enumerate() {
            // SAFETY: this plane's run of tiles in each of the 16 matrices.
            *o = unsafe { v.part(xi * xi_stride + at, tt) };
        }
        let (h, w) = (c.win.h as isize, c.win.w as isize);
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let (y0, x0) = ((2 * ty) as isize - c.win.ph as isize, (2 * tx) as isize - c.win.pw as isize);
                let mut d = [0.0f32; 16];
                for r in 0..4 {
                    let y = y0 + r as isize;
                    if y < 0 || y >= h {
                        continue;
                    }
                    let row = &plane[y as usize * c.win.w..(y as usize + 1) * c.win.w];
                    for k in 0..4 {
                        let x = x0 + k as isize;
                        if x >= 0 && x < w {
                            d[4 * r + k] = row[x as usize];
                        }
                    }
                }
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
    pub fn untransform_plane(c: &Conv, t: &Tiles, dv: &[f32], xi_stride: usize, at: usize, dx: &mut [f32]) {
        let (h, w) = (c.win.h as isize, c.win.w as isize);
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let j = at + ty * t.tw + tx;
                let mut m = [0.0f32; 16];
                for (xi, v) in m.iter_mut().enumerate() {
                    *v = dv[xi * xi_stride + j];
                }
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
                let (y0, x0) = ((2 * ty) as isize - c.win.ph as isize, (2 * tx) as isize - c.win.pw as isize);
                for r in 0..4 {
                    let y = y0 + r as isize;
                    if y < 0 || y >= h {
                        continue;
                    }
                    for k in 0..4 {
                        let x = x0 + k as isize;
                        if x >= 0 && x < w {
                            dx[y as usize * c.win.w + x as usize] += d[4 * r + k];
                        }
                    }
                }
            }
        }
    }

    /// y plane (Ho x Wo) = A^T M A per tile (+ bias), from M[xi][ch][at + tile].
    pub fn output_plane(t: &Tiles, m: &[f32], xi_stride: usize, at: usize, bias: f32, y: &mut [f32]) {
        for ty in 0..t.th {
            for tx in 0..t.tw {
                let j = at + ty * t.tw + tx;
                let mut v = [0.0f32; 16];
                for (xi, e) in v.iter_mut().enumerate() {
                    *e = m[xi * xi_stride + j];
                }
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
    pub fn grad_tiles_plane(t: &Tiles, dy: &[f32], dm: &SharedMut<f32>, xi_stride: usize, at: usize) {
        let tt = t.per_sample();
        let mut out: [&mut [f32]; 16] = Default::default();
        for (xi, o) in out.iter_mut().enumerate() {
            // SAFETY: this plane's run of tiles in each of the 16 matrices.
            *o = unsafe { dm.part(xi * xi_stride + at, tt) };
        }
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

}


/// Tiles per row from which the vectorized plane transforms beat the per-tile ones.
const WIDE: usize = 8;

/// C[xi] += A(xi) B(xi) for the `count` transform points (C[xi] = c[xi * len..][..len], leading
/// dimension ldc): the products in parallel, each on one thread (the bits of an unsplit product).
/// Shared with nn/winograd4.rs.
#[allow(clippy::too_many_arguments)]
pub(super) fn products<'a, I: Isa>(
    count: usize,
    (m, n, k): (usize, usize, usize),
    a: &(dyn Fn(usize) -> Strided<'a> + Sync),
    b: &(dyn Fn(usize) -> Strided<'a> + Sync),
    c: &mut [f32],
    len: usize,
    ldc: usize,
    packs: &mut Packs,
) {
    let cs = SharedMut::new(&mut c[..count * len]);
    for_each_product(count, packs, &|xi, packs| {
        // SAFETY: product xi writes its own block of C.
        gemm_serial::<I>(m, n, k, a(xi), b(xi), unsafe { cs.part(xi * len, len) }, ldc, packs);
    });
}

/// db[oc] += sum of dY's plane oc over the n samples (ys floats a sample, p a plane): each
/// plane summed in 4 lanes (every 4th value), the lanes then added, samples in order.
pub(super) fn bias_grads<I: Isa>(c: &Conv, dy: &[f32], ys: usize, p: usize, db: &mut [f32]) {
    for s in 0..c.n {
        for (oc, acc) in db.iter_mut().enumerate().take(c.cout) {
            let plane = &dy[s * ys + oc * p..s * ys + (oc + 1) * p];
            let mut v = I::splat(0.0);
            let mut chunks = plane.chunks_exact(4);
            for q in &mut chunks {
                // SAFETY: q holds 4 floats.
                v = I::add(v, unsafe { I::load(q.as_ptr()) });
            }
            *acc += I::hsum(v) + chunks.remainder().iter().sum::<f32>();
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
    let (xs, ys) = (c.cin * c.win.h * c.win.w, c.cout * p);
    for s0 in (0..c.n).step_by(g) {
        let gn = g.min(c.n - s0);
        let cols = gn * tt;
        let (vl, ml) = (c.cin * cols, c.cout * cols);
        {
            let vs = SharedMut::new(&mut v[..16 * vl]);
            par::items(gn * c.cin, 32 * vl / c.cin.max(1), &|q| {
                let (s, ch) = (q / c.cin, q % c.cin);
                let plane = &x[(s0 + s) * xs + ch * c.win.h * c.win.w..(s0 + s) * xs + (ch + 1) * c.win.h * c.win.w];
                if t.tw >= WIDE {
                    transform_plane(c, &t, plane, &vs, vl, ch * cols + s * tt);
                } else {
                    per_tile::transform_plane(c, &t, plane, &vs, vl, ch * cols + s * tt);
                }
            });
        }
        let mo = &mut m[..16 * ml];
        mo.fill(0.0);
        let oi = c.cout * c.cin;
        let a = |xi: usize| Strided::rows(&u[xi * oi..(xi + 1) * oi], c.cin);
        let bm = |xi: usize| Strided::rows(&v[xi * vl..(xi + 1) * vl], cols);
        products::<I>(16, (c.cout, cols, c.cin), &a, &bm, mo, ml, cols, &mut packs);
        let (mo, yo) = (&*mo, SharedMut::new(&mut y[s0 * ys..(s0 + gn) * ys]));
        par::items(gn * c.cout, 32 * ml / c.cout.max(1), &|q| {
            let (s, oc) = (q / c.cout, q % c.cout);
            // SAFETY: one output plane per item.
            let plane = unsafe { yo.part(s * ys + oc * p, p) };
            let bias = b.map_or(0.0, |b| b[oc]);
            if t.tw >= WIDE {
                output_plane(&t, mo, ml, oc * cols + s * tt, bias, plane);
            } else {
                per_tile::output_plane(&t, mo, ml, oc * cols + s * tt, bias, plane);
            }
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
        bias_grads::<I>(c, dy, ys, p, bg);
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
                if t.tw >= WIDE {
                    grad_tiles_plane(&t, plane, &ds, ml, oc * cols + s * tt);
                } else {
                    per_tile::grad_tiles_plane(&t, plane, &ds, ml, oc * cols + s * tt);
                }
            });
        }
        if want_dw {
            let vs = SharedMut::new(&mut v[..16 * vl]);
            par::items(gn * c.cin, 32 * vl / c.cin.max(1), &|q| {
                let (s, ch) = (q / c.cin, q % c.cin);
                let plane = &x[(s0 + s) * xs + ch * c.win.h * c.win.w..(s0 + s) * xs + (ch + 1) * c.win.h * c.win.w];
                if t.tw >= WIDE {
                    transform_plane(c, &t, plane, &vs, vl, ch * cols + s * tt);
                } else {
                    per_tile::transform_plane(c, &t, plane, &vs, vl, ch * cols + s * tt);
                }
            });
            let a = |xi: usize| Strided::rows(&dm[xi * ml..(xi + 1) * ml], cols);
            let bm = |xi: usize| Strided::transposed(&v[xi * vl..(xi + 1) * vl], cols);
            products::<I>(16, (c.cout, c.cin, cols), &a, &bm, &mut du, c.cout * c.cin, c.cin, &mut packs);
        }
        if let Some(d) = dx.as_deref_mut() {
            let dvo = &mut dv[..16 * vl];
            dvo.fill(0.0);
            let oi = c.cout * c.cin;
            let a = |xi: usize| Strided::transposed(&u[xi * oi..(xi + 1) * oi], c.cin);
            let bm = |xi: usize| Strided::rows(&dm[xi * ml..(xi + 1) * ml], cols);
            products::<I>(16, (c.cin, cols, c.cout), &a, &bm, dvo, vl, cols, &mut packs);
            let (dvo, dxo) = (&*dvo, SharedMut::new(&mut d[s0 * xs..(s0 + gn) * xs]));
            par::items(gn * c.cin, 32 * vl / c.cin.max(1), &|q| {
                let (s, ch) = (q / c.cin, q % c.cin);
                // SAFETY: one input plane per item.
                let plane = unsafe { dxo.part(s * xs + ch * c.win.h * c.win.w, c.win.h * c.win.w) };
                if t.tw >= WIDE {
                    untransform_plane(c, &t, dvo, vl, ch * cols + s * tt, plane);
                } else {
                    per_tile::untransform_plane(c, &t, dvo, vl, ch * cols + s * tt, plane);
                }
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

    /// The vectorized plane transforms give the per-tile loop's bits, on planes narrower and
    /// wider than a chunk (CH tiles), odd sizes and both paddings.
    #[test]
    fn vectorized_transforms_equal_the_per_tile_loop_bit_for_bit() {
        let mut seed = 100;
        for (h, w) in [(3, 3), (5, 7), (4, 4), (9, 6), (7, 41), (6, 32), (3, 34), (2, 70)] {
            for pad in [0, 1] {
                let c = Conv { n: 1, cin: 1, cout: 1, win: Window { h, w, kh: 3, kw: 3, sh: 1, sw: 1, ph: pad, pw: pad } };
                if c.out_hw().is_none() {
                    continue;
                }
                let t = Tiles::of(&c);
                let tt = t.per_sample();
                // the plane's run of tiles sits at `at` inside matrices of `stride` columns
                let (at, stride) = (3, tt + 5);
                seed += 3;
                let plane = randv(h * w, seed);
                let (mut v1, mut v2) = (vec![7.0; 16 * stride], vec![7.0; 16 * stride]);
                transform_plane(&c, &t, &plane, &SharedMut::new(&mut v1), stride, at);
                per_tile::transform_plane(&c, &t, &plane, &SharedMut::new(&mut v2), stride, at);
                assert_eq!(v1, v2, "transform_plane {h}x{w} pad {pad}");
                let dv = randv(16 * stride, seed + 1);
                let (mut d1, mut d2) = (randv(h * w, seed + 2), randv(h * w, seed + 2));
                untransform_plane(&c, &t, &dv, stride, at, &mut d1);
                per_tile::untransform_plane(&c, &t, &dv, stride, at, &mut d2);
                assert_eq!(d1, d2, "untransform_plane {h}x{w} pad {pad}");
                let (mut y1, mut y2) = (vec![5.0; t.ho * t.wo], vec![5.0; t.ho * t.wo]);
                output_plane(&t, &dv, stride, at, 0.25, &mut y1);
                per_tile::output_plane(&t, &dv, stride, at, 0.25, &mut y2);
                assert_eq!(y1, y2, "output_plane {h}x{w} pad {pad}");
                let dy = randv(t.ho * t.wo, seed + 3);
                let (mut m1, mut m2) = (vec![7.0; 16 * stride], vec![7.0; 16 * stride]);
                grad_tiles_plane(&t, &dy, &SharedMut::new(&mut m1), stride, at);
                per_tile::grad_tiles_plane(&t, &dy, &SharedMut::new(&mut m2), stride, at);
                assert_eq!(m1, m2, "grad_tiles_plane {h}x{w} pad {pad}");
            }
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
