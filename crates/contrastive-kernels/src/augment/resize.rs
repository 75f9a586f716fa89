//! Resized crop with bilinear interpolation, torchvision's `antialias=False` definition
//! (`F.resized_crop` = `F.resize(F.crop(img, top, left, h, w), size)`, i.e.
//! `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)` on the crop only):
//! per axis, with s = n_in / n_out (float32),
//!   src(d) = max(s (d + 0.5) - 0.5, 0);  i0 = floor(src);  i1 = min(i0 + 1, n_in - 1);  l = src - i0
//!   out[d] = (1 - l) x[i0] + l x[i1]
//! The crop must lie inside the image (the samplers never produce anything else). A flip of the
//! output (bit 0 horizontal, bit 1 vertical) is fused in by reversing the tap tables.
//!
//! Computed separably with the same bits: the inner sums `(1 - lx) x[r][i0] + lx x[r][i1]` of one
//! source row r are the same for every output row that uses r, so each is computed once (4 output
//! columns at a time, [`super::lanes`]) and the vertical blend `(1 - ly) H[r0] + ly H[r1]` reads them.

use super::lanes as l;
use super::try_vec_u32;
use crate::{try_vec, Oom, Scratch};

/// Taps of one axis: for each output index, (i0, i1) into the crop and the weight l of i1.
fn taps(n_in: usize, n_out: usize, reverse: bool, idx: &mut [u32], w: &mut [f32]) {
    let s = n_in as f32 / n_out as f32;
    for d in 0..n_out {
        let src = (s * (d as f32 + 0.5) - 0.5).max(0.0);
        let i0 = (src as usize).min(n_in - 1);
        let i1 = (i0 + 1).min(n_in - 1);
        let l = src - i0 as f32;
        let at = if reverse { n_out - 1 - d } else { d };
        idx[2 * at] = i0 as u32;
        idx[2 * at + 1] = i1 as u32;
        w[at] = l;
    }
}

/// Per-run scratch of [`resized_crop`]: tap tables and two horizontally interpolated rows.
struct Tables {
    /// vertical taps (i0, i1) per output row, and the weight of i1
    yi: Vec<u32>,
    yw: Scratch,
    /// horizontal taps (i0, i1) per output column, then split: x0[x] = i0, x1[x] = i1
    xi: Vec<u32>,
    x0: Vec<u32>,
    x1: Vec<u32>,
    /// weights of i1 (lx) and of i0 (1 - lx)
    xw: Scratch,
    xw0: Scratch,
    /// two interpolated source rows and which crop rows they hold (usize::MAX: none)
    rows: [Scratch; 2],
    keys: [usize; 2],
}

impl Tables {
    fn new(oh: usize, ow: usize) -> Result<Tables, Oom> {
        Ok(Tables {
            yi: try_vec_u32(2 * oh)?,
            yw: try_vec(oh)?,
            xi: try_vec_u32(2 * ow)?,
            x0: try_vec_u32(ow)?,
            x1: try_vec_u32(ow)?,
            xw: try_vec(ow)?,
            xw0: try_vec(ow)?,
            rows: [try_vec(ow)?, try_vec(ow)?],
            keys: [usize::MAX; 2],
        })
    }

    /// The slot holding H[k] (row k of the crop interpolated along x), computing it if needed
    /// without evicting the slot `keep`.
    fn row(&mut self, crop: &[f32], w: usize, k: usize, keep: Option<usize>) -> usize {
        if let Some(s) = self.keys.iter().position(|&key| key == k) {
            return s;
        }
        let s = if keep == Some(0) { 1 } else { 0 };
        self.keys[s] = k;
        let src = &crop[k * w..];
        let (x0, x1, w0, w1) = (&self.x0[..], &self.x1[..], &self.xw0[..], &self.xw[..]);
        let dst = &mut self.rows[s][..];
        let ow = dst.len();
        let mut x = 0;
        while x + 4 <= ow {
            let a = l::mul(l::load(&w0[x..]), l::gather_u32(src, &x0[x..x + 4]));
            let b = l::mul(l::load(&w1[x..]), l::gather_u32(src, &x1[x..x + 4]));
            l::store(&mut dst[x..], l::add(a, b));
            x += 4;
        }
        for x in x..ow {
            dst[x] = w0[x] * src[x0[x] as usize] + w1[x] * src[x1[x] as usize];
        }
        s
    }
}

