//! Input validation on wasm-resident data: the first non-finite value of a buffer.
//!
//! x * 0 is (+-)0 for finite x and NaN for +-inf and NaN, so the lane sums of x * 0 over a block
//! are NaN exactly when the block holds a non-finite value; only such a block is scanned value by
//! value. (A JS loop over a 512 x 784 batch costs more than the copy into wasm memory.)

use crate::simd::Isa;

const BLOCK: usize = 1024;

/// Index of the first NaN or +-inf in x, if any.
pub fn first_nonfinite<I: Isa>(x: &[f32]) -> Option<usize> {
    let zero = I::splat(0.0);
    for (b, blk) in x.chunks(BLOCK).enumerate() {
        let body = blk.len() - blk.len() % 4;
        let mut acc = zero;
        let p = blk.as_ptr();
        let mut k = 0;
        // SAFETY: k + 4 <= body <= blk.len().
        unsafe {
            while k < body {
                acc = I::add(acc, I::mul(I::load(p.add(k)), zero));
                k += 4;
            }
        }
        let mut s = I::hsum(acc);
        for v in &blk[body..] {
            s += v * 0.0;
        }
        if s.is_nan() {
            return blk.iter().position(|v| !v.is_finite()).map(|i| b * BLOCK + i);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;

    #[test]
    fn finds_the_first_nan_or_infinity_in_body_tail_and_later_blocks() {
        let n = 2 * BLOCK + 7;
        let clean: Vec<f32> = (0..n).map(|i| (i as f32 - 900.0) * 1e30).map(|v| v.clamp(-f32::MAX, f32::MAX)).collect();
        assert_eq!(first_nonfinite::<Scalar4>(&clean), None);
        assert_eq!(first_nonfinite::<Scalar4>(&[]), None);
        for (at, bad) in [
            (0, f32::NAN),
            (5, f32::INFINITY),
            (BLOCK + 3, f32::NEG_INFINITY),
            (n - 1, f32::NAN),
            (n - 5, f32::INFINITY),
        ] {
            let mut x = clean.clone();
            x[at] = bad;
            if at + 9 < n {
                x[at + 9] = f32::NAN; // a later one does not hide the first
            }
            assert_eq!(first_nonfinite::<Scalar4>(&x), Some(at), "{bad} at {at}");
        }
        // f32::MAX * 0 = 0: the largest finite values are finite
        assert_eq!(first_nonfinite::<Scalar4>(&[f32::MAX, -f32::MAX, f32::MIN_POSITIVE, 1e-45]), None);
    }
}
