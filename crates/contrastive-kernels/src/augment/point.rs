//! Point ops (torchvision 0.14 `functional_tensor.py`):
//!   solarize(t):  x >= t ? 1 - x : x
//!   normalize:    (x - mean[c]) / std[c]          (a division, as torchvision; no clamp)
//!   erase:        x[c, i..i+h, j..j+w] = value[c]
//!   gaussian noise: x + sigma * N(0, 1), normals from Philox4x32-10 keyed per image, clamped to
//!                   [0, 1] when `clip` (torchvision.transforms.v2.GaussianNoise's default).

use super::philox::normals4;
use crate::simd::Isa;

/// In place; `thresholds[i]` per image (> 1 leaves the image unchanged).
pub fn solarize(x: &mut [f32], n: usize, len: usize, thresholds: &[f32]) {
    for i in 0..n {
        let t = thresholds[i];
        if t > 1.0 {
            continue;
        }
        for v in &mut x[i * len..(i + 1) * len] {
            if *v >= t {
                *v = 1.0 - *v;
            }
        }
    }
}

/// In place over n images of c planes of hw values.
pub fn normalize<I: Isa>(x: &mut [f32], n: usize, c: usize, hw: usize, mean: &[f32], std: &[f32]) {
    for i in 0..n {
        for ch in 0..c {
            let plane = &mut x[(i * c + ch) * hw..(i * c + ch + 1) * hw];
            let (m, s) = (mean[ch], std[ch]);
            let body = hw - hw % 4;
            let (vm, vs) = (I::splat(m), s);
            let p = plane.as_mut_ptr();
            // SAFETY: j + 4 <= body <= hw. Division is done lane by lane to stay a true division.
            unsafe {
                let mut j = 0;
                while j < body {
                    let d = I::sub(I::load(p.add(j)), vm);
                    let mut lanes = [0.0f32; 4];
                    I::store(lanes.as_mut_ptr(), d);
                    for l in &mut lanes {
                        *l /= vs;
                    }
                    I::store(p.add(j), I::load(lanes.as_ptr()));
                    j += 4;
                }
            }
            for v in &mut plane[body..] {
                *v = (*v - m) / s;
            }
        }
    }
}

/// In place; `boxes`: 4 per image (top, left, height, width), clipped to the image.
pub fn erase(x: &mut [f32], n: usize, c: usize, h: usize, w: usize, boxes: &[u32], values: &[f32]) {
    for i in 0..n {
        let b = &boxes[4 * i..4 * i + 4];
        let (t, l) = ((b[0] as usize).min(h), (b[1] as usize).min(w));
        let (y1, x1) = ((t + b[2] as usize).min(h), (l + b[3] as usize).min(w));
        for ch in 0..c {
            let plane = &mut x[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
            for y in t..y1 {
                plane[y * w + l..y * w + x1].fill(values[ch]);
            }
        }
    }
}

/// In place; image i adds sigmas[i] * N(0,1), the normals of Philox key (keys[2i], keys[2i+1]),
/// counter (j / 4, 0, 0, 0) for value j of the image.
pub fn gaussian_noise(x: &mut [f32], n: usize, len: usize, keys: &[u32], sigmas: &[f32], clip: bool) {
    for i in 0..n {
        let s = sigmas[i];
        if s == 0.0 {
            continue;
        }
        let key = [keys[2 * i], keys[2 * i + 1]];
        let img = &mut x[i * len..(i + 1) * len];
        for (b, chunk) in img.chunks_mut(4).enumerate() {
            let z = normals4(key, [b as u32, 0, 0, 0]);
            for (v, zz) in chunk.iter_mut().zip(z) {
                let y = *v + s * zz;
                *v = if clip { y.clamp(0.0, 1.0) } else { y };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;

    #[test]
    fn solarize_inverts_at_the_threshold_itself() {
        let mut x = vec![0.2f32, 0.5, 0.9];
        solarize(&mut x, 1, 3, &[0.5]);
        assert_eq!(x, vec![0.2, 0.5, 1.0 - 0.9]);
    }

    #[test]
    fn normalize_is_a_true_division_and_erase_clips_to_the_image() {
        let mut x = vec![0.5f32; 2 * 5];
        normalize::<Scalar4>(&mut x, 1, 2, 5, &[0.485, 0.456], &[0.229, 0.224]);
        assert_eq!(x[4], (0.5f32 - 0.485) / 0.229);
        assert_eq!(x[9], (0.5f32 - 0.456) / 0.224);
        let mut y = vec![1.0f32; 9];
        erase(&mut y, 1, 1, 3, 3, &[1, 1, 5, 5], &[0.0]);
        assert_eq!(y, vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn zero_sigma_noise_is_identity_and_clip_bounds() {
        let mut x = vec![0.5f32; 10];
        gaussian_noise(&mut x, 1, 10, &[1, 2], &[0.0], true);
        assert!(x.iter().all(|v| *v == 0.5));
        gaussian_noise(&mut x, 1, 10, &[1, 2], &[5.0], true);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