/// `boxes`: 4 per image (top, left, height, width); `flags`: bit 0 hflip, bit 1 vflip.
#[allow(clippy::too_many_arguments)]
pub fn resized_crop(
    src: &[f32],
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    boxes: &[u32],
    flags: &[u32],
    oh: usize,
    ow: usize,
    out: &mut [f32],
) -> Result<(), Oom> {
    let oom = core::sync::atomic::AtomicBool::new(false);
    // tables: one set per run of images (per thread), refilled for each image
    super::per_image(
        n,
        c * oh * ow,
        out,
        || Tables::new(oh, ow).ok(),
        |t, i, out_i| {
            let Some(t) = t else {
                oom.store(true, core::sync::atomic::Ordering::Relaxed);
                return;
            };
            let b = &boxes[4 * i..4 * i + 4];
            let (top, left, bh, bw) = (b[0] as usize, b[1] as usize, b[2] as usize, b[3] as usize);
            taps(bh, oh, flags[i] & 2 != 0, &mut t.yi, &mut t.yw);
            taps(bw, ow, flags[i] & 1 != 0, &mut t.xi, &mut t.xw);
            for x in 0..ow {
                t.x0[x] = t.xi[2 * x];
                t.x1[x] = t.xi[2 * x + 1];
                t.xw0[x] = 1.0 - t.xw[x];
            }
            for ch in 0..c {
                let plane = &src[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
                // the crop's rows start at (top + k) * w + left of the plane
                let crop = &plane[top * w + left..];
                let o = &mut out_i[ch * oh * ow..(ch + 1) * oh * ow];
                t.keys = [usize::MAX; 2];
                for y in 0..oh {
                    let s0 = t.row(crop, w, t.yi[2 * y] as usize, None);
                    let s1 = t.row(crop, w, t.yi[2 * y + 1] as usize, Some(s0));
                    let ly = t.yw[y];
                    let (h0, h1) = (1.0 - ly, ly);
                    let (r0, r1) = (&t.rows[s0][..], &t.rows[s1][..]);
                    let orow = &mut o[y * ow..(y + 1) * ow];
                    let (v0, v1) = (l::splat(h0), l::splat(h1));
                    let mut x = 0;
                    while x + 4 <= ow {
                        l::store(&mut orow[x..], l::add(l::mul(v0, l::load(&r0[x..])), l::mul(v1, l::load(&r1[x..]))));
                        x += 4;
                    }
                    for x in x..ow {
                        orow[x] = h0 * r0[x] + h1 * r1[x];
                    }
                }
            }
        },
    );
    if oom.into_inner() {
        return Err(Oom);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_size_crop_copies_and_halving_averages_pairs() {
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut out = vec![0.0f32; 16];
        resized_crop(&src, 1, 1, 4, 4, &[0, 0, 4, 4], &[0], 4, 4, &mut out).unwrap();
        assert_eq!(out, src);
        let mut half = vec![0.0f32; 4];
        resized_crop(&src, 1, 1, 4, 4, &[0, 0, 4, 4], &[0], 2, 2, &mut half).unwrap();
        assert_eq!(half, vec![2.5, 4.5, 10.5, 12.5]);
        let mut flipped = vec![0.0f32; 16];
        resized_crop(&src, 1, 1, 4, 4, &[0, 0, 4, 4], &[1], 4, 4, &mut flipped).unwrap();
        assert_eq!(&flipped[..4], &[3.0, 2.0, 1.0, 0.0]);
    }

    /// The definition, one output pixel at a time (the code before the separable form).
    #[allow(clippy::too_many_arguments)]
    fn reference(
        src: &[f32],
        n: usize,
        c: usize,
        h: usize,
        w: usize,
        boxes: &[u32],
        flags: &[u32],
        oh: usize,
        ow: usize,
    ) -> Vec<f32> {
        let mut out = vec![0.0f32; n * c * oh * ow];
        let (mut yi, mut xi, mut yw, mut xw) =
            (vec![0u32; 2 * oh], vec![0u32; 2 * ow], vec![0.0f32; oh], vec![0.0f32; ow]);
        for i in 0..n {
            let b = &boxes[4 * i..4 * i + 4];
            let (top, left, bh, bw) = (b[0] as usize, b[1] as usize, b[2] as usize, b[3] as usize);
            taps(bh, oh, flags[i] & 2 != 0, &mut yi, &mut yw);
            taps(bw, ow, flags[i] & 1 != 0, &mut xi, &mut xw);
            for ch in 0..c {
                let plane = &src[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
                for y in 0..oh {
                    let r0 = &plane[(top + yi[2 * y] as usize) * w + left..];
                    let r1 = &plane[(top + yi[2 * y + 1] as usize) * w + left..];
                    let (h0, h1) = (1.0 - yw[y], yw[y]);
                    for x in 0..ow {
                        let (a, bb) = (xi[2 * x] as usize, xi[2 * x + 1] as usize);
                        let (w0, w1) = (1.0 - xw[x], xw[x]);
                        out[((i * c + ch) * oh + y) * ow + x] =
                            h0 * (w0 * r0[a] + w1 * r0[bb]) + h1 * (w0 * r1[a] + w1 * r1[bb]);
                    }
                }
            }
        }
        out
    }

    /// Separable and 4-lane, the same bits as the definition: crops up- and downscaled, flips,
    /// output widths 4k and not, 1 and 3 planes.
    #[test]
    fn separable_crop_matches_the_definition_bit_for_bit() {
        let mut r = crate::testutil::Rng(0x1234_5679);
        let mut rnd = move || (r.next_u64() >> 32) as u32;
        for case in 0..300 {
            let c = if case % 3 == 0 { 3 } else { 1 };
            let (h, w) = (1 + (rnd() % 40) as usize, 1 + (rnd() % 40) as usize);
            let (oh, ow) = (1 + (rnd() % 30) as usize, 1 + (rnd() % 30) as usize);
            let n = 3;
            let src: Vec<f32> = (0..n * c * h * w).map(|_| rnd() as f32 / 4_294_967_296.0 - 0.3).collect();
            let mut boxes = vec![];
            for _ in 0..n {
                let (bh, bw) = (1 + (rnd() as usize % h), 1 + (rnd() as usize % w));
                boxes.extend([
                    (rnd() as usize % (h - bh + 1)) as u32,
                    (rnd() as usize % (w - bw + 1)) as u32,
                    bh as u32,
                    bw as u32,
                ]);
            }
            let flags: Vec<u32> = (0..n).map(|_| rnd() % 4).collect();
            let mut got = vec![f32::NAN; n * c * oh * ow];
            resized_crop(&src, n, c, h, w, &boxes, &flags, oh, ow, &mut got).unwrap();
            let want = reference(&src, n, c, h, w, &boxes, &flags, oh, ow);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&got),
                bits(&want),
                "case {case}: {h}x{w}x{c} -> {oh}x{ow}, boxes {boxes:?} flags {flags:?}"
            );
        }
    }
}
