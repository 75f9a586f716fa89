//! Channels-last input (IDX files, canvas ImageData, decoded PNGs) to float32 NCHW in [0, 1].
//! `c_in` is 1 (gray), 3 (RGB) or 4 (RGBA: alpha dropped); the output has 1 or 3 planes.
//! uint8 values are divided by 255 (torchvision's `to_tensor` / `convert_image_dtype`).

/// Output planes for an input of `c_in` interleaved channels.
pub fn planes(c_in: usize) -> usize {
    if c_in == 4 {
        3
    } else {
        c_in
    }
}

/// `src`: n x h x w x c_in values; `out`: n x planes(c_in) x h x w. Each value is divided by `div` (255 for uint8, as torchvision: a true division).
pub fn hwc_to_nchw<T: Copy + Into<f32>>(src: &[T], n: usize, hw: usize, c_in: usize, div: f32, out: &mut [f32]) {
    let c_out = planes(c_in);
    for i in 0..n {
        let s = &src[i * hw * c_in..(i + 1) * hw * c_in];
        let o = &mut out[i * hw * c_out..(i + 1) * hw * c_out];
        if c_in == 1 {
            for (d, v) in o.iter_mut().zip(s) {
                *d = (*v).into() / div;
            }
            continue;
        }
        for ch in 0..c_out {
            let plane = &mut o[ch * hw..(ch + 1) * hw];
            for (p, d) in plane.iter_mut().enumerate() {
                *d = s[p * c_in + ch].into() / div;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rgba_drops_alpha_and_planarizes() {
        let src: Vec<u8> = vec![255, 0, 51, 7, 0, 255, 102, 9];
        let mut out = vec![0.0f32; 6];
        hwc_to_nchw(&src, 1, 2, 4, 255.0, &mut out);
        assert_eq!(out, vec![1.0, 0.0, 0.0, 1.0, 0.2, 0.4]);
    }
}
