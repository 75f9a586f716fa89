//! 3x3 stride-1 Conv2d by Winograd's minimal filtering F(4x4, 3x3) (Lavin & Gray 2016), with
//! the interpolation points 0, 1, -1, 2, -2 and infinity.
//!
//! Each output tile of 4x4 comes from a 6x6 input tile d (tiles step by 4, so input tiles
//! overlap by 2): Y = A^T [ (G g G^T) . (B^T d B) ] A, with the matrices [`BT`], [`G`], [`AT`].
//! Over channels the elementwise product becomes 36 matrix products, one per transform point
//! xi: M[xi] (Cout x T) = U[xi] (Cout x Cin) V[xi] (Cin x T), T = tiles of a group of samples:
//! 36 Cin Cout multiply-adds per tile of 16 outputs instead of 144 Cin Cout (4x fewer; F(2x2, 3x3)
//! in nn/winograd.rs does 2.25x fewer).
//! Backward is the transpose of each linear step: dM = A dY A^T per tile, dV[xi] = U[xi]^T dM[xi],
//! dx = sum over tiles of B dV B^T (overlapping tiles add), dU[xi] = dM[xi] V[xi]^T summed over
//! tiles, dW = G^T dU G: the exact gradient of the same function.
//!
//! Rounding: the transforms scale values by up to 4 (B^T), 8 (A^T) and 1/24 (G), so float32
//! results differ from im2col's by about 1e-5 of the output's scale (F(2x2, 3x3): ~1e-6); the
//! tests bound the difference at 1e-4 of the scale.
//! Padding p <= 1 is read as zeros at the borders; outputs past Ho x Wo in the last tile row or
//! column are dropped (and get dY = 0 in backward).
//! The plane transforms run on 4 tiles at once (one tile per vector lane); they are split over
//! the thread pool by (sample, channel) planes and the products by `gemm`, so results are the
//! same bits for any thread count.

use super::conv2d::Conv;
use super::winograd::{bias_grads, products};
use crate::gemm::{Packs, Strided};
use crate::par::{self, SharedMut};
use crate::simd::Isa;
use crate::{try_vec, Oom};

/// B^T (6 x 6): V = B^T d B.
#[cfg_attr(not(test), allow(dead_code))]
const BT: [[f32; 6]; 6] = [
    [4.0, 0.0, -5.0, 0.0, 1.0, 0.0],
    [0.0, -4.0, -4.0, 1.0, 1.0, 0.0],
    [0.0, 4.0, -4.0, -1.0, 1.0, 0.0],
    [0.0, -2.0, -1.0, 2.0, 1.0, 0.0],
    [0.0, 2.0, -1.0, -2.0, 1.0, 0.0],
    [0.0, 4.0, 0.0, -5.0, 0.0, 1.0],
];
/// G (6 x 3): U = G g G^T.
#[cfg_attr(not(test), allow(dead_code))]
const G: [[f32; 3]; 6] = [
    [0.25, 0.0, 0.0],
    [-1.0 / 6.0, -1.0 / 6.0, -1.0 / 6.0],
    [-1.0 / 6.0, 1.0 / 6.0, -1.0 / 6.0],
    [1.0 / 24.0, 1.0 / 12.0, 1.0 / 6.0],
    [1.0 / 24.0, -1.0 / 12.0, 1.0 / 6.0],
    [0.0, 0.0, 1.0],
];
/// A^T (4 x 6): Y = A^T M A.
#[cfg_attr(not(test), allow(dead_code))]
const AT: [[f32; 6]; 4] = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    [0.0, 1.0, -1.0, 2.0, -2.0, 0.0],
    [0.0, 1.0, 1.0, 4.0, 4.0, 0.0],
    [0.0, 1.0, -1.0, 8.0, -8.0, 1.0],
];
/// B^T d for one column (or row) of 6: the rows of [`BT`], factored.
#[inline(always)]
fn bt6<I: Isa>(d: [I::V; 6]) -> [I::V; 6] {
    let k = I::splat;
    let (d13, d31, d42) = (I::sub(d[3], d[1]), I::add(d[1], d[2]), I::sub(d[4], d[2]));
    [
        I::madd(k(4.0), d[0], I::madd(k(-5.0), d[2], d[4])),
        I::madd(k(-4.0), d31, I::add(d[3], d[4])),
        I::madd(k(4.0), I::sub(d[1], d[2]), I::sub(d[4], d[3])),
        I::madd(k(2.0), d13, d42),
        I::madd(k(-2.0), d13, d42),
        I::madd(k(4.0), d[1], I::madd(k(-5.0), d[3], d[5])),
    ]
}

/// B u (the transpose of [`bt6`]): the columns of [`BT`], factored.
#[inline(always)]
fn b6<I: Isa>(u: [I::V; 6]) -> [I::V; 6] {
    let k = I::splat;
    let (s12, s34) = (I::add(u[1], u[2]), I::add(u[3], u[4]));
    let d43 = I::sub(u[4], u[3]);
    [
        I::mul(k(4.0), u[0]),
        I::madd(k(4.0), I::add(I::sub(u[2], u[1]), u[5]), I::add(d43, d43)),
        I::sub(I::madd(k(-5.0), u[0], I::mul(k(-4.0), s12)), s34),
        I::madd(k(-5.0), u[5], I::madd(k(-2.0), d43, I::sub(u[1], u[2]))),
        I::add(I::add(u[0], s12), s34),
        u[5],
    ]
}

