//! CLIP's symmetric InfoNCE with both directions from the same logit tiles.
//!
//! l_ik = q^_i . k^_k / tau (N x N). Rows give the query->key terms, columns the key->query terms:
//!   L = 1/(2N) sum_i [lse_k l_ik - l_ii] + 1/(2N) sum_k [lse_i l_ik - l_kk]
//!   G_ik = c (e^(l_ik - lse^r_i) + e^(l_ik - lse^c_k) - 2 [i = k]),  c = 1 / (2 N tau)
//!   dL/dq^ = G k^,  dL/dk^ = G^T q^.
//! Pass 1 sweeps tiles (PANEL query rows x CHUNK keys) once, updating the online row statistics
//! of the queries along tile rows and of the keys along tile columns (see selfsim.rs). Pass 2
//! recomputes each tile, turns it into G in place and sends it to both sides. 8 N^2 D flops in
//! all, against 12 N^2 D for the two one-directional passes.
//! Fixed shift (1/tau <= FIXED_MAX_INV_TAU, see selfsim.rs): the rows are unit vectors, so
//! M = 1/tau bounds every logit; e = e^(l - M) feeds both directions' sums, and pass 2 takes
//!   G_ik = e_ik (ar_i + ac_k) - 2c [i = k],  ar_i = c / sr_i,  ac_k = c / sc_k
//! (one exponential per entry in each pass instead of two).
//! Kept tiles (fixed shift, see cache.rs): pass 1 leaves e in the panel's cache slot and pass 2
//! only scales it, skipping N^2 D of the 4 N^2 D flops. Bit-identical to recomputing.

use super::cache::TileCache;
use super::core::exp_sums_ro;
use super::normalize::dot;
use super::selfsim::{
    column_stats, dot_tile, exp_sums_fixed_cols, logit_tile, rescale, two_sided, two_sided_fixed, two_sided_scaled,
    Stats, CHUNK, FIXED_MAX_INV_TAU, M0, PANEL,
};
use super::LossOut;
use crate::gemm::{gemm_packed_rows, PackedB, PackedRows, Packs, Strided};
use crate::simd::Isa;
use crate::{try_vec, Oom};

fn stats(n: usize) -> Result<Stats, Oom> {
    Ok(Stats { m: vec![M0; n], s: try_vec(n)?, se: try_vec(n)?, t: try_vec(n)? })
}

