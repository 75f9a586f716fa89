//! Resized crop with bilinear interpolation, torchvision's `antialias=False` definition
//! (`F.resized_crop` = `F.resize(F.crop(img, top, left, h, w), size)`, i.e.
//! `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)` on the crop only):
//! per axis, with s = n_in / n_out (float32),
//!   src(d) = max(s (d + 0.5) - 0.5, 0);  i0 = floor(src);  i1 = min(i0 + 1, n_in - 1);  l = src - i0
//!   out[d] = (1 - l) x[i0] + l x[i1]
//! The crop must lie inside the image (the samplers never produce anything else). A flip of the
//! output (bit 0 horizontal, bit 1 vertical) is fused in by reversing the tap tables.

use super::try_vec_u32;
use crate::{try_vec, Oom};

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
    // tap tables: one set per run of images (per thread), refilled for each image
    let tables = || Some((try_vec_u32(2 * oh).ok()?, try_vec_u32(2 * ow).ok()?, try_vec(oh).ok()?, try_vec(ow).ok()?));
    super::per_image(n, c * oh * ow, out, tables, |t, i, out_i| {
        let Some((yi, xi, yw, xw)) = t else {
            oom.store(true, core::sync::atomic::Ordering::Relaxed);
            return;
        };
        let b = &boxes[4 * i..4 * i + 4];
        let (top, left, bh, bw) = (b[0] as usize, b[1] as usize, b[2] as usize, b[3] as usize);
        taps(bh, oh, flags[i] & 2 != 0, yi, yw);
        taps(bw, ow, flags[i] & 1 != 0, xi, xw);
        for ch in 0..c {
            let plane = &src[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
            let o = &mut out_i[ch * oh * ow..(ch + 1) * oh * ow];
            for y in 0..oh {
                let r0 = &plane[(top + yi[2 * y] as usize) * w + left..];
                let r1 = &plane[(top + yi[2 * y + 1] as usize) * w + left..];
                let ly = yw[y];
                let (h0, h1) = (1.0 - ly, ly);
                let orow = &mut o[y * ow..(y + 1) * ow];
                for (x, dst) in orow.iter_mut().enumerate() {
                    let (a, bb) = (xi[2 * x] as usize, xi[2 * x + 1] as usize);
                    let lx = xw[x];
                    let (w0, w1) = (1.0 - lx, lx);
                    *dst = h0 * (w0 * r0[a] + w1 * r0[bb]) + h1 * (w0 * r1[a] + w1 * r1[bb]);
                }
            }
        }
    });
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
}
