//! Embedding (nn.Embedding): a table W (vocab x dim) and a lookup y_i = W[id_i].
//!
//! Backward is a scatter-add of rows: dW[id_i] += dy_i for every position i whose id is not the
//! padding index (PyTorch: the padding row never receives gradient). Only the rows that occur in
//! the batch are written, and they are recorded in a row list (`rows`, with a per-row `mark`
//! byte so a row is listed once however often it occurs and across backward calls), so that
//! zeroing the gradient and the optimizers that are exact on touched rows only (SGD without
//! momentum or weight decay; SparseAdam) cost O(touched rows x dim), not O(vocab x dim).
//!
//! SparseAdam (torch.optim.SparseAdam) on the touched rows, at the parameter's step t:
//!   m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
//!   p <- p - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
//! Rows not in the batch keep their value and their moments (a lazy update, as in PyTorch).

use crate::loss::normalize::axpy;
use crate::simd::Isa;

/// y (n x dim) = W[ids]. `Err(i)`: ids[i] >= vocab (nothing is guaranteed written then).
pub fn forward(w: &[f32], vocab: usize, dim: usize, ids: &[u32], y: &mut [f32]) -> Result<(), usize> {
    if let Some(i) = ids.iter().position(|&id| id as usize >= vocab) {
        return Err(i);
    }
    for (o, &id) in y.chunks_exact_mut(dim).zip(ids) {
        let r = id as usize * dim;
        o.copy_from_slice(&w[r..r + dim]);
    }
    Ok(())
}

/// The touched-row bookkeeping of one table's gradient.
pub struct Rows<'a> {
    /// One byte per vocabulary row: 1 when the row is in `list`.
    pub mark: &'a mut [u8],
    /// The touched rows, in first-touch order; `len` of them are valid.
    pub list: &'a mut [u32],
    pub len: usize,
}

/// dW[ids[i]] += dy_i for every i with ids[i] != padding and mask[i] != 0 (no mask: all);
/// new rows are appended to `rows`. Ids must be < vocab (the forward checked them).
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(ids: &[u32], dy: &[f32], dim: usize, padding: Option<u32>, mask: Option<&[f32]>, dw: &mut [f32], rows: &mut Rows) {
    for (i, (g, &id)) in dy.chunks_exact(dim).zip(ids).enumerate() {
        if Some(id) == padding || mask.is_some_and(|m| m[i] == 0.0) {
            continue;
        }
        let r = id as usize;
        if rows.mark[r] == 0 {
            rows.mark[r] = 1;
            rows.list[rows.len] = id;
            rows.len += 1;
        }
        axpy::<I>(1.0, g, &mut dw[r * dim..(r + 1) * dim]);
    }
}

/// Zeroes the gradient rows in `list` and clears their marks.
pub fn zero_rows(dw: &mut [f32], dim: usize, mark: &mut [u8], list: &[u32]) {
    for &r in list {
        let r = r as usize;
        dw[r * dim..(r + 1) * dim].fill(0.0);
        mark[r] = 0;
    }
}

/// p[r] -= lr g[r] for the rows in `list` (SGD without momentum or weight decay: exact, since
/// the other rows have a zero gradient).
pub fn sgd_rows<I: Isa>(p: &mut [f32], g: &[f32], dim: usize, list: &[u32], lr: f32) {
    for &r in list {
        let o = r as usize * dim;
        axpy::<I>(-lr, &g[o..o + dim], &mut p[o..o + dim]);
    }
}

/// torch.optim.SparseAdam on the rows in `list` (formula in the module header); t >= 1.
#[allow(clippy::too_many_arguments)]
pub fn sparse_adam_rows(
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    dim: usize,
    list: &[u32],
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    t: u32,
) {
    let bc1 = 1.0 - (b1 as f64).powi(t as i32);
    let bc2 = 1.0 - (b2 as f64).powi(t as i32);
    let step = (lr as f64 * bc2.sqrt() / bc1) as f32;
    for &r in list {
        let o = r as usize * dim;
        for i in o..o + dim {
            let gi = g[i];
            m[i] = b1 * m[i] + (1.0 - b1) * gi;
            v[i] = b2 * v[i] + (1.0 - b2) * gi * gi;
            p[i] -= step * m[i] / (v[i].sqrt() + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};
    use crate::simd::scalar::Scalar4;

    #[test]
    fn an_out_of_range_id_is_reported_at_its_position() {
        let w = randv(4 * 3, 1);
        let mut y = vec![0.0; 9];
        assert_eq!(forward(&w, 4, 3, &[0, 3, 4], &mut y), Err(2));
        assert_eq!(forward(&w, 4, 3, &[0, 3, 1], &mut y), Ok(()));
        assert_eq!(&y[3..6], &w[9..12]);
    }

    #[test]
    fn backward_matches_finite_differences_and_skips_the_padding_row() {
        let (vocab, dim) = (7usize, 5usize);
        let ids = [3u32, 0, 3, 6, 0, 2];
        let w = randv(vocab * dim, 2);
        let dy = randv(ids.len() * dim, 3);
        let f = |w: &[f32]| {
            let mut y = vec![0.0; ids.len() * dim];
            forward(w, vocab, dim, &ids, &mut y).unwrap();
            // the padding positions (id 0) do not count: their gradient is dropped
            y.chunks(dim).zip(dy.chunks(dim)).zip(&ids).filter(|(_, &id)| id != 0)
                .map(|((a, b), _)| a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum::<f64>()).sum::<f64>()
        };
        let mut dw = vec![0.0; vocab * dim];
        let (mut mark, mut list) = (vec![0u8; vocab], vec![0u32; vocab]);
        let mut rows = Rows { mark: &mut mark, list: &mut list, len: 0 };
        backward::<Scalar4>(&ids, &dy, dim, Some(0), None, &mut dw, &mut rows);
        let n = rows.len;
        assert_eq!(&list[..n], &[3, 6, 2]);
        assert!(dw[..dim].iter().all(|v| *v == 0.0));
        check_grad(&w, &dw, f, "dW");
        zero_rows(&mut dw, dim, &mut mark, &list[..n]);
        assert!(dw.iter().all(|v| *v == 0.0) && mark.iter().all(|m| *m == 0));
    }
}
