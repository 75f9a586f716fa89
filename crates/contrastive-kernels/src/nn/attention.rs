//! Multi-head self-attention (the BERT layout), streamed over blocks of queries.
//!
//! Fused projection: x (n x hd) -> qkv (n x 3 hd) = [x Wq^T + bq | x Wk^T + bk | x Wv^T + bv],
//! the three PyTorch Linear weights (hd x hd each) writing one buffer (leading dimension 3 hd).
//!
//! Core, per sequence b and head h, with Q, K, V the head's dh columns of qkv, c = 1/sqrt(dh)
//! and m_j the key mask (m_j = 0: key j is padding):
//!   S_ij = c Q_i . K_j,   P_ij = exp(S_ij - L_i) for m_j != 0 (else 0),
//!   L_i = log sum_{j: m_j != 0} exp(S_ij),   O_i = sum_j P_ij V_j.
//! Masked keys are skipped, never set to -inf and exponentiated; a query with no unmasked key
//! gets O_i = 0. Only L (b x heads x s) is kept for the backward pass, which recomputes P block
//! by block; with D_i = dO_i . O_i:
//!   dV_j += sum_i P_ij dO_i,  dP_ij = dO_i . V_j,  dS_ij = P_ij (dP_ij - D_i),
//!   dQ_i = c sum_j dS_ij K_j,  dK_j += c sum_i dS_ij Q_i.
//! Dropout on the probabilities (training, as Hugging Face's attention_probs_dropout_prob): with
//! f_ij = [u_ij >= p] / (1 - p), u_ij the counter-based uniform of (seed, stream, (item s + i) s + j)
//! (nn/dropout.rs's hash), O_i = sum_j P_ij f_ij V_j; backward regenerates f, dV uses P f,
//! dS_ij = P_ij (f_ij dP_ij - D_i) with D_i = dO_i . O_i unchanged.
//! Scratch is two (three with dropout) blocks of QB x s floats per thread: memory O(QB x s),
//! never heads x s x s.
//! The (sequence, head) items are split over the thread pool, each computed the same way
//! whatever thread runs it, so results are bit-identical for any thread count.

use crate::gemm::{gemm, Packs, Strided};
use crate::par::{self, SharedMut};
use crate::simd::{exp_f32, Isa};
use crate::{try_vec, Oom};
use core::sync::atomic::{AtomicBool, Ordering};

/// Queries per streamed block.
pub const QB: usize = 64;

/// The shape of one attention call: `b` sequences of `s` tokens, `heads` heads of `dh` dims.
#[derive(Clone, Copy, Debug)]
pub struct Geom {
    pub b: usize,
    pub s: usize,
    pub heads: usize,
    pub dh: usize,
}

impl Geom {
    fn hd(&self) -> usize {
        self.heads * self.dh
    }
}

/// Dropout on the attention probabilities: rate p in [0, 1) and the RNG key (seed, stream).
#[derive(Clone, Copy, Debug)]
pub struct Drop {
    pub p: f32,
    pub seed: u64,
    pub stream: u64,
}

impl Drop {
    /// The factors f_ij of query row i (of item `it`) for keys 0..s.
    fn row(&self, it: usize, i: usize, s: usize, out: &mut [f32]) {
        let scale = 1.0 / (1.0 - self.p);
        let base = ((it * s + i) * s) as u64;
        for (j, o) in out[..s].iter_mut().enumerate() {
            let u = (crate::nn::dropout::hash(self.seed, self.stream, base + j as u64) >> 40) as f32 * (1.0 / 16_777_216.0);
            *o = if u >= self.p { scale } else { 0.0 };
        }
    }
}

/// Floats of scratch one thread uses (for the memory bound's test).
pub fn scratch_floats(s: usize) -> usize {
    (3 * QB.min(s)).saturating_mul(s).saturating_add(s.saturating_mul(2))
}

