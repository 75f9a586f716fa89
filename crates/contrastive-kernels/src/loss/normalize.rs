//! Row L2 normalization and its backward pass.
//!
//! Forward (as torch.nn.functional.normalize): u_i = z_i / max(||z_i||, EPS).
//! Backward: with g_i = dL/du_i and n_i = ||z_i||,
//!   dL/dz_i = (g_i - (g_i . u_i) u_i) / n_i     when n_i >= EPS,
//!   dL/dz_i = g_i / EPS                          when n_i < EPS (the map is linear there).
//! The norm is computed without overflow or underflow for any finite row: when the plain
//! sum of squares leaves the safe range, the row is rescaled by its largest magnitude first.

use crate::simd::Isa;

/// The clamp of the norm, torch's default for F.normalize.
pub const EPS: f32 = 1e-12;

/// Euclidean norm of a row, safe for |x| up to f32::MAX. A sum of squares that underflows
/// means a norm below ~1e-19, far under EPS, where only "clamped" matters; so only overflow
/// needs the slow path (rescale by the largest magnitude, which is then >= ~1e19).
pub fn row_norm<I: Isa>(x: &[f32]) -> f32 {
    let ss = dot::<I>(x, x);
    if ss.is_finite() {
        return ss.sqrt();
    }
    let m = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    let inv = 1.0 / m;
    let s: f32 = x.iter().map(|v| (v * inv) * (v * inv)).sum();
    m * s.sqrt()
}

/// Dot product of two equal-length slices (4 vector accumulators, scalar tail).
#[inline]
pub fn dot<I: Isa>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len();
    let body = n - n % 16;
    let z = I::splat(0.0);
    let (mut s0, mut s1, mut s2, mut s3) = (z, z, z, z);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut i = 0;
    // SAFETY: i + 16 <= body <= n for both slices.
    unsafe {
        while i < body {
            s0 = I::madd(I::load(pa.add(i)), I::load(pb.add(i)), s0);
            s1 = I::madd(I::load(pa.add(i + 4)), I::load(pb.add(i + 4)), s1);
            s2 = I::madd(I::load(pa.add(i + 8)), I::load(pb.add(i + 8)), s2);
            s3 = I::madd(I::load(pa.add(i + 12)), I::load(pb.add(i + 12)), s3);
            i += 16;
        }
    }
    let mut s = I::hsum(I::add(I::add(s0, s1), I::add(s2, s3)));
    while i < n {
        s += a[i] * b[i];
        i += 1;
    }
    s
}

/// y += alpha * x
#[inline]
pub fn axpy<I: Isa>(alpha: f32, x: &[f32], y: &mut [f32]) {
    let n = x.len().min(y.len());
    let body = n - n % 4;
    let va = I::splat(alpha);
    let (px, py) = (x.as_ptr(), y.as_mut_ptr());
    let mut i = 0;
    unsafe {
        while i < body {
            I::store(py.add(i), I::madd(va, I::load(px.add(i)), I::load(py.add(i))));
            i += 4;
        }
    }
    while i < n {
        y[i] += alpha * x[i];
        i += 1;
    }
}

/// x = normalize(x) row by row, in place: the values [`forward`] writes into `u`.
pub fn unit_rows<I: Isa>(x: &mut [f32], rows: usize, d: usize) {
    for i in 0..rows {
        let xi = &mut x[i * d..(i + 1) * d];
        let n = row_norm::<I>(xi);
        let s = if n >= EPS { 1.0 / n } else { 1.0 / EPS };
        for v in xi.iter_mut() {
            *v *= s;
        }
    }
}

/// u = normalize(z) row by row; `inv[i]` = 1 / max(||z_i||, EPS) and `clamped[i]` records
/// whether the clamp was active (the backward pass differs there).
pub fn forward<I: Isa>(z: &[f32], rows: usize, d: usize, u: &mut [f32], inv: &mut [f32], clamped: &mut [bool]) {
    for i in 0..rows {
        let zi = &z[i * d..(i + 1) * d];
        let n = row_norm::<I>(zi);
        let (s, c) = if n >= EPS { (1.0 / n, false) } else { (1.0 / EPS, true) };
        inv[i] = s;
        clamped[i] = c;
        let ui = &mut u[i * d..(i + 1) * d];
        for (o, v) in ui.iter_mut().zip(zi) {
            *o = v * s;
        }
    }
}

/// In place: g (= dL/du on entry) becomes dL/dz.
pub fn backward<I: Isa>(g: &mut [f32], u: &[f32], rows: usize, d: usize, inv: &[f32], clamped: &[bool]) {
    for i in 0..rows {
        let gi = &mut g[i * d..(i + 1) * d];
        let s = inv[i];
        if clamped[i] {
            for v in gi.iter_mut() {
                *v *= s;
            }
            continue;
        }
        let ui = &u[i * d..(i + 1) * d];
        let proj = dot::<I>(gi, ui);
        for (gv, uv) in gi.iter_mut().zip(ui) {
            *gv = (*gv - proj * uv) * s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;

    #[test]
    fn norm_of_huge_and_tiny_rows_neither_overflows_nor_underflows() {
        let big = vec![3e30f32, 4e30];
        assert!((row_norm::<Scalar4>(&big) / 5e30 - 1.0).abs() < 1e-6);
        let max = vec![f32::MAX, f32::MAX];
        assert!(
            (row_norm::<Scalar4>(&max) / f32::MAX - 2f32.sqrt()).abs() < 1e-6
                || row_norm::<Scalar4>(&max).is_infinite()
        );
        // below EPS the exact value does not matter, only that it is under the clamp
        for tiny in [vec![3e-30f32, 4e-30], vec![1e-39f32, 2e-39, 1e-45]] {
            assert!(row_norm::<Scalar4>(&tiny) < EPS);
        }
        let small = vec![3e-12f32, 4e-12];
        assert!((row_norm::<Scalar4>(&small) / 5e-12 - 1.0).abs() < 1e-5);
        assert_eq!(row_norm::<Scalar4>(&[0.0, 0.0, 0.0]), 0.0);
    }

    #[test]
    fn zero_row_uses_the_clamp_and_stays_finite() {
        let z = vec![0.0f32; 5];
        let mut u = vec![1.0f32; 5];
        let (mut inv, mut cl) = (vec![0.0f32; 1], vec![false; 1]);
        forward::<Scalar4>(&z, 1, 5, &mut u, &mut inv, &mut cl);
        assert!(cl[0]);
        assert!(u.iter().all(|v| *v == 0.0));
        let mut g = vec![1e-3f32; 5];
        backward::<Scalar4>(&mut g, &u, 1, 5, &inv, &cl);
        assert!(g.iter().all(|v| v.is_finite() && (*v - 1e9).abs() < 1e3));
    }

    #[test]
    fn dot_and_axpy_tails_match_plain_loops() {
        for n in [0usize, 1, 3, 5, 15, 16, 17, 33] {
            let a: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 3.0).collect();
            let b: Vec<f32> = (0..n).map(|i| 1.0 / (i as f32 + 1.0)).collect();
            let want: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot::<Scalar4>(&a, &b) - want).abs() < 1e-5);
            let mut y = b.clone();
            axpy::<Scalar4>(2.0, &a, &mut y);
            for i in 0..n {
                assert_eq!(y[i], b[i] + 2.0 * a[i]);
            }
        }
    }
}
