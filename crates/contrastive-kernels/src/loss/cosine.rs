//! Cosine-similarity matrix: C = a^ b^T with x^ = x / max(||x||, EPS) row-wise (b = a when absent).

use super::normalize;
use crate::gemm::{gemm, Packs, Strided};
use crate::simd::Isa;
use crate::{try_vec, Oom, Scratch};

fn unit<I: Isa>(x: &[f32], rows: usize, d: usize) -> Result<Scratch, Oom> {
    let mut u = try_vec(rows * d)?;
    let mut inv = try_vec(rows)?;
    let mut clamped = vec![false; rows];
    normalize::forward::<I>(x, rows, d, &mut u, &mut inv, &mut clamped);
    Ok(u)
}

/// `out`: ra x rb, overwritten.
pub fn cosine<I: Isa>(a: &[f32], ra: usize, b: Option<(&[f32], usize)>, d: usize, out: &mut [f32]) -> Result<(), Oom> {
    let ua = unit::<I>(a, ra, d)?;
    let ub;
    let (yb, rb) = match b {
        Some((b, rb)) => {
            ub = unit::<I>(b, rb, d)?;
            (&ub[..], rb)
        }
        None => (&ua[..], ra),
    };
    out[..ra * rb].fill(0.0);
    let mut packs = Packs::new()?;
    gemm::<I>(ra, rb, d, Strided::rows(&ua, d), Strided::transposed(yb, d), out, rb, &mut packs);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;

    #[test]
    fn self_similarity_has_unit_diagonal_and_is_symmetric() {
        let a = crate::loss::oracle::rand_rows(7, 5, 9);
        let mut c = vec![0.0f32; 49];
        cosine::<Scalar4>(&a, 7, None, 5, &mut c).unwrap();
        for i in 0..7 {
            assert!((c[i * 8] - 1.0).abs() < 1e-6);
            for j in 0..7 {
                assert!((c[i * 7 + j] - c[j * 7 + i]).abs() < 1e-6);
            }
        }
    }
}
