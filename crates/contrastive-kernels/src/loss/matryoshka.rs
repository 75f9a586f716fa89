//! MatryoshkaLoss (Kusupati et al. 2022; sentence-transformers' MatryoshkaLoss): a base loss
//! applied to nested prefixes of the embeddings and summed with weights.
//!
//!   L = sum_m w_m L_base(x[:, :d_m], ...)       (each prefix is renormalized by the base loss)
//!   dL/dx[:, k] = sum_{m: k < d_m} w_m dL_base,m / dx[:, k]      (exact: prefixes share columns)
//!   dL/dtau = sum_m w_m dL_base,m / dtau
//!
//! Each prefix is copied into contiguous scratch (rows x d_m), the base loss runs on it, and its
//! gradient is added, times w_m, into the first d_m columns of the full gradient.

use super::LossOut;
use crate::{try_vec, Oom, Scratch};

/// `inputs`: (rows x d) matrices; `dims`/`weights`: the prefixes (each 1..=d) and their weights,
/// empty = the base loss on the full d. `base(inputs, dm, grads)` computes one prefix's loss and
/// overwrites `grads` (same shapes as its inputs) when given.
pub fn matryoshka<F>(
    inputs: &[&[f32]],
    d: usize,
    dims: &[u32],
    weights: &[f32],
    grads: Option<&mut [&mut [f32]]>,
    mut base: F,
) -> Result<LossOut, Oom>
where
    F: FnMut(&[&[f32]], usize, Option<&mut [&mut [f32]]>) -> Result<LossOut, Oom>,
{
    if dims.is_empty() {
        return base(inputs, d, grads);
    }
    let mut grads = grads;
    if let Some(g) = grads.as_mut() {
        g.iter_mut().for_each(|v| v.fill(0.0));
    }
    let mut total = LossOut::default();
    for (&dm, &w) in dims.iter().zip(weights) {
        let dm = dm as usize;
        let mut pre: Vec<Scratch> = Vec::with_capacity(inputs.len());
        for x in inputs {
            let rows = x.len() / d;
            let mut p = try_vec(rows * dm)?;
            for r in 0..rows {
                p[r * dm..(r + 1) * dm].copy_from_slice(&x[r * d..r * d + dm]);
            }
            pre.push(p);
        }
        let views: Vec<&[f32]> = pre.iter().map(|p| &p[..]).collect();
        let out = match grads.as_mut() {
            None => base(&views, dm, None)?,
            Some(g) => {
                let mut gs: Vec<Scratch> = Vec::with_capacity(inputs.len());
                for p in &pre {
                    gs.push(try_vec(p.len())?);
                }
                let out = {
                    let mut gv: Vec<&mut [f32]> = gs.iter_mut().map(|s| &mut s[..]).collect();
                    base(&views, dm, Some(&mut gv))?
                };
                for (full, part) in g.iter_mut().zip(&gs) {
                    let rows = part.len() / dm;
                    for r in 0..rows {
                        let dst = &mut full[r * d..r * d + dm];
                        for (o, v) in dst.iter_mut().zip(&part[r * dm..(r + 1) * dm]) {
                            *o += w * v;
                        }
                    }
                }
                out
            }
        };
        total.loss += w as f64 * out.loss;
        total.dtau += w as f64 * out.dtau;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::cosent::cosent;
    use crate::loss::mnrl::mnrl;
    use crate::loss::oracle::rand_rows;
    use crate::loss::sentence_oracle::{check, lse, unit, Loss64};
    use crate::simd::scalar::Scalar4;

    fn prefix(x: &[f64], d: usize, dm: usize) -> Vec<f64> {
        x.chunks(d).flat_map(|r| r[..dm].to_vec()).collect()
    }

    fn mnrl64(x: &[Vec<f64>], n: usize, d: usize, tau: f64) -> f64 {
        let (a, c) = (unit(&x[0], d), unit(&x[1], d));
        let cols = c.len() / d;
        let mut l = 0.0;
        for i in 0..n {
            let row: Vec<f64> =
                (0..cols).map(|j| (0..d).map(|k| a[i * d + k] * c[j * d + k]).sum::<f64>() / tau).collect();
            l += lse(&row) - row[i];
        }
        l / n as f64
    }

    #[test]
    fn nested_prefix_losses_sum_with_their_weights_and_exact_gradients() {
        let (n, h, d) = (6usize, 1usize, 24usize);
        let dims = [24u32, 12, 5, 1];
        let weights = [1.0f32, 0.5, 2.0, 0.25];
        let a = rand_rows(n, d, 3);
        let c = rand_rows((1 + h) * n, d, 4);
        let (mut ga, mut gc) = (vec![0.0f32; a.len()], vec![0.0f32; c.len()]);
        let out = {
            let mut g: [&mut [f32]; 2] = [&mut ga, &mut gc];
            matryoshka(&[&a, &c], d, &dims, &weights, Some(&mut g), |x, dm, g| match g {
                None => mnrl::<Scalar4>(x[0], x[1], n, h, dm, 0.05, false, None),
                Some(g) => {
                    let (g0, g1) = g.split_at_mut(1);
                    mnrl::<Scalar4>(x[0], x[1], n, h, dm, 0.05, false, Some((&mut *g0[0], &mut *g1[0])))
                }
            })
            .unwrap()
        };
        let f: Loss64 = &|x, t| {
            dims.iter()
                .zip(&weights)
                .map(|(&dm, &w)| {
                    let p = [prefix(&x[0], d, dm as usize), prefix(&x[1], d, dm as usize)];
                    w as f64 * mnrl64(&p, n, dm as usize, t)
                })
                .sum()
        };
        check(f, &[&a, &c], d, 0.05, out, &[&ga, &gc]);
    }

    #[test]
    fn no_dims_is_the_base_loss_itself() {
        let (n, d) = (4usize, 6usize);
        let a = rand_rows(n, d, 8);
        let b = rand_rows(n, d, 9);
        let y = [0.1f32, 0.9, 0.4, 0.4];
        let plain = cosent::<Scalar4>(&a, &b, &y, n, d, 0.05, None).unwrap();
        let wrapped = matryoshka(&[&a, &b], d, &[], &[], None, |x, dm, _| cosent::<Scalar4>(x[0], x[1], &y, n, dm, 0.05, None)).unwrap();
        assert_eq!(plain, wrapped);
    }
}
