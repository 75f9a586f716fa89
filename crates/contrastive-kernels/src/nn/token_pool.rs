//! Pooling of token embeddings x (b x s x d) under an attention mask m (b x s, 1 = token,
//! 0 = padding) into one vector per sequence (sentence-transformers' Pooling module):
//!   CLS:  y_b = x_{b,0}
//!   mean: y_b = sum_s m_bs x_bs / max(sum_s m_bs, 1e-9)   (a fully masked row gives 0)
//!   max:  y_b = max over {s : m_bs != 0} of x_bs, per feature (a fully masked row gives 0)
//! Backward: CLS routes dy_b to position 0; mean gives dx_bs = m_bs dy_b / max(sum m, 1e-9);
//! max routes dy_b to the first position holding the maximum (saved as `arg`).

use crate::loss::normalize::axpy;
use crate::simd::Isa;

pub const CLS: u32 = 0;
pub const MEAN: u32 = 1;
pub const MAX: u32 = 2;

/// The clamp of the token count (sentence-transformers: `torch.clamp(sum_mask, min=1e-9)`).
const MIN_COUNT: f32 = 1e-9;

fn count(m: &[f32]) -> f32 {
    m.iter().sum::<f32>().max(MIN_COUNT)
}

/// y (b x d). `arg` (b x d) receives the max positions (kind MAX only; may be empty otherwise).
#[allow(clippy::too_many_arguments)]
pub fn forward<I: Isa>(kind: u32, x: &[f32], b: usize, s: usize, d: usize, mask: &[f32], y: &mut [f32], arg: &mut [u32]) {
    for bi in 0..b {
        let xb = &x[bi * s * d..(bi + 1) * s * d];
        let mb = &mask[bi * s..(bi + 1) * s];
        let yb = &mut y[bi * d..(bi + 1) * d];
        match kind {
            CLS => yb.copy_from_slice(&xb[..d]),
            MEAN => {
                yb.fill(0.0);
                let inv = 1.0 / count(mb);
                for (si, &mv) in mb.iter().enumerate() {
                    if mv != 0.0 {
                        axpy::<I>(mv * inv, &xb[si * d..(si + 1) * d], yb);
                    }
                }
            }
            _ => {
                let ab = &mut arg[bi * d..(bi + 1) * d];
                let mut first = true;
                for (si, &mv) in mb.iter().enumerate() {
                    if mv == 0.0 {
                        continue;
                    }
                    let row = &xb[si * d..(si + 1) * d];
                    for j in 0..d {
                        if first || row[j] > yb[j] {
                            yb[j] = row[j];
                            ab[j] = si as u32;
                        }
                    }
                    first = false;
                }
                if first {
                    yb.fill(0.0);
                    ab.fill(u32::MAX);
                }
            }
        }
    }
}

/// dx (b x s x d, overwritten) from dy (b x d).
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(kind: u32, dy: &[f32], b: usize, s: usize, d: usize, mask: &[f32], arg: &[u32], dx: &mut [f32]) {
    dx[..b * s * d].fill(0.0);
    for bi in 0..b {
        let g = &dy[bi * d..(bi + 1) * d];
        let mb = &mask[bi * s..(bi + 1) * s];
        let xb = &mut dx[bi * s * d..(bi + 1) * s * d];
        match kind {
            CLS => xb[..d].copy_from_slice(g),
            MEAN => {
                let inv = 1.0 / count(mb);
                for (si, &mv) in mb.iter().enumerate() {
                    if mv != 0.0 {
                        axpy::<I>(mv * inv, g, &mut xb[si * d..(si + 1) * d]);
                    }
                }
            }
            _ => {
                for j in 0..d {
                    let a = arg[bi * d + j];
                    if (a as usize) < s {
                        xb[a as usize * d + j] += g[j];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn every_kind_matches_finite_differences_with_partly_and_fully_masked_rows() {
        let (b, s, d) = (3usize, 5usize, 6usize);
        let x = randv(b * s * d, 5);
        let dy = randv(b * d, 6);
        let mask = [1.0, 1.0, 1.0, 0.0, 0.0, /**/ 0.0, 1.0, 0.0, 0.0, 0.0, /**/ 0.0, 0.0, 0.0, 0.0, 0.0];
        for kind in [CLS, MEAN, MAX] {
            let f = |x: &[f32]| {
                let (mut y, mut arg) = (vec![0.0; b * d], vec![0u32; b * d]);
                forward::<Scalar4>(kind, x, b, s, d, &mask, &mut y, &mut arg);
                y.iter().zip(&dy).map(|(a, g)| *a as f64 * *g as f64).sum::<f64>()
            };
            let (mut y, mut arg) = (vec![0.0; b * d], vec![0u32; b * d]);
            forward::<Scalar4>(kind, &x, b, s, d, &mask, &mut y, &mut arg);
            assert!(y.iter().all(|v| v.is_finite()));
            if kind != CLS {
                assert!(y[2 * d..].iter().all(|v| *v == 0.0), "a fully masked row pools to 0");
            }
            let mut dx = vec![0.0; b * s * d];
            backward::<Scalar4>(kind, &dy, b, s, d, &mask, &arg, &mut dx);
            check_grad(&x, &dx, f, "dx");
        }
    }
}