/// A^T m (6 -> 4): the rows of [`AT`], factored.
#[inline(always)]
fn at6<I: Isa>(m: [I::V; 6]) -> [I::V; 4] {
    let k = I::splat;
    let (s12, d12, s34, d34) = (I::add(m[1], m[2]), I::sub(m[1], m[2]), I::add(m[3], m[4]), I::sub(m[3], m[4]));
    [
        I::add(I::add(m[0], s12), s34),
        I::madd(k(2.0), d34, d12),
        I::madd(k(4.0), s34, s12),
        I::add(I::madd(k(8.0), d34, d12), m[5]),
    ]
}

/// A g (4 -> 6, the transpose of [`at6`]): the columns of [`AT`], factored.
#[inline(always)]
fn a4<I: Isa>(g: [I::V; 4]) -> [I::V; 6] {
    let k = I::splat;
    let (e, f) = (I::add(g[0], g[2]), I::add(g[1], g[3]));
    let (e4, f8) = (I::madd(k(4.0), g[2], g[0]), I::madd(k(8.0), g[3], I::add(g[1], g[1])));
    [g[0], I::add(e, f), I::sub(e, f), I::add(e4, f8), I::sub(e4, f8), g[3]]
}

/// F P F^T for a K x K block P of vectors, F given as a function on one column: `f` on every
/// column, then on every row.
#[inline(always)]
fn two_sided<I: Isa, const M: usize, const K: usize>(
    f: impl Fn([I::V; K]) -> [I::V; M],
    p: &[[I::V; K]; K],
) -> [[I::V; M]; M] {
    let z = I::splat(0.0);
    let mut t = [[z; K]; M];
    for c in 0..K {
        let mut col = [z; K];
        for i in 0..K {
            col[i] = p[i][c];
        }
        let r = f(col);
        for i in 0..M {
            t[i][c] = r[i];
        }
    }
    let mut out = [[z; M]; M];
    for i in 0..M {
        out[i] = f(t[i]);
    }
    out
}

/// Whether this geometry can run here: 3x3, stride 1, padding 0 or 1 on each side.
pub fn applies(c: &Conv) -> bool {
    super::winograd::applies(c)
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
        Tiles { ho, wo, th: ho.div_ceil(4), tw: wo.div_ceil(4) }
    }
    fn per_sample(&self) -> usize {
        self.th * self.tw
    }
}

/// Samples per group: V and M (and dV / dM) near 2M floats together.
fn group(c: &Conv, t: &Tiles) -> usize {
    let by_size = (1 << 21) / (36 * (c.cin + c.cout) * t.per_sample()).max(1);
    by_size.max(MIN_COLS.div_ceil(t.per_sample().max(1))).clamp(1, c.n.max(1))
}

/// The fewest tile columns a group's products get (when there are samples enough): with few
/// tiles a sample the size rule alone gives products too thin to run at the GEMM's speed.
const MIN_COLS: usize = 256;

/// G g for one column (or row) of 3: the rows of [`G`], factored.
#[inline(always)]
fn g3<I: Isa>(g: [I::V; 3]) -> [I::V; 6] {
    let k = I::splat;
    let s = I::add(g[0], g[2]);
    let e = I::madd(k(1.0 / 24.0), g[0], I::mul(k(1.0 / 6.0), g[2]));
    [
        I::mul(k(0.25), g[0]),
        I::mul(k(-1.0 / 6.0), I::add(s, g[1])),
        I::mul(k(-1.0 / 6.0), I::sub(s, g[1])),
        I::madd(k(1.0 / 12.0), g[1], e),
        I::madd(k(-1.0 / 12.0), g[1], e),
        g[2],
    ]
}

/// G^T u (6 -> 3, the transpose of [`g3`]): the columns of [`G`], factored.
#[inline(always)]
fn gt6<I: Isa>(u: [I::V; 6]) -> [I::V; 3] {
    let k = I::splat;
    let (s12, d21, s34, d34) = (I::add(u[1], u[2]), I::sub(u[2], u[1]), I::add(u[3], u[4]), I::sub(u[3], u[4]));
    [
        I::madd(k(0.25), u[0], I::madd(k(-1.0 / 6.0), s12, I::mul(k(1.0 / 24.0), s34))),
        I::madd(k(1.0 / 6.0), d21, I::mul(k(1.0 / 12.0), d34)),
        I::add(I::mul(k(1.0 / 6.0), I::sub(s34, s12)), u[5]),
    ]
}

/// U[xi][o][i] = (G g G^T)[xi] for every (o, i): 36 x Cout x Cin, 4 consecutive (o, i) pairs
/// in the vector lanes.
fn transform_weights<I: Isa>(c: &Conv, w: &[f32], u: &mut [f32]) {
    let oi = c.cout * c.cin;
    for p0 in (0..oi).step_by(4) {
        let lanes = 4.min(oi - p0);
        let mut g = [[[0.0f32; 4]; 3]; 3];
        for l in 0..lanes {
            let src = &w[(p0 + l) * 9..(p0 + l) * 9 + 9];
            for (r, grow) in g.iter_mut().enumerate() {
                for (k, gv) in grow.iter_mut().enumerate() {
                    gv[l] = src[3 * r + k];
                }
            }
        }
        let v = two_sided::<I, 6, 3>(g3::<I>, &narrow::vectors::<I, 3>(&g));
        for (xi, val) in v.iter().flatten().enumerate() {
            store_lanes::<I>(&mut u[xi * oi + p0..], lanes, *val);
        }
    }
}