/// qkv (n x 3hd) = the three projections of x (n x hd). Biases may be absent.
#[allow(clippy::too_many_arguments)]
pub fn qkv_forward<I: Isa>(x: &[f32], n: usize, hd: usize, w: [&[f32]; 3], b: [Option<&[f32]>; 3], qkv: &mut [f32]) -> Result<(), Oom> {
    let ld = 3 * hd;
    let qkv = &mut qkv[..n * ld];
    for row in qkv.chunks_exact_mut(ld) {
        for p in 0..3 {
            match b[p] {
                Some(bias) => row[p * hd..(p + 1) * hd].copy_from_slice(&bias[..hd]),
                None => row[p * hd..(p + 1) * hd].fill(0.0),
            }
        }
    }
    let mut packs = Packs::new()?;
    for p in 0..3 {
        gemm::<I>(n, hd, hd, Strided::rows(x, hd), Strided::transposed(w[p], hd), &mut qkv[p * hd..], ld, &mut packs);
    }
    Ok(())
}

/// dx = sum_p dqkv_p W_p (overwritten, when given); dW_p += dqkv_p^T x; db_p += colsum dqkv_p.
#[allow(clippy::too_many_arguments)]
pub fn qkv_backward<I: Isa>(
    x: &[f32],
    n: usize,
    hd: usize,
    w: [&[f32]; 3],
    dqkv: &[f32],
    dx: Option<&mut [f32]>,
    dw: [&mut [f32]; 3],
    db: [Option<&mut [f32]>; 3],
) -> Result<(), Oom> {
    let ld = 3 * hd;
    let mut packs = Packs::new()?;
    if let Some(dx) = dx {
        let dx = &mut dx[..n * hd];
        dx.fill(0.0);
        for p in 0..3 {
            let a = Strided { data: &dqkv[p * hd..], rs: ld, cs: 1 };
            gemm::<I>(n, hd, hd, a, Strided::rows(w[p], hd), dx, hd, &mut packs);
        }
    }
    for (p, dwp) in dw.into_iter().enumerate() {
        let a = Strided { data: &dqkv[p * hd..], rs: 1, cs: ld };
        gemm::<I>(hd, hd, n, a, Strided::rows(x, hd), dwp, hd, &mut packs);
    }
    for (p, dbp) in db.into_iter().enumerate() {
        if let Some(dbp) = dbp {
            for r in dqkv[..n * ld].chunks_exact(ld) {
                for (g, v) in dbp.iter_mut().zip(&r[p * hd..(p + 1) * hd]) {
                    *g += v;
                }
            }
        }
    }
    Ok(())
}

/// Softmax of one score row in place under the key mask; returns L (0 when no key is valid).
fn softmax_row(s: &mut [f32], mask: &[f32], c: f32) -> f32 {
    let mut m = f32::NEG_INFINITY;
    for (v, &k) in s.iter().zip(mask) {
        if k != 0.0 {
            m = m.max(*v * c);
        }
    }
    if m == f32::NEG_INFINITY {
        s.fill(0.0);
        return 0.0;
    }
    let mut sum = 0.0f32;
    for (v, &k) in s.iter_mut().zip(mask) {
        *v = if k != 0.0 { exp_f32(*v * c - m) } else { 0.0 };
        sum += *v;
    }
    let inv = 1.0 / sum;
    s.iter_mut().for_each(|v| *v *= inv);
    m + sum.ln()
}

/// P row from recomputed scores and the saved L.
fn probs_row(s: &mut [f32], mask: &[f32], c: f32, l: f32) {
    for (v, &k) in s.iter_mut().zip(mask) {
        *v = if k != 0.0 { exp_f32(*v * c - l) } else { 0.0 };
    }
}

