//! Conv2d (NCHW, groups 1, dilation 1), PyTorch's cross-correlation, by im2col + packed GEMM.
//!
//! For a group of G samples: cols (K x G P) with K = Cin kh kw, P = Ho Wo holds the zero-padded
//! input patches, sample s in columns [s P, (s + 1) P); Y (Cout x G P) = W (Cout x K) cols, then
//! y_n = Y[:, n P..] + b. Backward: dY gathered as Cout x G P, dW += dY cols^T (NT),
//! dcols = W^T dY (TN), dx = col2im(dcols), db += sum dy.
//! Grouping samples makes one large product per layer instead of one small product per sample
//! (the deep layers have P = 49 or 196 columns per sample, too few for the 4x8 tiles to run well).
//! Ho and Wo as [`Window::out_hw`].
//! The per-sample loops of a group (patch copies, bias, dY gather, col2im) run over the thread
//! pool with `par::items`: each sample's work is the same on any thread.

use super::window::Window;
use super::{winograd, winograd4};
use crate::gemm::{gemm, Packs, Strided};
use crate::par::{self, SharedMut};
use core::sync::atomic::{AtomicU32, Ordering};
use crate::simd::Isa;
use crate::{try_vec, Oom};

/// n samples of cin planes in, cout planes out, over the window `win`.
#[derive(Clone, Copy)]
pub struct Conv {
    pub n: usize,
    pub cin: usize,
    pub cout: usize,
    pub win: Window,
}

impl Conv {
    /// Output height and width; None when the kernel does not fit the padded input.
    pub fn out_hw(&self) -> Option<(usize, usize)> {
        self.win.out_hw()
    }
    #[cfg(test)]
    fn k(&self) -> usize {
        self.cin * self.win.kh * self.win.kw
    }
    /// The output size and the scratch sizes of one group of samples, every product checked:
    /// None when one does not fit a usize (the patch matrix of a large input with a large kernel
    /// can pass 2^32 floats on wasm32 even when input and output fit), reported as OOM.
    fn sizes(&self) -> Option<Sizes> {
        let (ho, wo) = self.out_hw()?;
        let p = ho.checked_mul(wo)?;
        let k = self.cin.checked_mul(self.win.kh)?.checked_mul(self.win.kw)?;
        // samples per group: the group's patch matrix stays near 1M floats (4 MB)
        let g = ((1 << 20) / k.checked_mul(p)?.max(1)).clamp(1, self.n.max(1));
        let cols = k.checked_mul(g)?.checked_mul(p)?;
        let out = self.cout.checked_mul(g)?.checked_mul(p)?;
        // the floats a part of a job touches (2 k ld) must fit too
        cols.checked_mul(2)?;
        out.checked_mul(2)?;
        Some(Sizes { ho, wo, p, k, g, cols, out })
    }
}

struct Sizes {
    ho: usize,
    wo: usize,
    p: usize,
    k: usize,
    g: usize,
    cols: usize,
    out: usize,
}

/// Sample `x`'s patches into columns off..off + Ho Wo of each of the K rows of `cols` (row
/// stride ld). Touches only those columns, so samples of a group can be filled in parallel.
fn im2col(c: &Conv, x: &[f32], ho: usize, wo: usize, cols: &SharedMut<f32>, off: usize, ld: usize) {
    let p = ho * wo;
    for ci in 0..c.cin {
        let plane = &x[ci * c.win.h * c.win.w..(ci + 1) * c.win.h * c.win.w];
        for u in 0..c.win.kh {
            for v in 0..c.win.kw {
                // SAFETY: this sample's columns of one row; other samples own other columns.
                let row = unsafe { cols.part(((ci * c.win.kh + u) * c.win.kw + v) * ld + off, p) };
                for i in 0..ho {
                    let hi = (i * c.win.sh + u) as isize - c.win.ph as isize;
                    let dst = &mut row[i * wo..(i + 1) * wo];
                    if hi < 0 || hi >= c.win.h as isize {
                        dst.fill(0.0);
                        continue;
                    }
                    let src = &plane[hi as usize * c.win.w..(hi as usize + 1) * c.win.w];
                    for (j, d) in dst.iter_mut().enumerate() {
                        let wi = (j * c.win.sw + v) as isize - c.win.pw as isize;
                        *d = if wi < 0 || wi >= c.win.w as isize { 0.0 } else { src[wi as usize] };
                    }
                }
            }
        }
    }
}