/// dW[o][i] += G^T dU[.][o][i] G (3x3 from 6x6), the transpose of [`transform_weights`].
fn untransform_weight_grads<I: Isa>(c: &Conv, du: &[f32], dw: &mut [f32]) {
    let oi = c.cout * c.cin;
    for p0 in (0..oi).step_by(4) {
        let lanes = 4.min(oi - p0);
        let d: [[I::V; 6]; 6] = core::array::from_fn(|r| core::array::from_fn(|k| load_lanes::<I>(&du[(6 * r + k) * oi + p0..], lanes)));
        let g = narrow::lanes_of::<I, 3>(&two_sided::<I, 3, 6>(gt6::<I>, &d));
        for l in 0..lanes {
            let dst = &mut dw[(p0 + l) * 9..(p0 + l) * 9 + 9];
            for (r, grow) in g.iter().enumerate() {
                for (k, gv) in grow.iter().enumerate() {
                    dst[3 * r + k] += gv[l];
                }
            }
        }
    }
}

/// Tiles per chunk of a tile row: the chunk's rows are read into stack buffers of ROW floats.
const CH: usize = 16;
/// 4 CH + 2 columns a chunk reads, plus the slack of the last 4-tile group's vector loads.
const ROW: usize = 4 * CH + 8;

/// dst[k] = row[x0 + k] for k < len, zero outside the row and from len on.
fn read_row(row: Option<&[f32]>, x0: isize, len: usize, dst: &mut [f32; ROW]) {
    dst.fill(0.0);
    let Some(row) = row else { return };
    let lo = (-x0).max(0) as usize;
    let hi = ((row.len() as isize - x0).max(0) as usize).min(len);
    if hi > lo {
        let s = (x0 + lo as isize) as usize;
        dst[lo..hi].copy_from_slice(&row[s..s + hi - lo]);
    }
}

/// Columns c = 0..W of the 4 tiles starting at float `q4` of a chunk row: lane l of column c
/// is row[q4 + 4 l + c] (two 4x4 transposes of 5 loads).
#[inline(always)]
fn tile_columns<I: Isa, const W: usize>(row: &[f32; ROW], q4: usize) -> [I::V; W] {
    assert!(q4 + 20 <= ROW);
    // SAFETY: q4 + 20 <= ROW floats read.
    let v: [I::V; 5] = core::array::from_fn(|i| unsafe { I::load(row.as_ptr().add(q4 + 4 * i)) });
    let a = I::transpose4([v[0], v[1], v[2], v[3]]);
    let b = I::transpose4([v[1], v[2], v[3], v[4]]);
    core::array::from_fn(|c| if c < 4 { a[c] } else { b[c - 4] })
}

/// out[0..lanes] = the first lanes of v.
#[inline(always)]
fn store_lanes<I: Isa>(out: &mut [f32], lanes: usize, v: I::V) {
    if lanes == 4 {
        // SAFETY: out holds 4 floats.
        unsafe { I::store(out[..4].as_mut_ptr(), v) };
    } else {
        let mut t = [0.0f32; 4];
        // SAFETY: t holds 4 floats.
        unsafe { I::store(t.as_mut_ptr(), v) };
        out[..lanes].copy_from_slice(&t[..lanes]);
    }
}

/// The vector of src[0..lanes], zero past them.
#[inline(always)]
fn load_lanes<I: Isa>(src: &[f32], lanes: usize) -> I::V {
    if lanes == 4 {
        // SAFETY: src holds 4 floats.
        unsafe { I::load(src[..4].as_ptr()) }
    } else {
        let mut t = [0.0f32; 4];
        t[..lanes].copy_from_slice(&src[..lanes]);
        // SAFETY: t holds 4 floats.
        unsafe { I::load(t.as_ptr()) }
    }
}

/// V[xi][ch][at + tile] = (B^T d B)[xi] for the tiles of one input plane.
fn transform_plane<I: Isa>(c: &Conv, t: &Tiles, plane: &[f32], v: &SharedMut<f32>, xi_stride: usize, at: usize) {
    let tt = t.per_sample();
    // SAFETY: this plane's run of tiles in each of the 36 matrices.
    let out: [&mut [f32]; 36] = core::array::from_fn(|xi| unsafe { v.part(xi * xi_stride + at, tt) });
    let (h, w) = (c.win.h as isize, c.win.w);
    let mut rows = [[0.0f32; ROW]; 6];
    for ty in 0..t.th {
        let y0 = (4 * ty) as isize - c.win.ph as isize;
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            let x0 = (4 * t0) as isize - c.win.pw as isize;
            for (r, buf) in rows.iter_mut().enumerate() {
                let y = y0 + r as isize;
                let row = (y >= 0 && y < h).then(|| &plane[y as usize * w..(y as usize + 1) * w]);
                read_row(row, x0, 4 * n + 2, buf);
            }
            for q in (0..n).step_by(4) {
                let lanes = 4.min(n - q);
                let p: [[I::V; 6]; 6] = core::array::from_fn(|r| tile_columns::<I, 6>(&rows[r], 4 * q));
                let vt = two_sided::<I, 6, 6>(bt6::<I>, &p);
                let j = ty * t.tw + t0 + q;
                for (xi, val) in vt.iter().flatten().enumerate() {
                    store_lanes::<I>(&mut out[xi][j..], lanes, *val);
                }
            }
        }
    }
}

/// y plane (Ho x Wo) = A^T M A per tile (+ bias), from M[xi][ch][at + tile].
fn output_plane<I: Isa>(t: &Tiles, m: &[f32], xi_stride: usize, at: usize, bias: f32, y: &mut [f32]) {
    let bv = I::splat(bias);
    for ty in 0..t.th {
        for q in (0..t.tw).step_by(4) {
            let lanes = 4.min(t.tw - q);
            let j = at + ty * t.tw + q;
            let p: [[I::V; 6]; 6] = core::array::from_fn(|r| {
                core::array::from_fn(|k| load_lanes::<I>(&m[(6 * r + k) * xi_stride + j..], lanes))
            });
            let o = two_sided::<I, 4, 6>(at6::<I>, &p);
            for (r, orow) in o.iter().enumerate() {
                let yy = 4 * ty + r;
                if yy >= t.ho {
                    break;
                }
                let lanes_out = I::transpose4(orow.map(|v| I::add(v, bv)));
                let dst = &mut y[yy * t.wo..(yy + 1) * t.wo];
                for (l, v) in lanes_out.into_iter().enumerate().take(lanes) {
                    let x = 4 * (q + l);
                    store_lanes::<I>(&mut dst[x..], 4.min(t.wo - x), v);
                }
            }
        }
    }
}

