//! ContrastiveLoss (Hadsell et al. 2006; sentence-transformers' ContrastiveLoss with its default
//! cosine distance) for labelled pairs.
//!
//!   dist_i = 1 - cos(a_i, b_i)
//!   L = 1/n sum_i 0.5 [ y_i dist_i^2 + (1 - y_i) max(0, margin - dist_i)^2 ]
//!
//! y_i is 1 for a similar pair, 0 for a dissimilar one (values between weight the two terms).
//!   dL/dcos_i = -(1/n) [ y_i dist_i - (1 - y_i) max(0, margin - dist_i) ]
//! There is no temperature: d L / d tau is 0.

use super::mnrl::Normed;
use super::normalize::{axpy, dot};
use super::LossOut;
use crate::simd::Isa;
use crate::Oom;

/// `a`, `b`: n x d; `y`: n labels. `grads`: (dL/da, dL/db), overwritten.
pub fn pair_margin<I: Isa>(
    a: &[f32],
    b: &[f32],
    y: &[f32],
    n: usize,
    d: usize,
    margin: f32,
    grads: Option<(&mut [f32], &mut [f32])>,
) -> Result<LossOut, Oom> {
    let an = Normed::new::<I>(a, n, d)?;
    let bn = Normed::new::<I>(b, n, d)?;
    let m = margin as f64;
    let mut loss = 0.0f64;
    let mut dcos = vec![0.0f32; n];
    for i in 0..n {
        let c = dot::<I>(&an.u[i * d..(i + 1) * d], &bn.u[i * d..(i + 1) * d]) as f64;
        let dist = 1.0 - c;
        let yi = y[i] as f64;
        let hinge = (m - dist).max(0.0);
        loss += 0.5 * (yi * dist * dist + (1.0 - yi) * hinge * hinge);
        dcos[i] = (-(yi * dist - (1.0 - yi) * hinge) / n as f64) as f32;
    }
    if let Some((ga, gb)) = grads {
        ga.fill(0.0);
        gb.fill(0.0);
        for i in 0..n {
            axpy::<I>(dcos[i], &bn.u[i * d..(i + 1) * d], &mut ga[i * d..(i + 1) * d]);
            axpy::<I>(dcos[i], &an.u[i * d..(i + 1) * d], &mut gb[i * d..(i + 1) * d]);
        }
        an.backward::<I>(ga, d);
        bn.backward::<I>(gb, d);
    }
    Ok(LossOut { loss: loss / n as f64, dtau: 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::oracle::rand_rows;
    use crate::loss::sentence_oracle::{check_opt, unit, Loss64};
    use crate::simd::scalar::Scalar4;

    pub(crate) fn pair64(x: &[Vec<f64>], y: &[f32], d: usize, margin: f64) -> f64 {
        let (a, b) = (unit(&x[0], d), unit(&x[1], d));
        let n = y.len();
        let mut l = 0.0;
        for i in 0..n {
            let dist = 1.0 - (0..d).map(|k| a[i * d + k] * b[i * d + k]).sum::<f64>();
            let yi = y[i] as f64;
            l += 0.5 * (yi * dist * dist + (1.0 - yi) * (margin - dist).max(0.0).powi(2));
        }
        l / n as f64
    }

    #[test]
    fn similar_and_dissimilar_pairs_match_the_definition_and_finite_differences() {
        for &d in &[1usize, 5, 40] {
            for &margin in &[0.5f32, 1.5] {
                let y = [1.0f32, 0.0, 0.0, 1.0, 0.0, 0.3];
                let n = y.len();
                let a = rand_rows(n, d, (d * 3 + 1) as u64);
                let b = rand_rows(n, d, (d * 5 + 2) as u64);
                let (mut ga, mut gb) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
                let out = pair_margin::<Scalar4>(&a, &b, &y, n, d, margin, Some((&mut ga, &mut gb))).unwrap();
                let f: Loss64 = &|x, _| pair64(x, &y, d, margin as f64);
                check_opt(f, &[&a, &b], d, 1.0, out, &[&ga, &gb], false);
            }
        }
    }

    #[test]
    fn a_dissimilar_pair_beyond_the_margin_contributes_nothing() {
        let d = 2;
        let a = [1.0f32, 0.0];
        let b = [-1.0f32, 0.0]; // distance 2 > margin
        let (mut ga, mut gb) = ([9.0f32; 2], [9.0f32; 2]);
        let out = pair_margin::<Scalar4>(&a, &b, &[0.0], 1, d, 0.5, Some((&mut ga, &mut gb))).unwrap();
        assert_eq!(out.loss, 0.0);
        assert!(ga.iter().chain(&gb).all(|v| *v == 0.0));
    }
}
