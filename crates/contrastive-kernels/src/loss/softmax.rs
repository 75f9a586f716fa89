//! Softmax cross-entropy over class logits (the linear probe's loss).
//!   L = 1/n sum_i [ lse_c z_ic - z_{i,y_i} ],   dL/dz_ic = (softmax(z_i)_c - [c = y_i]) / n.

use crate::simd::exp_f32;

/// `logits`: n x c; `labels[i] < c`. `grad` (n x c), when given, is overwritten with dL/dz.
/// Returns the mean loss.
pub fn softmax_xent(logits: &[f32], n: usize, c: usize, labels: &[u32], mut grad: Option<&mut [f32]>) -> f64 {
    let mut loss = 0.0f64;
    let inv_n = 1.0 / n as f32;
    for i in 0..n {
        let z = &logits[i * c..(i + 1) * c];
        let m = z.iter().fold(f32::NEG_INFINITY, |a, &v| a.max(v));
        let s: f32 = z.iter().map(|&v| exp_f32(v - m)).sum();
        let y = labels[i] as usize;
        loss += (m + s.ln() - z[y]) as f64;
        if let Some(g) = grad.as_deref_mut() {
            let gi = &mut g[i * c..(i + 1) * c];
            for (o, &v) in gi.iter_mut().zip(z) {
                *o = exp_f32(v - m) / s * inv_n;
            }
            gi[y] -= inv_n;
        }
    }
    loss / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_finite_differences_and_survives_huge_logits() {
        let z = vec![1.0f32, -2.0, 0.5, 1000.0, 999.0, -1000.0];
        let labels = [2u32, 1];
        let mut g = vec![0.0f32; 6];
        let l = softmax_xent(&z, 2, 3, &labels, Some(&mut g));
        assert!(l.is_finite());
        for e in 0..6 {
            let h = 1e-2f32;
            let mut zp = z.clone();
            zp[e] += h;
            let mut zm = z.clone();
            zm[e] -= h;
            let fd =
                (softmax_xent(&zp, 2, 3, &labels, None) - softmax_xent(&zm, 2, 3, &labels, None)) / (2.0 * h as f64);
            assert!((g[e] as f64 - fd).abs() < 1e-3, "entry {e}: {} vs {fd}", g[e]);
        }
    }
}
