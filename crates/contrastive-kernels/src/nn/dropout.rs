//! Dropout with a counter-based RNG: the mask of element i under (seed, stream) is a pure
//! function of (seed, stream, i), so a run is reproducible and resumable from two integers,
//! whatever the order or the chunking of the work.
//!
//! keep_i = u_i >= p with u_i uniform in [0, 1) (24 bits); mask_i = keep_i / (1 - p); y = x mask.
//! Backward: dx = dy mask (the saved mask).

/// SplitMix64's finalizer on (seed, stream, i): a strong 64-bit mix of a counter.
#[inline]
pub fn hash(seed: u64, stream: u64, i: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `mask` (scale 0 or 1/(1-p)) and y = x mask. p in [0, 1).
pub fn forward(x: &[f32], p: f32, seed: u64, stream: u64, y: &mut [f32], mask: &mut [f32]) {
    let scale = 1.0 / (1.0 - p);
    for (i, ((o, m), v)) in y.iter_mut().zip(mask.iter_mut()).zip(x).enumerate() {
        let u = (hash(seed, stream, i as u64) >> 40) as f32 * (1.0 / 16_777_216.0);
        *m = if u >= p { scale } else { 0.0 };
        *o = v * *m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_and_stream_give_the_same_mask_and_the_rate_is_p() {
        let x = vec![1.0f32; 10000];
        let (mut y1, mut m1, mut y2, mut m2) = (vec![0.0; 10000], vec![0.0; 10000], vec![0.0; 10000], vec![0.0; 10000]);
        forward(&x, 0.3, 42, 7, &mut y1, &mut m1);
        forward(&x, 0.3, 42, 7, &mut y2, &mut m2);
        assert_eq!(m1, m2);
        let dropped = m1.iter().filter(|v| **v == 0.0).count() as f64 / 10000.0;
        assert!((dropped - 0.3).abs() < 0.02, "{dropped}");
        forward(&x, 0.3, 42, 8, &mut y2, &mut m2);
        assert_ne!(m1, m2);
        let mean: f64 = y1.iter().map(|v| *v as f64).sum::<f64>() / 10000.0;
        assert!((mean - 1.0).abs() < 0.05);
    }
}