/// ctx (b s x hd) and L (b x heads x s) from qkv (b s x 3hd) and mask (b x s).
pub fn forward<I: Isa>(g: &Geom, qkv: &[f32], mask: &[f32], drop: Option<Drop>, ctx: &mut [f32], lse: &mut [f32]) -> Result<(), Oom> {
    let (s, dh, hd) = (g.s, g.dh, g.hd());
    let ld = 3 * hd;
    let c = 1.0 / (dh as f32).sqrt();
    ctx[..g.b * s * hd].fill(0.0);
    let (cs, ls) = (SharedMut::new(&mut ctx[..g.b * s * hd]), SharedMut::new(&mut lse[..g.b * g.heads * s]));
    let oom = AtomicBool::new(false);
    let items = g.b * g.heads;
    par::items(items, items * s * s * dh / 16 + 1, &|it| {
        let (bi, h) = (it / g.heads, it % g.heads);
        let (mut sc, mut fr, mut packs) = match (try_vec(QB.min(s) * s), try_vec(if drop.is_some() { s } else { 0 }), Packs::new()) {
            (Ok(a), Ok(f), Ok(p)) => (a, f, p),
            _ => return oom.store(true, Ordering::Relaxed),
        };
        let base = bi * s * ld + h * dh;
        let km = &mask[bi * s..(bi + 1) * s];
        let kt = Strided { data: &qkv[base + hd..], rs: 1, cs: ld };
        let v = Strided { data: &qkv[base + 2 * hd..], rs: ld, cs: 1 };
        // SAFETY: this item writes only head h's columns of sequence bi, and its own L row.
        let out = unsafe { cs.part(bi * s * hd + h * dh, (s - 1) * hd + dh) };
        let l = unsafe { ls.part(it * s, s) };
        let mut i0 = 0;
        while i0 < s {
            let qb = QB.min(s - i0);
            let sb = &mut sc[..qb * s];
            sb.fill(0.0);
            let q = Strided { data: &qkv[base + i0 * ld..], rs: ld, cs: 1 };
            gemm::<I>(qb, s, dh, q, kt, sb, s, &mut packs);
            for r in 0..qb {
                let row = &mut sb[r * s..(r + 1) * s];
                l[i0 + r] = softmax_row(row, km, c);
                if let Some(d) = drop {
                    d.row(it, i0 + r, s, &mut fr);
                    row.iter_mut().zip(fr.iter()).for_each(|(v, f)| *v *= f);
                }
            }
            gemm::<I>(qb, dh, s, Strided::rows(sb, s), v, &mut out[i0 * hd..], hd, &mut packs);
            i0 += qb;
        }
    });
    if oom.load(Ordering::Relaxed) {
        Err(Oom)
    } else {
        Ok(())
    }
}