/// dM[xi][ch][at + tile] = (A dY A^T)[xi] from a dY plane (zero past Ho x Wo).
fn grad_tiles_plane<I: Isa>(t: &Tiles, dy: &[f32], dm: &SharedMut<f32>, xi_stride: usize, at: usize) {
    let tt = t.per_sample();
    // SAFETY: this plane's run of tiles in each of the 36 matrices.
    let out: [&mut [f32]; 36] = core::array::from_fn(|xi| unsafe { dm.part(xi * xi_stride + at, tt) });
    let mut rows = [[0.0f32; ROW]; 4];
    for ty in 0..t.th {
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            for (r, buf) in rows.iter_mut().enumerate() {
                let yy = 4 * ty + r;
                let row = (yy < t.ho).then(|| &dy[yy * t.wo..(yy + 1) * t.wo]);
                read_row(row, (4 * t0) as isize, 4 * n, buf);
            }
            for q in (0..n).step_by(4) {
                let lanes = 4.min(n - q);
                let p: [[I::V; 4]; 4] = core::array::from_fn(|r| tile_columns::<I, 4>(&rows[r], 4 * q));
                let g = two_sided::<I, 6, 4>(a4::<I>, &p);
                let j = ty * t.tw + t0 + q;
                for (xi, val) in g.iter().flatten().enumerate() {
                    store_lanes::<I>(&mut out[xi][j..], lanes, *val);
                }
            }
        }
    }
}

/// dx plane += sum over its tiles of B dV B^T, the transpose of [`transform_plane`]. A chunk's
/// tiles add into row buffers (tile by tile, left to right), which then add into dx (chunks
/// and tile rows in order): one fixed order per dx value.
fn untransform_plane<I: Isa>(c: &Conv, t: &Tiles, dv: &[f32], xi_stride: usize, at: usize, dx: &mut [f32]) {
    let (h, w) = (c.win.h as isize, c.win.w as isize);
    let z = I::splat(0.0);
    let mut acc = [[0.0f32; ROW]; 6];
    for ty in 0..t.th {
        let y0 = (4 * ty) as isize - c.win.ph as isize;
        for t0 in (0..t.tw).step_by(CH) {
            let n = CH.min(t.tw - t0);
            for a in acc.iter_mut() {
                a.fill(0.0);
            }
            for q in (0..n).step_by(4) {
                let lanes = 4.min(n - q);
                let j = at + ty * t.tw + t0 + q;
                let p: [[I::V; 6]; 6] = core::array::from_fn(|r| {
                    core::array::from_fn(|k| load_lanes::<I>(&dv[(6 * r + k) * xi_stride + j..], lanes))
                });
                let d = two_sided::<I, 6, 6>(b6::<I>, &p);
                for (r, drow) in d.iter().enumerate() {
                    let left = I::transpose4([drow[0], drow[1], drow[2], drow[3]]);
                    let right = I::transpose4([drow[4], drow[5], z, z]);
                    for l in 0..lanes {
                        let x = 4 * (q + l);
                        assert!(x + 8 <= ROW);
                        // SAFETY: x + 8 <= ROW floats of this row buffer.
                        unsafe {
                            let p = acc[r].as_mut_ptr().add(x);
                            I::store(p, I::add(I::load(p), left[l]));
                            I::store(p.add(4), I::add(I::load(p.add(4)), right[l]));
                        }
                    }
                }
            }
            let x0 = (4 * t0) as isize - c.win.pw as isize;
            for (r, a) in acc.iter().enumerate() {
                let y = y0 + r as isize;
                if y < 0 || y >= h {
                    continue;
                }
                let row = &mut dx[(y * w) as usize..((y + 1) * w) as usize];
                let lo = (-x0).max(0) as usize;
                let hi = ((w - x0).max(0) as usize).min(4 * n + 2);
                if hi > lo {
                    let s = (x0 + lo as isize) as usize;
                    for (d, v) in row[s..s + hi - lo].iter_mut().zip(&a[lo..hi]) {
                        *d += *v;
                    }
                }
            }
        }
    }
}

/// Planes narrower than this many tiles a row run the transforms per channel ([`narrow`]): the row
/// transforms put 4 tiles of one tile row in the vector lanes and would leave lanes idle.
const NARROW: usize = 4;

/// The plane transforms for narrow planes (fewer than [`NARROW`] tiles a row): one channel's
/// tiles of every sample of the group at a time, 4 consecutive columns of V / M (tiles of any
/// tile row or sample) in the vector lanes, each tile's values gathered and scattered one by one.
mod narrow {
    use super::{a4, at6, b6, bt6, load_lanes, store_lanes, two_sided, Conv, SharedMut, Tiles};
    use crate::simd::Isa;

    /// Column j of a channel's run: (sample in the group, tile row, tile column).
    fn slot(t: &Tiles, j: usize) -> (usize, usize, usize) {
        let (s, r) = (j / t.per_sample(), j % t.per_sample());
        (s, r / t.tw, r % t.tw)
    }

