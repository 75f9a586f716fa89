//! Linear (nn.Linear): y = x W^T + b with x (n x in), W (out x in, PyTorch layout), b (out).
//! Backward: dx = dy W, dW += dy^T x, db += sum over rows of dy. All three products run on the
//! packed GEMM through strided views (NT, NN and TN), so no transpose is ever materialized.

use crate::gemm::{gemm, Packs, Strided};
use crate::simd::Isa;
use crate::Oom;

/// y (n x out) = x W^T + b.
pub fn forward<I: Isa>(
    x: &[f32],
    n: usize,
    din: usize,
    w: &[f32],
    dout: usize,
    b: Option<&[f32]>,
    y: &mut [f32],
) -> Result<(), Oom> {
    let y = &mut y[..n * dout];
    match b {
        Some(b) => y.chunks_exact_mut(dout).for_each(|r| r.copy_from_slice(&b[..dout])),
        None => y.fill(0.0),
    }
    let mut packs = Packs::new()?;
    gemm::<I>(n, dout, din, Strided::rows(x, din), Strided::transposed(w, din), y, dout, &mut packs);
    Ok(())
}

/// dx = dy W (overwritten, when asked for); dW += dy^T x; db += colsum(dy).
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(
    x: &[f32],
    n: usize,
    din: usize,
    w: &[f32],
    dout: usize,
    dy: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
) -> Result<(), Oom> {
    let mut packs = Packs::new()?;
    if let Some(dx) = dx {
        let dx = &mut dx[..n * din];
        dx.fill(0.0);
        gemm::<I>(n, din, dout, Strided::rows(dy, dout), Strided::rows(w, din), dx, din, &mut packs);
    }
    gemm::<I>(dout, din, n, Strided::transposed(dy, dout), Strided::rows(x, din), dw, din, &mut packs);
    if let Some(db) = db {
        for r in dy[..n * dout].chunks_exact(dout) {
            for (g, v) in db.iter_mut().zip(r) {
                *g += v;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn hand_example_from_the_reference() {
        let x = [1.0, 2.0, 3.0, -1.0, 0.0, 2.0];
        let w = [1.0, 0.0, -1.0, 2.0, 1.0, 0.0];
        let b = [0.5, -1.0];
        let dy = [1.0, -1.0, 2.0, 0.5];
        let mut y = [0.0; 4];
        forward::<Scalar4>(&x, 2, 3, &w, 2, Some(&b), &mut y).unwrap();
        assert_eq!(y, [-1.5, 3.0, -2.5, -3.0]);
        let (mut dx, mut dw, mut db) = ([0.0; 6], [0.0; 6], [0.0; 2]);
        backward::<Scalar4>(&x, 2, 3, &w, 2, &dy, Some(&mut dx), &mut dw, Some(&mut db)).unwrap();
        assert_eq!(dx, [-1.0, -1.0, -1.0, 3.0, 0.5, -2.0]);
        assert_eq!(dw, [-1.0, 2.0, 7.0, -1.5, -2.0, -2.0]);
        assert_eq!(db, [3.0, -0.5]);
    }

    #[test]
    fn backward_matches_finite_differences_on_odd_sizes() {
        for &(n, din, dout) in &[(1usize, 1usize, 1usize), (3, 17, 5), (5, 9, 13)] {
            let x = randv(n * din, 1);
            let w = randv(dout * din, 2);
            let b = randv(dout, 3);
            let dy = randv(n * dout, 4);
            let f = |x: &[f32], w: &[f32], b: &[f32]| {
                let mut y = vec![0.0; n * dout];
                forward::<Scalar4>(x, n, din, w, dout, Some(b), &mut y).unwrap();
                y.iter().zip(&dy).map(|(a, b)| (*a as f64) * (*b as f64)).sum::<f64>()
            };
            let (mut dx, mut dw, mut db) = (vec![0.0; n * din], vec![0.0; dout * din], vec![0.0; dout]);
            backward::<Scalar4>(&x, n, din, &w, dout, &dy, Some(&mut dx), &mut dw, Some(&mut db)).unwrap();
            check_grad(&x, &dx, |v| f(v, &w, &b), "dx");
            check_grad(&w, &dw, |v| f(&x, v, &b), "dw");
            check_grad(&b, &db, |v| f(&x, &w, v), "db");
        }
    }
}