fn col2im(c: &Conv, cols: &[f32], ho: usize, wo: usize, dx: &mut [f32], ld: usize) {
    for ci in 0..c.cin {
        let plane = &mut dx[ci * c.win.h * c.win.w..(ci + 1) * c.win.h * c.win.w];
        for u in 0..c.win.kh {
            for v in 0..c.win.kw {
                let row = &cols[((ci * c.win.kh + u) * c.win.kw + v) * ld..];
                for i in 0..ho {
                    let hi = (i * c.win.sh + u) as isize - c.win.ph as isize;
                    if hi < 0 || hi >= c.win.h as isize {
                        continue;
                    }
                    for j in 0..wo {
                        let wi = (j * c.win.sw + v) as isize - c.win.pw as isize;
                        if wi >= 0 && wi < c.win.w as isize {
                            plane[hi as usize * c.win.w + wi as usize] += row[i * wo + j];
                        }
                    }
                }
            }
        }
    }
}

/// Which algorithm 3x3 stride-1 convolutions use: 0 = by shape ([`algorithm_for`]), 1 = always
/// im2col, 2 = Winograd F(2x2, 3x3) wherever it applies (nn/winograd.rs), 3 = Winograd F(4x4, 3x3)
/// wherever it applies (nn/winograd4.rs). One value for the process (all threads share it).
static ALGORITHM: AtomicU32 = AtomicU32::new(0);

/// Sets the algorithm choice (0 auto, 1 im2col, 2 F(2x2, 3x3), 3 F(4x4, 3x3)); returns the previous one.
pub fn set_algorithm(a: u32) -> u32 {
    ALGORITHM.swap(a.min(3), Ordering::Relaxed)
}

/// How one convolution runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Algorithm {
    Im2col,
    Winograd2,
    Winograd4,
}

/// The algorithm for this geometry. Auto: im2col below 8 input or output channels (im2col's one
/// product of depth 9 Cin beats 16 or 36 shallow ones); F(4x4, 3x3) from 32 channels each way
/// when the batch has at least 64 of its 4x4 tiles (with fewer, transforming its 36 Cout x Cin
/// weights costs more than the thinner products save) and
/// they cover no more than 1/8 more of the plane than F(2x2)'s 2x2 tiles do (14 x 14 outputs:
/// 16 x 16 vs 14 x 14, 31% more, and the two measure even); F(2x2, 3x3) otherwise
/// (`node bench/conv-algo.mjs` measured the crossovers).
pub fn algorithm_for(c: &Conv) -> Algorithm {
    if !winograd::applies(c) {
        return Algorithm::Im2col;
    }
    match ALGORITHM.load(Ordering::Relaxed) {
        1 => Algorithm::Im2col,
        2 => Algorithm::Winograd2,
        3 => Algorithm::Winograd4,
        _ if c.cin < 8 || c.cout < 8 => Algorithm::Im2col,
        _ => {
            let (ho, wo) = c.out_hw().unwrap_or((0, 0));
            let (f4, f2) = (ho.div_ceil(4) * wo.div_ceil(4) * 16, ho.div_ceil(2) * wo.div_ceil(2) * 4);
            if c.cin >= 32 && c.cout >= 32 && c.n.saturating_mul(f4 / 16) >= 64 && 8 * f4 <= 9 * f2 {
                Algorithm::Winograd4
            } else {
                Algorithm::Winograd2
            }
        }
    }
}

/// y (n x Cout x Ho x Wo) = conv(x, W) + b.
pub fn forward<I: Isa>(c: &Conv, x: &[f32], wt: &[f32], b: Option<&[f32]>, y: &mut [f32]) -> Result<(), Oom> {
    match algorithm_for(c) {
        Algorithm::Winograd2 => winograd::forward::<I>(c, x, wt, b, y),
        Algorithm::Winograd4 => winograd4::forward::<I>(c, x, wt, b, y),
        Algorithm::Im2col => forward_im2col::<I>(c, x, wt, b, y),
    }
}