    /// The vectors of 4 lanes' K x K values.
    pub(super) fn vectors<I: Isa, const K: usize>(p: &[[[f32; 4]; K]; K]) -> [[I::V; K]; K] {
        // SAFETY: each entry holds 4 floats.
        core::array::from_fn(|r| core::array::from_fn(|c| unsafe { I::load(p[r][c].as_ptr()) }))
    }

    /// Lane by lane: the values of 4 lanes' vectors.
    pub(super) fn lanes_of<I: Isa, const M: usize>(v: &[[I::V; M]; M]) -> [[[f32; 4]; M]; M] {
        let mut o = [[[0.0f32; 4]; M]; M];
        for (orow, vrow) in o.iter_mut().zip(v) {
            for (oc, vc) in orow.iter_mut().zip(vrow) {
                // SAFETY: oc holds 4 floats.
                unsafe { I::store(oc.as_mut_ptr(), *vc) };
            }
        }
        o
    }

    /// V[xi][at + j] = (B^T d B)[xi] for the cols tiles of channel `ch` of the group's samples
    /// (sample s's planes at x[s * xs..]).
    #[allow(clippy::too_many_arguments)]
    pub fn transform_channel<I: Isa>(c: &Conv, t: &Tiles, x: &[f32], xs: usize, ch: usize, cols: usize, v: &SharedMut<f32>, xi_stride: usize, at: usize) {
        // SAFETY: this channel's run of columns in each of the 36 matrices.
        let out: [&mut [f32]; 36] = core::array::from_fn(|xi| unsafe { v.part(xi * xi_stride + at, cols) });
        let (h, w) = (c.win.h as isize, c.win.w as isize);
        for j0 in (0..cols).step_by(4) {
            let lanes = 4.min(cols - j0);
            let mut p = [[[0.0f32; 4]; 6]; 6];
            for l in 0..lanes {
                let (s, ty, tx) = slot(t, j0 + l);
                let plane = &x[s * xs + ch * c.win.h * c.win.w..][..c.win.h * c.win.w];
                let (y0, x0) = ((4 * ty) as isize - c.win.ph as isize, (4 * tx) as isize - c.win.pw as isize);
                for (r, prow) in p.iter_mut().enumerate() {
                    let y = y0 + r as isize;
                    if y < 0 || y >= h {
                        continue;
                    }
                    for (k, pv) in prow.iter_mut().enumerate() {
                        let xx = x0 + k as isize;
                        if xx >= 0 && xx < w {
                            pv[l] = plane[(y * w + xx) as usize];
                        }
                    }
                }
            }
            let vt = two_sided::<I, 6, 6>(bt6::<I>, &vectors::<I, 6>(&p));
            for (xi, val) in vt.iter().flatten().enumerate() {
                store_lanes::<I>(&mut out[xi][j0..], lanes, *val);
            }
        }
    }

    /// y (the group's samples, plane oc of each, ys floats a sample) = A^T M A + bias per tile,
    /// from M[xi][at + j] for the cols tiles of channel oc.
    #[allow(clippy::too_many_arguments)]
    pub fn output_channel<I: Isa>(t: &Tiles, m: &[f32], xi_stride: usize, at: usize, cols: usize, bias: f32, ys: usize, oc: usize, y: &SharedMut<f32>) {
        let p = t.ho * t.wo;
        for j0 in (0..cols).step_by(4) {
            let lanes = 4.min(cols - j0);
            let mv: [[I::V; 6]; 6] = core::array::from_fn(|r| core::array::from_fn(|k| load_lanes::<I>(&m[(6 * r + k) * xi_stride + at + j0..], lanes)));
            let o = lanes_of::<I, 4>(&two_sided::<I, 4, 6>(at6::<I>, &mv));
            for l in 0..lanes {
                let (s, ty, tx) = slot(t, j0 + l);
                // SAFETY: plane oc of sample s: this item's own plane.
                let plane = unsafe { y.part(s * ys + oc * p, p) };
                for (r, orow) in o.iter().enumerate() {
                    let yy = 4 * ty + r;
                    if yy >= t.ho {
                        break;
                    }
                    for (k, ov) in orow.iter().enumerate() {
                        let xx = 4 * tx + k;
                        if xx < t.wo {
                            plane[yy * t.wo + xx] = ov[l] + bias;
                        }
                    }
                }
            }
        }
    }

    /// dM[xi][at + j] = (A dY A^T)[xi] for the cols tiles of channel oc (dY of sample s at
    /// dy[s * ys + oc * Ho Wo..], zero past Ho x Wo).
    #[allow(clippy::too_many_arguments)]
    pub fn grad_tiles_channel<I: Isa>(t: &Tiles, dy: &[f32], ys: usize, oc: usize, cols: usize, dm: &SharedMut<f32>, xi_stride: usize, at: usize) {
        // SAFETY: this channel's run of columns in each of the 36 matrices.
        let out: [&mut [f32]; 36] = core::array::from_fn(|xi| unsafe { dm.part(xi * xi_stride + at, cols) });
        let p = t.ho * t.wo;
        for j0 in (0..cols).step_by(4) {
            let lanes = 4.min(cols - j0);
            let mut g = [[[0.0f32; 4]; 4]; 4];
            for l in 0..lanes {
                let (s, ty, tx) = slot(t, j0 + l);
                let plane = &dy[s * ys + oc * p..][..p];
                for (r, grow) in g.iter_mut().enumerate() {
                    let yy = 4 * ty + r;
                    if yy >= t.ho {
                        break;
                    }
                    for (k, gv) in grow.iter_mut().enumerate() {
                        let xx = 4 * tx + k;
                        if xx < t.wo {
                            gv[l] = plane[yy * t.wo + xx];
                        }
                    }
                }
            }
            let dmv = two_sided::<I, 6, 4>(a4::<I>, &vectors::<I, 4>(&g));
            for (xi, val) in dmv.iter().flatten().enumerate() {
                store_lanes::<I>(&mut out[xi][j0..], lanes, *val);
            }
        }
    }

