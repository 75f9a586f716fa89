//! The join of a residual block: y = a + b (the branch and the shortcut), or y = max(a + b, 0)
//! with the block's closing ReLU fused in. Backward needs no kernel of its own: the ReLU's
//! gradient is dy [y > 0] (y > 0 exactly when a + b > 0), and both branches receive it.
//! Elementwise, so the split over the thread pool (blocks of 4096 elements) gives the same bits
//! for any thread count.

use crate::par::{self, SharedMut};

const BLOCK: usize = 4096;

fn add_block(a: &[f32], b: &[f32], y: &mut [f32], relu: bool) {
    if relu {
        for ((d, x), z) in y.iter_mut().zip(a).zip(b) {
            let s = x + z;
            // NaN stays NaN (the TS side rejects non-finite inputs before they get here)
            *d = if s > 0.0 || s.is_nan() { s } else { 0.0 };
        }
    } else {
        for ((d, x), z) in y.iter_mut().zip(a).zip(b) {
            *d = x + z;
        }
    }
}

/// y = a + b, then max(., 0) when `relu`. All three have the same length.
pub fn add(a: &[f32], b: &[f32], y: &mut [f32], relu: bool) {
    let n = y.len().min(a.len()).min(b.len());
    let blocks = n.div_ceil(BLOCK);
    let ys = SharedMut::new(&mut y[..n]);
    par::items(blocks, 3 * n, &|i| {
        let (lo, hi) = (i * BLOCK, ((i + 1) * BLOCK).min(n));
        // SAFETY: block i's elements of y.
        add_block(&a[lo..hi], &b[lo..hi], unsafe { ys.part(lo, hi - lo) }, relu);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_relu_is_max_of_the_sum_and_zero() {
        let a = [1.0, -2.0, 0.5, -0.25, 3.0];
        let b = [-0.5, 1.0, -0.5, 0.0, 0.0];
        let mut y = [9.0; 5];
        add(&a, &b, &mut y, true);
        assert_eq!(y, [0.5, 0.0, 0.0, 0.0, 3.0]);
        add(&a, &b, &mut y, false);
        assert_eq!(y, [0.5, -1.0, 0.0, -0.25, 3.0]);
    }

    #[test]
    fn blocks_cover_lengths_that_are_not_a_multiple_of_the_block() {
        let n = 3 * BLOCK + 17;
        let a: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..n).map(|i| -(i as f32) / 2.0).collect();
        let mut y = vec![0.0; n];
        add(&a, &b, &mut y, false);
        assert!(y.iter().enumerate().all(|(i, v)| *v == i as f32 / 2.0));
    }
}