/// [`forward`] by im2col + GEMM, whatever the algorithm setting.
pub fn forward_im2col<I: Isa>(c: &Conv, x: &[f32], wt: &[f32], b: Option<&[f32]>, y: &mut [f32]) -> Result<(), Oom> {
    let Sizes { ho, wo, p, k, g, cols, out } = c.sizes().ok_or(Oom)?;
    let mut cols = try_vec(cols)?;
    let mut out = try_vec(out)?;
    let mut packs = Packs::new()?;
    let xs = c.cin * c.win.h * c.win.w;
    for s0 in (0..c.n).step_by(g) {
        let gn = g.min(c.n - s0);
        let ld = gn * p;
        let cg = SharedMut::new(&mut cols[..k * ld]);
        par::items(gn, 2 * k * ld, &|s| im2col(c, &x[(s0 + s) * xs..], ho, wo, &cg, s * p, ld));
        let o = &mut out[..c.cout * ld];
        o.fill(0.0);
        gemm::<I>(c.cout, ld, k, Strided::rows(wt, k), Strided::rows(&cols[..k * ld], ld), o, ld, &mut packs);
        let (o, ys) = (&*o, SharedMut::new(&mut y[s0 * c.cout * p..(s0 + gn) * c.cout * p]));
        par::items(gn, 2 * c.cout * ld, &|s| {
            // SAFETY: sample s's block of y.
            let ys = unsafe { ys.part(s * c.cout * p, c.cout * p) };
            for oc in 0..c.cout {
                let bias = b.map_or(0.0, |b| b[oc]);
                for (d, v) in ys[oc * p..(oc + 1) * p].iter_mut().zip(&o[oc * ld + s * p..oc * ld + (s + 1) * p]) {
                    *d = v + bias;
                }
            }
        });
    }
    Ok(())
}

/// dx overwritten (when asked for); dW and db accumulated.
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(
    c: &Conv,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
) -> Result<(), Oom> {
    backward_some::<I>(c, x, wt, dy, dx, Some(dw), db)
}

/// As [`backward`], each of dx, dW and db optional: a frozen weight (dW None) skips the
/// dY cols^T product and, with dx None too, the patch matrix; nothing asked = nothing done.
#[allow(clippy::too_many_arguments)]
pub fn backward_some<I: Isa>(
    c: &Conv,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: Option<&mut [f32]>,
    db: Option<&mut [f32]>,
) -> Result<(), Oom> {
    if dx.is_none() && dw.is_none() && db.is_none() {
        return Ok(());
    }
    match algorithm_for(c) {
        Algorithm::Winograd2 => winograd::backward::<I>(c, x, wt, dy, dx, dw, db),
        Algorithm::Winograd4 => winograd4::backward::<I>(c, x, wt, dy, dx, dw, db),
        Algorithm::Im2col => backward_im2col::<I>(c, x, wt, dy, dx, dw, db),
    }
}