/// `q`, `k`: unit rows (n x d). `grads`: (dL/dq^, dL/dk^) accumulators. Keeps at most
/// `cache_bytes` of pass-1 tiles for pass 2 (cache.rs).
pub fn run_clip<I: Isa>(
    q: &[f32],
    k: &[f32],
    n: usize,
    d: usize,
    inv_tau: f32,
    grads: Option<(&mut [f32], &mut [f32])>,
    cache_bytes: usize,
) -> Result<LossOut, Oom> {
    let kt = PackedB::new(Strided::transposed(k, d), d, n)?;
    let mut blk = try_vec(PANEL * CHUNK.min(n))?;
    let mut packs = Packs::new()?;
    let (mut rs, mut cs) = (stats(n)?, stats(n)?);
    let diag: Vec<f32> = (0..n).map(|i| dot::<I>(&q[i * d..(i + 1) * d], &k[i * d..(i + 1) * d]) * inv_tau).collect();
    let tiles = || (0..n).step_by(PANEL).flat_map(move |i0| (0..n).step_by(CHUNK).map(move |c0| (i0, c0)));

    let fixed = inv_tau <= FIXED_MAX_INV_TAU;
    if fixed {
        rs.m.fill(inv_tau);
        cs.m.fill(inv_tau);
    }
    // panel p's tiles: h x n entries, kept only where a pass 2 will read them
    let mut cache = if fixed && grads.is_some() {
        TileCache::new((0..n).step_by(PANEL).map(|i0| PANEL.min(n - i0) * n), cache_bytes)
    } else {
        TileCache::none()
    };
    for (i0, c0) in tiles() {
        let (h, w) = (PANEL.min(n - i0), CHUNK.min(n - c0));
        if fixed {
            let kept = cache.panel(i0 / PANEL);
            let keep = kept.is_some();
            let b = match kept {
                Some(p) => &mut p[h * c0..h * (c0 + w)],
                None => &mut blk[..h * w],
            };
            dot_tile::<I>(q, d, &kt, i0, h, c0, w, b, &mut packs);
            for i in 0..h {
                let row = &mut b[i * w..(i + 1) * w];
                let (cs_s, cs_se) = (&mut cs.s[c0..c0 + w], &mut cs.se[c0..c0 + w]);
                let (s, se) = if keep {
                    exp_sums_fixed_cols::<I, true>(row, inv_tau, cs_s, cs_se)
                } else {
                    exp_sums_fixed_cols::<I, false>(row, inv_tau, cs_s, cs_se)
                };
                rs.s[i0 + i] += s;
                rs.se[i0 + i] += se;
            }
            continue;
        }
        let b = &mut blk[..h * w];
        logit_tile::<I>(q, d, &kt, i0, h, c0, w, inv_tau, b, &mut packs);
        column_stats::<I>(b, w, h, 0, w, &mut cs, c0);
        for i in 0..h {
            let r = i0 + i;
            let row = &b[i * w..(i + 1) * w];
            let mx = row.iter().fold(M0, |m, &v| m.max(v));
            rescale(&mut rs.m[r], &mut rs.s[r], &mut rs.se[r], mx);
            let (s, se) = exp_sums_ro::<I>(row, rs.m[r]);
            rs.s[r] += s;
            rs.se[r] += se;
        }
    }

    let c = 0.5 / (n as f32) * inv_tau;
    let (mut loss, mut dtau) = (0.0f64, 0.0f64);
    let mut lse_r = try_vec(n)?;
    let mut lse_c = try_vec(n)?;
    for (st, lse) in [(&rs, &mut lse_r), (&cs, &mut lse_c)] {
        for i in 0..n {
            lse[i] = st.m[i] + st.s[i].ln();
            let t = diag[i] - st.m[i];
            loss += 0.5 / n as f64 * ((st.s[i] as f64).ln() - t as f64);
            dtau -= c as f64 * ((st.se[i] / st.s[i]) as f64 - t as f64);
        }
    }
    let Some((gq, gk)) = grads else {
        return Ok(LossOut { loss, dtau });
    };
    let cvec = vec![c; n];
    // fixed shift: c e^(l - lse) = (c / s) e^(l - M)
    let (ar, ac): (Vec<f32>, Vec<f32>) = if fixed {
        ((0..n).map(|i| c / rs.s[i]).collect(), (0..n).map(|i| c / cs.s[i]).collect())
    } else {
        (vec![], vec![])
    };
    let (qp, kp) = (PackedRows::new(Strided::rows(q, d), n, d)?, PackedRows::new(Strided::rows(k, d), n, d)?);
    for (i0, c0) in tiles() {
        let (h, w) = (PANEL.min(n - i0), CHUNK.min(n - c0));
        let kept = cache.panel(i0 / PANEL);
        let from_cache = kept.is_some();
        let b = match kept {
            // pass 1 left e = e^(l - M) here
            Some(p) => &mut p[h * c0..h * (c0 + w)],
            None => {
                let b = &mut blk[..h * w];
                if fixed {
                    dot_tile::<I>(q, d, &kt, i0, h, c0, w, b, &mut packs);
                } else {
                    logit_tile::<I>(q, d, &kt, i0, h, c0, w, inv_tau, b, &mut packs);
                }
                b
            }
        };
        for i in 0..h {
            let r = i0 + i;
            let row = &mut b[i * w..(i + 1) * w];
            if from_cache {
                two_sided_scaled::<I>(row, ar[r], &ac[c0..c0 + w]);
            } else if fixed {
                two_sided_fixed::<I>(row, inv_tau, ar[r], &ac[c0..c0 + w]);
            } else {
                two_sided::<I>(row, c, lse_r[r], &cvec[c0..c0 + w], &lse_c[c0..c0 + w]);
            }
            if r >= c0 && r < c0 + w {
                row[r - c0] -= 2.0 * c;
            }
        }
        // dq_I += G K_J, dk_J += G^T Q_I (row windows of the packed K and Q)
        gemm_packed_rows::<I>(h, Strided::rows(b, w), &kp, c0, w, &mut gq[i0 * d..], d, &mut packs);
        let bt = Strided { data: b, rs: 1, cs: w };
        gemm_packed_rows::<I>(w, bt, &qp, i0, h, &mut gk[c0 * d..], d, &mut packs);
    }
    Ok(LossOut { loss, dtau })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::core::{run, Grads, Problem, Targets};
    use crate::loss::oracle::rand_rows;
    use crate::simd::scalar::Scalar4;

    fn unit(mut x: Vec<f32>, d: usize) -> Vec<f32> {
        for r in x.chunks_mut(d) {
            let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
            r.iter_mut().for_each(|v| *v /= n);
        }
        x
    }

    #[test]
    fn one_sweep_matches_two_one_directional_passes_across_tiles() {
        // 1/tau = 4: the fixed shift; 1/tau = 60: the online statistics
        for inv_tau in [4.0, 60.0] {
            one_sweep_case(inv_tau);
        }
    }

    fn one_sweep_case(inv_tau: f32) {
        let (n, d) = (CHUNK + PANEL + 5, 3);
        let q = unit(rand_rows(n, d, 1), d);
        let k = unit(rand_rows(n, d, 2), d);
        let (mut gq1, mut gk1) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
        let a = run_clip::<Scalar4>(&q, &k, n, d, inv_tau, Some((&mut gq1, &mut gk1)), 1 << 26).unwrap();
        let idx: Vec<u32> = (0..n as u32).collect();
        let weight = vec![0.5 / n as f32; n];
        let (mut gq2, mut gk2) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
        let mut b = LossOut::default();
        for dir in 0..2 {
            let (x, y) = if dir == 0 { (&q, &k) } else { (&k, &q) };
            let (gx, gy) = if dir == 0 { (&mut gq2, &mut gk2) } else { (&mut gk2, &mut gq2) };
            let p = Problem {
                x,
                rows: n,
                y,
                cols: n,
                d,
                self_sim: false,
                targets: Targets::Index(&idx),
                weight: &weight,
                inv_tau,
            };
            let o = run::<Scalar4>(&p, Some(Grads { gx, gy: Some(gy), gp: None })).unwrap();
            b.loss += o.loss;
            b.dtau += o.dtau;
        }
        assert!((a.loss - b.loss).abs() < 1e-5 * (1.0 + b.loss), "{} vs {}", a.loss, b.loss);
        assert!((a.dtau - b.dtau).abs() < 1e-4 * (1.0 + b.dtau.abs()), "{} vs {}", a.dtau, b.dtau);
        for (g1, g2) in [(&gq1, &gq2), (&gk1, &gk2)] {
            let gmax = g2.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (x, y) in g1.iter().zip(g2.iter()) {
                assert!((x - y).abs() <= 1e-4 * gmax, "{x} vs {y}");
            }
        }
        assert_eq!(run_clip::<Scalar4>(&q, &k, n, d, inv_tau, None, 1 << 26).unwrap(), a);
        // pass 2 from kept pass-1 tiles (all, two panels, none): the same bits
        let (mut gq3, mut gk3) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
        let all = run_clip::<Scalar4>(&q, &k, n, d, inv_tau, Some((&mut gq3, &mut gk3)), usize::MAX).unwrap();
        for bytes in [0, 4 * (2 * PANEL * n + 7)] {
            let (mut gq4, mut gk4) = (vec![0.0f32; n * d], vec![0.0f32; n * d]);
            let o = run_clip::<Scalar4>(&q, &k, n, d, inv_tau, Some((&mut gq4, &mut gk4)), bytes).unwrap();
            assert_eq!(o, all, "{bytes} bytes kept");
            for (x, y) in [(&gq4, &gq3), (&gk4, &gk3)] {
                assert!(x.iter().zip(y.iter()).all(|(x, y)| x.to_bits() == y.to_bits()), "{bytes} bytes kept");
            }
        }
    }
}