    /// dx (plane ch of each of the group's samples, xs floats a sample) += B dV B^T per tile,
    /// tiles in column order.
    #[allow(clippy::too_many_arguments)]
    pub fn untransform_channel<I: Isa>(c: &Conv, t: &Tiles, dv: &[f32], xi_stride: usize, at: usize, cols: usize, xs: usize, ch: usize, dx: &SharedMut<f32>) {
        let (h, w) = (c.win.h as isize, c.win.w as isize);
        let hw = c.win.h * c.win.w;
        for j0 in (0..cols).step_by(4) {
            let lanes = 4.min(cols - j0);
            let dvv: [[I::V; 6]; 6] = core::array::from_fn(|r| core::array::from_fn(|k| load_lanes::<I>(&dv[(6 * r + k) * xi_stride + at + j0..], lanes)));
            let d = lanes_of::<I, 6>(&two_sided::<I, 6, 6>(b6::<I>, &dvv));
            for l in 0..lanes {
                let (s, ty, tx) = slot(t, j0 + l);
                // SAFETY: plane ch of sample s: this item's own plane.
                let plane = unsafe { dx.part(s * xs + ch * hw, hw) };
                let (y0, x0) = ((4 * ty) as isize - c.win.ph as isize, (4 * tx) as isize - c.win.pw as isize);
                for (r, drow) in d.iter().enumerate() {
                    let y = y0 + r as isize;
                    if y < 0 || y >= h {
                        continue;
                    }
                    for (k, dval) in drow.iter().enumerate() {
                        let xx = x0 + k as isize;
                        if xx >= 0 && xx < w {
                            plane[(y * w + xx) as usize] += dval[l];
                        }
                    }
                }
            }
        }
    }
}

/// The scratch sizes below computed without wrap (wasm32 usize): None is reported as OOM.
fn scratch_fits(c: &Conv, g: usize, tt: usize) -> Option<()> {
    36usize.checked_mul(c.cout)?.checked_mul(c.cin)?;
    36usize.checked_mul(c.cin.max(c.cout))?.checked_mul(g)?.checked_mul(tt)?;
    Some(())
}

