//! Gaussian blur, torchvision 0.14 `F.gaussian_blur(img, [k, k], [sigma, sigma])`:
//!   kernel1d: x_i = -(k-1)/2 + i,  g_i = exp(-0.5 (x_i / sigma)^2),  kernel = g / sum(g)   (float32)
//!   reflect padding by k//2 on each side (the edge pixel is not repeated), which needs k//2 < h, w.
//! torchvision runs one 2-D cross-correlation with outer(kernel, kernel); here it is two 1-D
//! passes (rows, then columns), equal up to float32 rounding (the reference's atol is 1e-5).
//! Multiply and add stay separate (no `Isa::madd`): relaxed SIMD may fuse or not depending on the
//! CPU, and augmentations promise the same views on every engine and machine.

use crate::simd::Isa;
use crate::{try_vec, Oom};

/// torchvision's float32 1-D kernel of odd size k.
pub fn kernel1d(k: usize, sigma: f32, out: &mut [f32]) {
    let half = (k as f32 - 1.0) * 0.5;
    let mut sum = 0.0f32;
    for (i, o) in out[..k].iter_mut().enumerate() {
        let x = (i as f32 - half) / sigma;
        *o = (-0.5 * x * x).exp();
        sum += *o;
    }
    for o in &mut out[..k] {
        *o /= sum;
    }
}

/// Reflect index (no edge repeat) of i in [-r, n + r), r < n.
#[inline(always)]
fn reflect(i: isize, n: usize) -> usize {
    let n = n as isize;
    if i < 0 {
        (-i) as usize
    } else if i >= n {
        (2 * n - 2 - i) as usize
    } else {
        i as usize
    }
}

/// out[x] = sum_t kern[t] * src[x + t] for x < n (src holds n + k - 1 values).
#[inline]
fn correlate<I: Isa>(src: &[f32], kern: &[f32], out: &mut [f32]) {
    let n = out.len();
    let body = n - n % 4;
    let ps = src.as_ptr();
    let po = out.as_mut_ptr();
    // SAFETY: x + t + 4 <= body + k - 1 <= src.len().
    unsafe {
        let mut x = 0;
        while x < body {
            let mut acc = I::splat(0.0);
            for (t, kv) in kern.iter().enumerate() {
                acc = I::add(I::mul(I::splat(*kv), I::load(ps.add(x + t))), acc);
            }
            I::store(po.add(x), acc);
            x += 4;
        }
    }
    for x in body..n {
        let mut s = 0.0f32;
        for (t, kv) in kern.iter().enumerate() {
            s += kv * src[x + t];
        }
        out[x] = s;
    }
}

/// y += a x with a separate multiply and add (never fused: see the module doc).
#[inline]
fn axpy<I: Isa>(a: f32, x: &[f32], y: &mut [f32]) {
    let n = y.len();
    let body = n - n % 4;
    let va = I::splat(a);
    let (px, py) = (x.as_ptr(), y.as_mut_ptr());
    // SAFETY: i + 4 <= body <= n <= x.len().
    unsafe {
        let mut i = 0;
        while i < body {
            I::store(py.add(i), I::add(I::mul(va, I::load(px.add(i))), I::load(py.add(i))));
            i += 4;
        }
    }
    for i in body..n {
        y[i] += a * x[i];
    }
}

/// In place on each image with `sigmas[i] > 0` (others are left as they are).
pub fn gaussian_blur<I: Isa>(
    x: &mut [f32],
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    sigmas: &[f32],
) -> Result<(), Oom> {
    let r = k / 2;
    let mut kern = try_vec(k)?;
    let mut pad = try_vec(w.max(h) + 2 * r)?;
    let mut tmp = try_vec(h * w)?;
    let mut col_in = try_vec(h + 2 * r)?;
    let mut col_out = try_vec(h)?;
    for i in 0..n {
        let s = sigmas[i];
        if s.is_nan() || s <= 0.0 {
            continue;
        }
        kernel1d(k, s, &mut kern);
        for ch in 0..c {
            let plane = &mut x[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
            // rows
            for y in 0..h {
                let row = &plane[y * w..(y + 1) * w];
                for (t, p) in pad[..w + 2 * r].iter_mut().enumerate() {
                    *p = row[reflect(t as isize - r as isize, w)];
                }
                correlate::<I>(&pad[..w + 2 * r], &kern, &mut tmp[y * w..(y + 1) * w]);
            }
            // columns: 4 columns at a time would need a transpose; instead accumulate rows
            if w >= 4 {
                for y in 0..h {
                    let orow = &mut plane[y * w..(y + 1) * w];
                    orow.fill(0.0);
                    for (t, kv) in kern.iter().enumerate() {
                        let sy = reflect(y as isize + t as isize - r as isize, h);
                        axpy::<I>(*kv, &tmp[sy * w..(sy + 1) * w], orow);
                    }
                }
            } else {
                for xx in 0..w {
                    for (t, p) in col_in[..h + 2 * r].iter_mut().enumerate() {
                        *p = tmp[reflect(t as isize - r as isize, h) * w + xx];
                    }
                    correlate::<I>(&col_in[..h + 2 * r], &kern, &mut col_out);
                    for y in 0..h {
                        plane[y * w + xx] = col_out[y];
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;

    #[test]
    fn blur_preserves_a_constant_image_and_sums_to_one() {
        let mut kern = vec![0.0f32; 23];
        kernel1d(23, 2.0, &mut kern);
        assert!((kern.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let mut x = vec![0.25f32; 2 * 3 * 5 * 6];
        gaussian_blur::<Scalar4>(&mut x, 2, 3, 5, 6, 5, &[1.0, 0.0]).unwrap();
        assert!(x.iter().all(|v| (v - 0.25).abs() < 1e-6));
    }

    #[test]
    fn reflect_does_not_repeat_the_edge() {
        // [a b c d] padded by 2 is [c b | a b c d | c b]
        let idx: Vec<usize> = (-2..6).map(|i| reflect(i, 4)).collect();
        assert_eq!(idx, vec![2, 1, 0, 1, 2, 3, 2, 1]);
    }
}