/// dqkv (b s x 3hd, overwritten) from dctx, with the forward's qkv, mask, ctx and L.
#[allow(clippy::too_many_arguments)]
pub fn backward<I: Isa>(
    g: &Geom,
    qkv: &[f32],
    mask: &[f32],
    drop: Option<Drop>,
    ctx: &[f32],
    lse: &[f32],
    dctx: &[f32],
    dqkv: &mut [f32],
) -> Result<(), Oom> {
    let (s, dh, hd) = (g.s, g.dh, g.hd());
    let ld = 3 * hd;
    let c = 1.0 / (dh as f32).sqrt();
    dqkv[..g.b * s * ld].fill(0.0);
    let ds = SharedMut::new(&mut dqkv[..g.b * s * ld]);
    let oom = AtomicBool::new(false);
    let items = g.b * g.heads;
    par::items(items, items * s * s * dh / 8 + 1, &|it| {
        let (bi, h) = (it / g.heads, it % g.heads);
        let blk = QB.min(s) * s;
        let (mut pbuf, mut dpbuf, mut dd, mut packs) = match (try_vec(blk), try_vec(blk), try_vec(s), Packs::new()) {
            (Ok(a), Ok(b), Ok(d), Ok(p)) => (a, b, d, p),
            _ => return oom.store(true, Ordering::Relaxed),
        };
        // with dropout: P f (for dV and dS) beside P
        let mut fbuf = match try_vec(if drop.is_some() { blk } else { 0 }) {
            Ok(f) => f,
            Err(_) => return oom.store(true, Ordering::Relaxed),
        };
        let base = bi * s * ld + h * dh;
        let obase = bi * s * hd + h * dh;
        let km = &mask[bi * s..(bi + 1) * s];
        let l = &lse[it * s..(it + 1) * s];
        for i in 0..s {
            let (o, go) = (&ctx[obase + i * hd..obase + i * hd + dh], &dctx[obase + i * hd..obase + i * hd + dh]);
            dd[i] = o.iter().zip(go).map(|(a, b)| a * b).sum();
        }
        let kt = Strided { data: &qkv[base + hd..], rs: 1, cs: ld };
        let k = Strided { data: &qkv[base + hd..], rs: ld, cs: 1 };
        let vt = Strided { data: &qkv[base + 2 * hd..], rs: 1, cs: ld };
        // SAFETY: this item writes only head h's columns (q, k and v parts) of sequence bi.
        let dblk = unsafe { ds.part(base, (s - 1) * ld + 2 * hd + dh) };
        let mut i0 = 0;
        while i0 < s {
            let qb = QB.min(s - i0);
            let (p, dp) = (&mut pbuf[..qb * s], &mut dpbuf[..qb * s]);
            p.fill(0.0);
            dp.fill(0.0);
            let q = Strided { data: &qkv[base + i0 * ld..], rs: ld, cs: 1 };
            gemm::<I>(qb, s, dh, q, kt, p, s, &mut packs);
            for r in 0..qb {
                probs_row(&mut p[r * s..(r + 1) * s], km, c, l[i0 + r]);
            }
            let pf: &[f32] = match drop {
                Some(d) => {
                    let pf = &mut fbuf[..qb * s];
                    for r in 0..qb {
                        let row = &mut pf[r * s..(r + 1) * s];
                        d.row(it, i0 + r, s, row);
                        row.iter_mut().zip(&p[r * s..(r + 1) * s]).for_each(|(f, pv)| *f *= pv);
                    }
                    pf
                }
                None => p,
            };
            let go = Strided { data: &dctx[obase + i0 * hd..], rs: hd, cs: 1 };
            // dV += (P f)^T dO
            gemm::<I>(s, dh, qb, Strided::transposed(pf, s), go, &mut dblk[2 * hd..], ld, &mut packs);
            // dP' = dO V^T, then dS = c (P f dP' - P D)
            gemm::<I>(qb, s, dh, go, vt, dp, s, &mut packs);
            for r in 0..qb {
                let di = dd[i0 + r];
                let (rp, rf) = (&p[r * s..(r + 1) * s], &pf[r * s..(r + 1) * s]);
                for ((x, pv), fv) in dp[r * s..(r + 1) * s].iter_mut().zip(rp).zip(rf) {
                    *x = c * (*fv * *x - *pv * di);
                }
            }
            // dQ = dS K;  dK += dS^T Q
            gemm::<I>(qb, dh, s, Strided::rows(dp, s), k, &mut dblk[i0 * ld..], ld, &mut packs);
            gemm::<I>(s, dh, qb, Strided::transposed(dp, s), q, &mut dblk[hd..], ld, &mut packs);
            i0 += qb;
        }
    });
    if oom.load(Ordering::Relaxed) {
        Err(Oom)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::fd::{check_grad, randv};
    use crate::simd::scalar::Scalar4;

    /// Plain O(s^2) attention in f64: the oracle.
    fn naive(g: &Geom, qkv: &[f32], mask: &[f32]) -> Vec<f64> {
        let (s, dh, hd) = (g.s, g.dh, g.hd());
        let ld = 3 * hd;
        let c = 1.0 / (dh as f64).sqrt();
        let mut out = vec![0.0f64; g.b * s * hd];
        for b in 0..g.b {
            for h in 0..g.heads {
                for i in 0..s {
                    let q = |p: usize| qkv[(b * s + i) * ld + h * dh + p] as f64;
                    let sc: Vec<f64> = (0..s)
                        .map(|j| (0..dh).map(|p| q(p) * qkv[(b * s + j) * ld + hd + h * dh + p] as f64).sum::<f64>() * c)
                        .collect();
                    let valid: Vec<usize> = (0..s).filter(|&j| mask[b * s + j] != 0.0).collect();
                    if valid.is_empty() {
                        continue;
                    }
                    let m = valid.iter().map(|&j| sc[j]).fold(f64::NEG_INFINITY, f64::max);
                    let z: f64 = valid.iter().map(|&j| (sc[j] - m).exp()).sum();
                    for &j in &valid {
                        let p = (sc[j] - m).exp() / z;
                        for d in 0..dh {
                            out[(b * s + i) * hd + h * dh + d] += p * qkv[(b * s + j) * ld + 2 * hd + h * dh + d] as f64;
                        }
                    }
                }
            }
        }
        out
    }

    fn masks(b: usize, s: usize) -> Vec<f32> {
        // sequence 0 full, 1 all but one masked, 2 half, 3 fully masked (when there)
        (0..b * s)
            .map(|i| {
                let (bi, j) = (i / s, i % s);
                match bi % 4 {
                    0 => 1.0,
                    1 => (j == s / 2) as u8 as f32,
                    2 => (j < s.div_ceil(2)) as u8 as f32,
                    _ => 0.0,
                }
            })
            .collect()
    }

    #[test]
    fn streamed_forward_equals_the_naive_oracle_across_block_edges() {
        for &(b, s, heads, dh) in &[(4usize, 1usize, 1usize, 8usize), (4, 7, 4, 2), (3, 129, 2, 3), (2, 64, 1, 5)] {
            let g = Geom { b, s, heads, dh };
            let qkv = randv(b * s * 3 * heads * dh, 9);
            let mask = masks(b, s);
            let (mut ctx, mut l) = (vec![0.0; b * s * heads * dh], vec![0.0; b * heads * s]);
            forward::<Scalar4>(&g, &qkv, &mask, None, &mut ctx, &mut l).unwrap();
            let want = naive(&g, &qkv, &mask);
            for (i, (a, w)) in ctx.iter().zip(&want).enumerate() {
                assert!((*a as f64 - w).abs() < 1e-5 * (1.0 + w.abs()), "{g:?} [{i}] {a} vs {w}");
            }
        }
    }

    #[test]
    fn a_fully_masked_sequence_gives_zeros_not_nan() {
        let g = Geom { b: 4, s: 5, heads: 2, dh: 3 };
        let qkv = randv(4 * 5 * 18, 3);
        let mask = masks(4, 5);
        let (mut ctx, mut l) = (vec![0.0; 4 * 5 * 6], vec![0.0; 4 * 2 * 5]);
        forward::<Scalar4>(&g, &qkv, &mask, None, &mut ctx, &mut l).unwrap();
        assert!(ctx.iter().all(|v| v.is_finite()));
        assert!(ctx[3 * 5 * 6..].iter().all(|v| *v == 0.0));
        let dctx = randv(ctx.len(), 4);
        let mut dqkv = vec![0.0; qkv.len()];
        backward::<Scalar4>(&g, &qkv, &mask, None, &ctx, &l, &dctx, &mut dqkv).unwrap();
        assert!(dqkv.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn backward_matches_finite_differences_with_and_without_dropout() {
        for drop in [None, Some(Drop { p: 0.3, seed: 5, stream: 2 })] {
            for &(b, s, heads, dh) in &[(4usize, 1usize, 1usize, 4usize), (4, 7, 2, 3), (2, 66, 1, 2)] {
                let g = Geom { b, s, heads, dh };
                let qkv: Vec<f32> = randv(b * s * 3 * heads * dh, 11).iter().map(|v| v * 0.5).collect();
                let mask = masks(b, s);
                let dctx = randv(b * s * heads * dh, 12);
                let f = |x: &[f32]| {
                    let (mut ctx, mut l) = (vec![0.0; b * s * heads * dh], vec![0.0; b * heads * s]);
                    forward::<Scalar4>(&g, x, &mask, drop, &mut ctx, &mut l).unwrap();
                    ctx.iter().zip(&dctx).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>()
                };
                let (mut ctx, mut l) = (vec![0.0; b * s * heads * dh], vec![0.0; b * heads * s]);
                forward::<Scalar4>(&g, &qkv, &mask, drop, &mut ctx, &mut l).unwrap();
                let mut dqkv = vec![0.0; qkv.len()];
                backward::<Scalar4>(&g, &qkv, &mask, drop, &ctx, &l, &dctx, &mut dqkv).unwrap();
                check_grad(&qkv, &dqkv, f, "dqkv");
            }
        }
    }

    #[test]
    fn dropout_on_the_probabilities_drops_about_p_and_keeps_the_expectation() {
        let g = Geom { b: 1, s: 128, heads: 1, dh: 1 };
        // v = 1 everywhere: without dropout every output is exactly 1; with dropout, the mean of f_ij P_ij sums
        let mut qkv = vec![0.0f32; 128 * 3];
        for i in 0..128 {
            qkv[i * 3 + 2] = 1.0;
        }
        let mask = vec![1.0f32; 128];
        let (mut ctx, mut l) = (vec![0.0; 128], vec![0.0; 128]);
        forward::<Scalar4>(&g, &qkv, &mask, Some(Drop { p: 0.25, seed: 1, stream: 0 }), &mut ctx, &mut l).unwrap();
        let mean = ctx.iter().map(|v| *v as f64).sum::<f64>() / 128.0;
        assert!((mean - 1.0).abs() < 0.02, "{mean}");
        // uniform P = 1/128: each output is (kept count) / (0.75 * 128)
        let kept = ctx[0] as f64 * 0.75 * 128.0;
        assert!((kept - kept.round()).abs() < 1e-3 && kept < 128.0);
    }

    #[test]
    fn fused_projection_matches_finite_differences() {
        let (n, hd) = (5usize, 6usize);
        let x = randv(n * hd, 1);
        let ws: Vec<Vec<f32>> = (0..3).map(|i| randv(hd * hd, 20 + i)).collect();
        let bs: Vec<Vec<f32>> = (0..3).map(|i| randv(hd, 30 + i)).collect();
        let dy = randv(n * 3 * hd, 2);
        let f = |x: &[f32], w0: &[f32]| {
            let mut y = vec![0.0; n * 3 * hd];
            qkv_forward::<Scalar4>(x, n, hd, [w0, &ws[1], &ws[2]], [Some(&bs[0]), Some(&bs[1]), None], &mut y).unwrap();
            y.iter().zip(&dy).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>()
        };
        let mut dx = vec![0.0; n * hd];
        let (mut d0, mut d1, mut d2) = (vec![0.0; hd * hd], vec![0.0; hd * hd], vec![0.0; hd * hd]);
        let mut db0 = vec![0.0; hd];
        qkv_backward::<Scalar4>(&x, n, hd, [&ws[0], &ws[1], &ws[2]], &dy, Some(&mut dx), [&mut d0, &mut d1, &mut d2], [Some(&mut db0), None, None]).unwrap();
        check_grad(&x, &dx, |v| f(v, &ws[0]), "dx");
        check_grad(&ws[0], &d0, |v| f(&x, v), "dWq");
        let want_db0: Vec<f32> = (0..hd).map(|j| (0..n).map(|i| dy[i * 3 * hd + j]).sum()).collect();
        assert_eq!(db0, want_db0);
    }
}