/// V (36 x Cin x cols) for the gn samples of `x`: by planes, or by channels on narrow planes.
fn input_transforms<I: Isa>(c: &Conv, t: &Tiles, x: &[f32], gn: usize, cols: usize, vs: &SharedMut<f32>, vl: usize) {
    let (hw, tt) = (c.win.h * c.win.w, t.per_sample());
    let xs = c.cin * hw;
    if t.tw < NARROW {
        par::items(c.cin, 72 * vl / c.cin.max(1), &|ch| narrow::transform_channel::<I>(c, t, x, xs, ch, cols, vs, vl, ch * cols));
    } else {
        par::items(gn * c.cin, 72 * vl / c.cin.max(1), &|q| {
            let (s, ch) = (q / c.cin, q % c.cin);
            transform_plane::<I>(c, t, &x[s * xs + ch * hw..s * xs + (ch + 1) * hw], vs, vl, ch * cols + s * tt);
        });
    }
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
    let mut u = try_vec(36 * c.cout * c.cin)?;
    transform_weights::<I>(c, wt, &mut u);
    let mut v = try_vec(36 * c.cin * g * tt)?;
    let mut m = try_vec(36 * c.cout * g * tt)?;
    let mut packs = Packs::new()?;
    let (xs, ys) = (c.cin * c.win.h * c.win.w, c.cout * p);
    for s0 in (0..c.n).step_by(g) {
        let gn = g.min(c.n - s0);
        let cols = gn * tt;
        let (vl, ml) = (c.cin * cols, c.cout * cols);
        {
            let vs = SharedMut::new(&mut v[..36 * vl]);
            input_transforms::<I>(c, &t, &x[s0 * xs..(s0 + gn) * xs], gn, cols, &vs, vl);
        }
        let mo = &mut m[..36 * ml];
        mo.fill(0.0);
        let oi = c.cout * c.cin;
        let a = |xi: usize| Strided::rows(&u[xi * oi..(xi + 1) * oi], c.cin);
        let bm = |xi: usize| Strided::rows(&v[xi * vl..(xi + 1) * vl], cols);
        products::<I>(36, (c.cout, cols, c.cin), &a, &bm, mo, ml, cols, &mut packs);
        let (mo, yo) = (&*mo, SharedMut::new(&mut y[s0 * ys..(s0 + gn) * ys]));
        if t.tw < NARROW {
            par::items(c.cout, 72 * ml / c.cout.max(1), &|oc| narrow::output_channel::<I>(&t, mo, ml, oc * cols, cols, b.map_or(0.0, |b| b[oc]), ys, oc, &yo));
        } else {
            par::items(gn * c.cout, 72 * ml / c.cout.max(1), &|q| {
                let (s, oc) = (q / c.cout, q % c.cout);
                // SAFETY: one output plane per item.
                let plane = unsafe { yo.part(s * ys + oc * p, p) };
                output_plane::<I>(&t, mo, ml, oc * cols + s * tt, b.map_or(0.0, |b| b[oc]), plane);
            });
        }
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
    let mut u = try_vec(if want_dx { 36 * c.cout * c.cin } else { 0 })?;
    if want_dx {
        transform_weights::<I>(c, wt, &mut u);
    }
    let mut du = try_vec(if want_dw { 36 * c.cout * c.cin } else { 0 })?;
    let mut v = try_vec(if want_dw { 36 * c.cin * g * tt } else { 0 })?;
    let mut dv = try_vec(if want_dx { 36 * c.cin * g * tt } else { 0 })?;
    let mut dm = try_vec(if want_dx || want_dw { 36 * c.cout * g * tt } else { 0 })?;
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
            let ds = SharedMut::new(&mut dm[..36 * ml]);
            if t.tw < NARROW {
                let dyg = &dy[s0 * ys..(s0 + gn) * ys];
                par::items(c.cout, 72 * ml / c.cout.max(1), &|oc| narrow::grad_tiles_channel::<I>(&t, dyg, ys, oc, cols, &ds, ml, oc * cols));
            } else {
                par::items(gn * c.cout, 72 * ml / c.cout.max(1), &|q| {
                    let (s, oc) = (q / c.cout, q % c.cout);
                    let plane = &dy[(s0 + s) * ys + oc * p..(s0 + s) * ys + (oc + 1) * p];
                    grad_tiles_plane::<I>(&t, plane, &ds, ml, oc * cols + s * tt);
                });
            }
        }
        if want_dw {
            let vs = SharedMut::new(&mut v[..36 * vl]);
            input_transforms::<I>(c, &t, &x[s0 * xs..(s0 + gn) * xs], gn, cols, &vs, vl);
            let a = |xi: usize| Strided::rows(&dm[xi * ml..(xi + 1) * ml], cols);
            let bm = |xi: usize| Strided::transposed(&v[xi * vl..(xi + 1) * vl], cols);
            products::<I>(36, (c.cout, c.cin, cols), &a, &bm, &mut du, c.cout * c.cin, c.cin, &mut packs);
        }
        if let Some(d) = dx.as_deref_mut() {
            let dvo = &mut dv[..36 * vl];
            dvo.fill(0.0);
            let oi = c.cout * c.cin;
            let a = |xi: usize| Strided::transposed(&u[xi * oi..(xi + 1) * oi], c.cin);
            let bm = |xi: usize| Strided::rows(&dm[xi * ml..(xi + 1) * ml], cols);
            products::<I>(36, (c.cin, cols, c.cout), &a, &bm, dvo, vl, cols, &mut packs);
            let (dvo, dxo) = (&*dvo, SharedMut::new(&mut d[s0 * xs..(s0 + gn) * xs]));
            if t.tw < NARROW {
                par::items(c.cin, 72 * vl / c.cin.max(1), &|ch| narrow::untransform_channel::<I>(c, &t, dvo, vl, ch * cols, cols, xs, ch, &dxo));
            } else {
                par::items(gn * c.cin, 72 * vl / c.cin.max(1), &|q| {
                    let (s, ch) = (q / c.cin, q % c.cin);
                    // SAFETY: one input plane per item.
                    let plane = unsafe { dxo.part(s * xs + ch * c.win.h * c.win.w, c.win.h * c.win.w) };
                    untransform_plane::<I>(c, &t, dvo, vl, ch * cols + s * tt, plane);
                });
            }
        }
    }
    if let Some(dw) = dw {
        untransform_weight_grads::<I>(c, &du, dw);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::conv2d;
    use crate::nn::fd::randv;
    use crate::nn::window::Window;
    use crate::simd::scalar::Scalar4;

    /// |a - b| <= tol * (the reference's largest magnitude), element by element.
    fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-6);
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= tol * scale, "{what}[{i}]: {x} vs {y} (scale {scale})");
        }
    }

    /// The transform matrices satisfy the F(4x4, 3x3) identity: for 1-D signals, A^T [(G g) . (B^T d)]
    /// is the valid correlation of d (6) with g (3), for every unit d and g.
    #[test]
    fn the_matrices_compute_a_correlation() {
        for gi in 0..3 {
            for di in 0..6 {
                let u: Vec<f64> = (0..6).map(|r| G[r][gi] as f64).collect();
                let v: Vec<f64> = (0..6).map(|r| BT[r][di] as f64).collect();
                for (o, row) in AT.iter().enumerate() {
                    let got: f64 = (0..6).map(|k| row[k] as f64 * u[k] * v[k]).sum();
                    let want = if di == o + gi { 1.0 } else { 0.0 };
                    assert!((got - want).abs() < 1e-6, "out {o}, g[{gi}], d[{di}]: {got}");
                }
            }
        }
    }

    /// F(4x4) against the im2col path on odd sizes (1x1 .. 13x10), 1 and 3 channels, padding 0 and 1,
    /// planes wider than a chunk, forward and every gradient, within 1e-4 of each output's scale.
    #[test]
    fn matches_im2col_on_odd_sizes_channels_and_paddings() {
        let mut seed = 1;
        for (h, w) in [(3, 3), (5, 7), (1, 1), (4, 4), (9, 6), (6, 6), (13, 10), (5, 75), (70, 3)] {
            for (cin, cout) in [(1, 1), (3, 2), (1, 5), (4, 3)] {
                for pad in [0, 1] {
                    let c =
                        Conv { n: 2, cin, cout, win: Window { h, w, kh: 3, kw: 3, sh: 1, sw: 1, ph: pad, pw: pad } };
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
                    let (mut y1, mut y2) = (vec![0.0; dy.len()], vec![3.0; dy.len()]);
                    conv2d::forward_im2col::<Scalar4>(&c, &x, &wt, Some(&b), &mut y1).unwrap();
                    forward::<Scalar4>(&c, &x, &wt, Some(&b), &mut y2).unwrap();
                    close(&y2, &y1, 1e-4, &format!("y {h}x{w} {cin}->{cout} pad {pad}"));
                    let (mut dx1, mut dw1, mut db1) = (vec![0.0; x.len()], vec![0.0; wt.len()], vec![0.0; cout]);
                    conv2d::backward_im2col::<Scalar4>(
                        &c,
                        &x,
                        &wt,
                        &dy,
                        Some(&mut dx1),
                        Some(&mut dw1),
                        Some(&mut db1),
                    )
                    .unwrap();
                    let (mut dx2, mut dw2, mut db2) = (vec![9.0; x.len()], vec![0.0; wt.len()], vec![0.0; cout]);
                    backward::<Scalar4>(&c, &x, &wt, &dy, Some(&mut dx2), Some(&mut dw2), Some(&mut db2)).unwrap();
                    close(&dx2, &dx1, 1e-4, &format!("dx {h}x{w} {cin}->{cout} pad {pad}"));
                    close(&dw2, &dw1, 1e-4, &format!("dw {h}x{w} {cin}->{cout} pad {pad}"));
                    close(&db2, &db1, 1e-5, "db");
                }
            }
        }
    }

    /// Many channels (the depth where rounding differences grow), two groups of samples.
    #[test]
    fn deep_layers_stay_within_the_stated_tolerance_across_groups() {
        // 36 (64 + 48) floats a tile: 32x32 outputs (64 tiles a sample, the row transforms) come in
        // groups of 8 samples, 6x6 (4 tiles, the narrow transforms) in groups of 130
        for (hw, n) in [(32, 9), (6, 140)] {
            let c = Conv { n, cin: 64, cout: 48, win: Window { h: hw, w: hw, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 } };
            let t = Tiles::of(&c);
            assert!(group(&c, &t) < n, "{hw}x{hw}: more than one group");
            let x = randv(n * 64 * hw * hw, 7);
            let wt = randv(48 * 64 * 9, 8);
            let dy = randv(n * 48 * hw * hw, 9);
            let (mut y1, mut y2) = (vec![0.0; dy.len()], vec![0.0; dy.len()]);
            conv2d::forward_im2col::<Scalar4>(&c, &x, &wt, None, &mut y1).unwrap();
            forward::<Scalar4>(&c, &x, &wt, None, &mut y2).unwrap();
            close(&y2, &y1, 1e-4, "y");
            let (mut dx1, mut dw1) = (vec![0.0; x.len()], vec![0.0; wt.len()]);
            conv2d::backward_im2col::<Scalar4>(&c, &x, &wt, &dy, Some(&mut dx1), Some(&mut dw1), None).unwrap();
            let (mut dx2, mut dw2) = (vec![0.0; x.len()], vec![0.0; wt.len()]);
            backward::<Scalar4>(&c, &x, &wt, &dy, Some(&mut dx2), Some(&mut dw2), None).unwrap();
            close(&dx2, &dx1, 1e-4, "dx");
            close(&dw2, &dw1, 1e-4, "dw");
            // only dW asked for (a frozen input): the same dW
            let mut dw3 = vec![0.0; wt.len()];
            backward::<Scalar4>(&c, &x, &wt, &dy, None, Some(&mut dw3), None).unwrap();
            assert_eq!(dw3, dw2);
        }
    }

    /// The factored transforms are the matrices' products (and their transposes), on every unit vector.
    #[test]
    fn factored_transforms_equal_their_matrices() {
        let unit = |i: usize| -> [[f32; 4]; 6] { core::array::from_fn(|k| [if k == i { 1.0 } else { 0.0 }; 4]) };
        for i in 0..6 {
            let (bt, b, at) = (bt6::<Scalar4>(unit(i)), b6::<Scalar4>(unit(i)), at6::<Scalar4>(unit(i)));
            for r in 0..6 {
                assert_eq!(bt[r][0], BT[r][i], "B^T[{r}][{i}]");
                assert_eq!(b[r][0], BT[i][r], "B[{r}][{i}]");
            }
            for r in 0..4 {
                assert_eq!(at[r][0], AT[r][i], "A^T[{r}][{i}]");
            }
        }
        for i in 0..3 {
            let u: [[f32; 4]; 3] = core::array::from_fn(|k| [if k == i { 1.0 } else { 0.0 }; 4]);
            let g = g3::<Scalar4>(u);
            for r in 0..6 {
                assert!((g[r][0] - G[r][i]).abs() < 1e-7, "G[{r}][{i}]");
            }
        }
        for i in 0..6 {
            let g = gt6::<Scalar4>(unit(i));
            for r in 0..3 {
                assert!((g[r][0] - G[i][r]).abs() < 1e-7, "G^T[{r}][{i}]");
            }
        }
        for i in 0..4 {
            let u: [[f32; 4]; 4] = core::array::from_fn(|k| [if k == i { 1.0 } else { 0.0 }; 4]);
            let a = a4::<Scalar4>(u);
            for r in 0..6 {
                assert_eq!(a[r][0], AT[i][r], "A[{r}][{i}]");
            }
        }
    }

    #[test]
    fn other_geometries_are_refused_not_miscomputed() {
        for c in [
            Conv { n: 1, cin: 1, cout: 1, win: Window { h: 5, w: 5, kh: 3, kw: 3, sh: 2, sw: 2, ph: 1, pw: 1 } },
            Conv { n: 1, cin: 1, cout: 1, win: Window { h: 5, w: 5, kh: 5, kw: 5, sh: 1, sw: 1, ph: 2, pw: 2 } },
        ] {
            assert!(!applies(&c));
            assert!(forward::<Scalar4>(&c, &[0.0; 25], &[0.0; 25], None, &mut [0.0; 25]).is_err());
        }
    }
}