/// [`backward_some`] by im2col + GEMM, whatever the algorithm setting.
#[allow(clippy::too_many_arguments)]
pub fn backward_im2col<I: Isa>(
    c: &Conv,
    x: &[f32],
    wt: &[f32],
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: Option<&mut [f32]>,
    db: Option<&mut [f32]>,
) -> Result<(), Oom> {
    let mut dw = dw;
    let Sizes { ho, wo, p, k, g, cols: ncols, out: nout } = c.sizes().ok_or(Oom)?;
    let need_cols = dw.is_some();
    let mut cols = try_vec(if need_cols { ncols } else { 0 })?;
    let mut dyg = try_vec(nout)?;
    let mut dcols = try_vec(if dx.is_some() { ncols } else { 0 })?;
    let mut packs = Packs::new()?;
    let mut dx = dx;
    let xs = c.cin * c.win.h * c.win.w;
    if let Some(d) = dx.as_deref_mut() {
        d[..c.n * xs].fill(0.0);
    }
    let mut db = db;
    for s0 in (0..c.n).step_by(g) {
        let gn = g.min(c.n - s0);
        let ld = gn * p;
        let cl = if need_cols { k * ld } else { 0 };
        let (cw, dyo) = (SharedMut::new(&mut cols[..cl]), SharedMut::new(&mut dyg[..c.cout * ld]));
        par::items(gn, 2 * (k + c.cout) * ld, &|s| {
            if need_cols {
                im2col(c, &x[(s0 + s) * xs..], ho, wo, &cw, s * p, ld);
            }
            let dys = &dy[(s0 + s) * c.cout * p..(s0 + s + 1) * c.cout * p];
            for oc in 0..c.cout {
                // SAFETY: sample s's columns of row oc.
                unsafe { dyo.part(oc * ld + s * p, p) }.copy_from_slice(&dys[oc * p..(oc + 1) * p]);
            }
        });
        let (cg, dg) = (&cols[..cl], &dyg[..c.cout * ld]);
        if let Some(dw) = dw.as_deref_mut() {
            gemm::<I>(c.cout, k, ld, Strided::rows(dg, ld), Strided::transposed(cg, ld), dw, k, &mut packs);
        }
        if let Some(d) = dx.as_deref_mut() {
            let dc = &mut dcols[..k * ld];
            dc.fill(0.0);
            gemm::<I>(k, ld, c.cout, Strided::transposed(wt, k), Strided::rows(dg, ld), dc, ld, &mut packs);
            let (dc, dxo) = (&*dc, SharedMut::new(&mut d[s0 * xs..(s0 + gn) * xs]));
            // SAFETY: sample s's block of dx.
            par::items(gn, 2 * k * ld, &|s| col2im(c, &dc[s * p..], ho, wo, unsafe { dxo.part(s * xs, xs) }, ld));
        }
        if let Some(bg) = db.as_deref_mut() {
            for oc in 0..c.cout {
                bg[oc] += dg[oc * ld..(oc + 1) * ld].iter().sum::<f32>();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn hand_example_from_the_reference() {
        let c = Conv { n: 1, cin: 1, cout: 1, win: Window { h: 4, w: 4, kh: 3, kw: 3, sh: 1, sw: 1, ph: 0, pw: 0 } };
        let x = [1., 2., 0., -1., 0., 1., 3., 1., 2., -1., 1., 0., 1., 0., 2., 1.];
        let w = [1., 0., -1., 2., 1., 0., 0., -1., 1.];
        let mut y = [0.0; 4];
        forward::<Scalar4>(&c, &x, &w, Some(&[0.5]), &mut y).unwrap();
        assert_eq!(y, [4.5, 7.5, 2.5, -1.5]);
        let (mut dw, mut db) = ([0.0; 9], [0.0]);
        backward::<Scalar4>(&c, &x, &w, &[1., -1., 2., 0.5], None, &mut dw, Some(&mut db)).unwrap();
        assert_eq!(dw, [-0.5, 5.5, 7.5, 2.5, -3.5, 4., 5., -1., 5.5]);
        assert_eq!(db, [2.5]);
    }

    #[test]
    fn strided_padded_backward_matches_finite_differences() {
        let c = Conv { n: 2, cin: 3, cout: 4, win: Window { h: 7, w: 6, kh: 3, kw: 2, sh: 2, sw: 1, ph: 1, pw: 1 } };
        let (ho, wo) = c.out_hw().unwrap();
        let x = randv(c.n * c.cin * c.win.h * c.win.w, 31);
        let w = randv(c.cout * c.k(), 32);
        let b = randv(c.cout, 33);
        let dy = randv(c.n * c.cout * ho * wo, 34);
        let f = |x: &[f32], w: &[f32], b: &[f32]| {
            let mut y = vec![0.0; dy.len()];
            forward::<Scalar4>(&c, x, w, Some(b), &mut y).unwrap();
            y.iter().zip(&dy).map(|(a, b)| (*a as f64) * (*b as f64)).sum::<f64>()
        };
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; w.len()], vec![0.0; 4]);
        backward::<Scalar4>(&c, &x, &w, &dy, Some(&mut dx), &mut dw, Some(&mut db)).unwrap();
        check_grad(&x, &dx, |v| f(v, &w, &b), "dx");
        check_grad(&w, &dw, |v| f(&x, v, &b), "dw");
        check_grad(&b, &db, |v| f(&x, &w, v), "db");
    }

    #[test]
    fn a_patch_matrix_whose_size_overflows_usize_is_oom_not_a_wrapped_allocation() {
        // one sample whose K x P patch matrix is 2^BITS floats (2^32 on wasm32): wrapped, the product would be 0
        let (half, quarter) = (1usize << (usize::BITS / 2), 1usize << (usize::BITS / 4));
        let c = Conv { n: 1, cin: half, cout: 1, win: Window { h: quarter, w: quarter, kh: 1, kw: 1, sh: 1, sw: 1, ph: 0, pw: 0 } };
        assert!(c.sizes().is_none());
        let mut y = [0.0f32; 4];
        assert_eq!(forward::<Scalar4>(&c, &[0.0; 4], &[0.0; 4], None, &mut y), Err(Oom));
        let mut dw = [0.0f32; 4];
        assert_eq!(backward::<Scalar4>(&c, &[0.0; 4], &[0.0; 4], &[0.0; 4], None, &mut dw, None), Err(Oom));
        // padding that overflows the padded size
        let c2 = Conv { n: 1, cin: 1, cout: 1, win: Window { h: 4, w: 4, kh: 1, kw: 1, sh: 1, sw: 1, ph: usize::MAX / 2 + 1, pw: 0 } };
        assert!(c2.out_hw().is_none());
    }

    #[test]
    fn samples_grouped_into_one_product_match_one_at_a_time() {
        // K P = 576 x 784: two samples per group, so 5 samples make 3 groups, the last partial
        let c = Conv { n: 5, cin: 64, cout: 6, win: Window { h: 28, w: 28, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 } };
        assert_eq!(c.sizes().unwrap().g, 2);
        let xs = 64 * 28 * 28;
        let x = randv(5 * xs, 1);
        let w = randv(6 * 576, 2);
        let b = randv(6, 3);
        let dy = randv(5 * 6 * 784, 4);
        let mut y = vec![0.0f32; 5 * 6 * 784];
        forward::<Scalar4>(&c, &x, &w, Some(&b), &mut y).unwrap();
        let (mut dx, mut dw, mut db) = (vec![0.0f32; 5 * xs], vec![0.0f32; 6 * 576], vec![0.0f32; 6]);
        backward::<Scalar4>(&c, &x, &w, &dy, Some(&mut dx), &mut dw, Some(&mut db)).unwrap();
        let one = Conv { n: 1, ..c };
        let (mut dw1, mut db1) = (vec![0.0f32; 6 * 576], vec![0.0f32; 6]);
        for s in 0..5 {
            let mut y1 = vec![0.0f32; 6 * 784];
            forward::<Scalar4>(&one, &x[s * xs..(s + 1) * xs], &w, Some(&b), &mut y1).unwrap();
            assert_eq!(&y[s * 6 * 784..(s + 1) * 6 * 784], &y1[..]);
            let mut dx1 = vec![0.0f32; xs];
            backward::<Scalar4>(
                &one,
                &x[s * xs..(s + 1) * xs],
                &w,
                &dy[s * 6 * 784..(s + 1) * 6 * 784],
                Some(&mut dx1),
                &mut dw1,
                Some(&mut db1),
            )
            .unwrap();
            assert_eq!(&dx[s * xs..(s + 1) * xs], &dx1[..]);
        }
        for (a, b) in dw.iter().zip(&dw1).chain(db.iter().zip(&db1)) {
            assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn a_frozen_weight_gets_no_gradient_and_the_same_input_gradient() {
        let c = Conv { n: 3, cin: 2, cout: 3, win: Window { h: 5, w: 7, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1 } };
        let (ho, wo) = c.out_hw().unwrap();
        let x = randv(c.n * c.cin * c.win.h * c.win.w, 41);
        let w = randv(c.cout * c.k(), 42);
        let dy = randv(c.n * c.cout * ho * wo, 43);
        let (mut dx, mut dw) = (vec![0.0; x.len()], vec![0.0; w.len()]);
        backward::<Scalar4>(&c, &x, &w, &dy, Some(&mut dx), &mut dw, None).unwrap();
        let mut dx2 = vec![7.0; x.len()];
        backward_some::<Scalar4>(&c, &x, &w, &dy, Some(&mut dx2), None, None).unwrap();
        assert_eq!(dx, dx2);
        // nothing asked: nothing written, no error
        backward_some::<Scalar4>(&c, &x, &w, &dy, None, None, None).unwrap();
    }
}
