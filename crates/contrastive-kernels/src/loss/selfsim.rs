//! The self-similarity case of the row cross-entropy (NT-Xent, SupCon), exploiting the symmetry
//! of l = U U^T / tau: each pair of rows is multiplied once instead of twice.
//!
//! Same loss as [`super::core`] with x = y = U and the diagonal excluded:
//!   L = sum_i w_i (lse_i - T_i),   G_ik = w_i (P_ik - Y_ik) / tau,   dL/dU = (G + G^T) U.
//! Rows are cut into panels of PANEL rows. Only the tiles on or right of the diagonal are
//! computed, l[I, J] for panel I and columns J >= I, in chunks of CHUNK columns.
//!
//! Pass 1 (statistics). Each row keeps an online log-sum-exp: running max m_i, s_i = sum
//! exp(l - m_i), se_i = sum exp(l - m_i)(l - m_i) (for dL/dtau), and its target sum T_i. A tile
//! updates the rows of I along its rows and the rows of J (J right of I) along its columns, so
//! every off-diagonal entry reaches both of its rows exactly once. When a max grows from m to m',
//! s <- s e^(m - m') and se <- e^(m - m') (se + s (m - m')).
//!
//! Pass 2 (gradient). The tiles are recomputed; with lse known, a right-of-diagonal tile holds
//!   H_ik = G_ik + G_ki = c_i e^(l_ik - lse_i) + c_k e^(l_ik - lse_k) - c_i Y_ik - c_k Y_ki,
//! with c_i = w_i / tau, so dU_I += H U_J and dU_J += H^T U_I. The diagonal tile holds G_II,
//! symmetrized to G_II + G_II^T, and goes to dU_I only.
//! Cost: 4 R^2 D flops (logits once in each pass, two products in pass 2) instead of the 6 R^2 D
//! of the plain streaming kernel; scratch O(PANEL x CHUNK).
//!
//! Fixed shift (the usual case, 1/tau <= [`FIXED_MAX_INV_TAU`]). The rows are unit vectors, so
//! every logit lies in [-1/tau, 1/tau] and M = 1/tau bounds them all: e_ik = e^(l_ik - M) lies in
//! [e^(-2/tau), 1] ⊂ [e^-80, 1], a normal float, and needs no running max. Pass 1 then takes one
//! exponential per computed entry for both of its rows (s_i += e_ik, s_k += e_ik), instead of a max
//! sweep and an exponential per row. With lse_i = M + ln s_i, pass 2 needs one exponential too:
//!   H_ik = e_ik (a_i + a_k) - c_i Y_ik - c_k Y_ki,   a_i = c_i / s_i  (= c_i e^(M - lse_i)).
//! Steeper temperatures keep the online statistics above (e^(-2/tau) would underflow).
//!
//! Kept tiles (fixed shift, gradients wanted, see cache.rs): pass 1 writes e_ik back into the
//! panel's slot of a [`TileCache`], and pass 2 starts from it: H_ik = e_ik (a_i + a_k) - Y terms,
//! with no GEMM and no exponential, 3 R^2 D flops in all. Bit-identical to recomputing.

use super::cache::TileCache;
use super::core::{exp_sums_ro, scale_max, Targets};
use super::LossOut;
use crate::gemm::{gemm_packed_into, gemm_packed_rows, PackedB, PackedRows, Packs, Strided, NR};
use crate::simd::{exp_f32, Isa};
use crate::{try_vec, Oom, Scratch};

pub(crate) const PANEL: usize = 64;
pub(crate) const CHUNK: usize = 2048;
// A finite stand-in for -inf as the initial running max: e^(m - m') is then 0, never 0 * inf.
pub(crate) const M0: f32 = -1e30;
/// Largest 1/tau for the fixed-shift path: e^(-2/tau) >= e^-80 stays a normal float (and above
/// [`crate::simd::EXP_LO`], so no exponential is clamped).
pub(crate) const FIXED_MAX_INV_TAU: f32 = 40.0;

const _: () = assert!(PANEL.is_multiple_of(NR) && CHUNK.is_multiple_of(NR));

/// Per-row online statistics.
pub(crate) struct Stats {
    pub m: Vec<f32>,
    pub s: Scratch,
    pub se: Scratch,
    pub t: Scratch,
}

#[inline]
pub(crate) fn rescale(m: &mut f32, s: &mut f32, se: &mut f32, mx: f32) {
    if mx > *m {
        let f = exp_f32(*m - mx);
        *se = f * (*se + *s * (*m - mx));
        *s *= f;
        *m = mx;
    }
}

/// Column-direction update: columns k0..k1 of the `rows` x ld block update the stats of the
/// rows `base + k` (the rows those columns stand for).
pub(crate) fn column_stats<I: Isa>(
    blk: &[f32],
    ld: usize,
    rows: usize,
    k0: usize,
    k1: usize,
    st: &mut Stats,
    base: usize,
) {
    let mut k = k0;
    let p = blk.as_ptr();
    while k + 4 <= k1 {
        // SAFETY: every i * ld + k + 3 < rows * ld.
        unsafe {
            let mut mx = I::splat(M0);
            for i in 0..rows {
                mx = I::max(mx, I::load(p.add(i * ld + k)));
            }
            let r = base + k;
            let mut old = [0.0f32; 4];
            I::store(old.as_mut_ptr(), mx);
            let mut mv = [0.0f32; 4];
            for l in 0..4 {
                rescale(&mut st.m[r + l], &mut st.s[r + l], &mut st.se[r + l], old[l]);
                mv[l] = st.m[r + l];
            }
            let vm = I::load(mv.as_ptr());
            let (mut s, mut se) = (I::splat(0.0), I::splat(0.0));
            for i in 0..rows {
                let t = I::sub(I::load(p.add(i * ld + k)), vm);
                let e = I::exp(t);
                s = I::add(s, e);
                se = I::madd(e, t, se);
            }
            let (mut sa, mut sea) = ([0.0f32; 4], [0.0f32; 4]);
            I::store(sa.as_mut_ptr(), s);
            I::store(sea.as_mut_ptr(), se);
            for l in 0..4 {
                st.s[r + l] += sa[l];
                st.se[r + l] += sea[l];
            }
        }
        k += 4;
    }
    while k < k1 {
        let r = base + k;
        let mx = (0..rows).fold(M0, |m, i| m.max(blk[i * ld + k]));
        rescale(&mut st.m[r], &mut st.s[r], &mut st.se[r], mx);
        let m = st.m[r];
        for i in 0..rows {
            let t = blk[i * ld + k] - m;
            let e = exp_f32(t);
            st.s[r] += e;
            st.se[r] += e * t;
        }
        k += 1;
    }
}

/// `u`: unit rows (rows x d). `gu`: dL/dU accumulator (added to). Targets: Index or Labels.
/// Keeps at most `cache_bytes` of pass-1 tiles for pass 2 (cache.rs; the callers pass the
/// process-wide budget, [`super::cache::budget_bytes`]).
#[allow(clippy::too_many_arguments)]
pub fn run_self<I: Isa>(
    u: &[f32],
    rows: usize,
    d: usize,
    targets: Targets,
    weight: &[f32],
    inv_tau: f32,
    gu: Option<&mut [f32]>,
    cache_bytes: usize,
) -> Result<LossOut, Oom> {
    if rows < 2 {
        // a single row has no candidate: no term, no gradient
        return Ok(LossOut::default());
    }
    let ut = PackedB::new(Strided::transposed(u, d), d, rows)?;
    let mut blk = try_vec(PANEL * CHUNK)?;
    let mut packs = Packs::new()?;
    let mut st = Stats { m: vec![M0; rows], s: try_vec(rows)?, se: try_vec(rows)?, t: try_vec(rows)? };
    let tiles = |i0: usize| (i0..rows).step_by(CHUNK).map(move |c0| (c0, CHUNK.min(rows - c0)));

    let fixed = inv_tau <= FIXED_MAX_INV_TAU;
    if fixed {
        st.m.fill(inv_tau);
    }
    // panel p's tiles: h x (rows - i0) entries, kept only where a pass 2 will read them
    let mut cache = if fixed && gu.is_some() {
        TileCache::new((0..rows).step_by(PANEL).map(|i0| PANEL.min(rows - i0) * (rows - i0)), cache_bytes)
    } else {
        TileCache::none()
    };

    // ---- pass 1: statistics ----
    for i0 in (0..rows).step_by(PANEL) {
        if fixed {
            match cache.panel(i0 / PANEL) {
                Some(kept) => pass1_fixed::<I, true>(u, d, &ut, i0, rows, targets, inv_tau, kept, &mut st, &mut packs),
                None => pass1_fixed::<I, false>(u, d, &ut, i0, rows, targets, inv_tau, &mut blk, &mut st, &mut packs),
            }
            continue;
        }
        let h = PANEL.min(rows - i0);
        for (c0, w) in tiles(i0) {
            let b = &mut blk[..h * w];
            logit_tile::<I>(u, d, &ut, i0, h, c0, w, inv_tau, b, &mut packs);
            // columns right of the panel: their rows' statistics and targets
            let k0 = (i0 + h).saturating_sub(c0);
            column_stats::<I>(b, w, h, k0, w, &mut st, c0);
            column_targets(targets, b, w, h, i0, c0, k0, 1.0, &mut st.t);
            // the panel's own rows, along the tile's rows (diagonal skipped)
            for i in 0..h {
                let r = i0 + i;
                let row = &b[i * w..(i + 1) * w];
                let (lo, hi) =
                    if r >= c0 && r < c0 + w { (&row[..r - c0], &row[r - c0 + 1..]) } else { (row, &row[..0]) };
                let mx = lo.iter().chain(hi).fold(M0, |m, &v| m.max(v));
                rescale(&mut st.m[r], &mut st.s[r], &mut st.se[r], mx);
                let m = st.m[r];
                let (s1, e1) = exp_sums_ro::<I>(lo, m);
                let (s2, e2) = exp_sums_ro::<I>(hi, m);
                st.s[r] += s1 + s2;
                st.se[r] += e1 + e2;
                st.t[r] += row_target(targets, row, r, c0, 1.0);
            }
        }
    }

    // ---- loss, d/dtau, and what pass 2 needs: lse_i and c_i = w_i / tau ----
    let (mut loss, mut dtau) = (0.0f64, 0.0f64);
    let mut lse = try_vec(rows)?;
    let mut c = try_vec(rows)?;
    let mut yw = try_vec(rows)?; // the target weight of row i's positives, times c_i
    for r in 0..rows {
        let npos = match targets {
            Targets::Labels { labels, count } => count[labels[r] as usize] as f32 - 1.0,
            _ => 1.0,
        };
        lse[r] = st.m[r] + st.s[r].ln();
        let w = weight[r];
        if w == 0.0 || npos == 0.0 {
            continue;
        }
        let t = st.t[r] / npos - st.m[r];
        loss += w as f64 * ((st.s[r] as f64).ln() - t as f64);
        dtau -= (w * inv_tau) as f64 * ((st.se[r] / st.s[r]) as f64 - t as f64);
        c[r] = w * inv_tau;
        yw[r] = c[r] / npos;
    }
    let Some(gu) = gu else {
        return Ok(LossOut { loss, dtau });
    };

    // ---- pass 2: gradient ----
    let up = PackedRows::new(Strided::rows(u, d), rows, d)?;
    // fixed shift: a_i = c_i / s_i, so that c_i e^(l - lse_i) = a_i e^(l - M)
    let mut a = try_vec(if fixed { rows } else { 0 })?;
    if fixed {
        for r in 0..rows {
            a[r] = if c[r] == 0.0 { 0.0 } else { c[r] / st.s[r] };
        }
    }
    for i0 in (0..rows).step_by(PANEL) {
        let h = PANEL.min(rows - i0);
        let mut kept = cache.panel(i0 / PANEL);
        let from_cache = kept.is_some();
        for (c0, w) in tiles(i0) {
            let b = match kept.as_deref_mut() {
                // pass 1 left e = e^(l - M) here (the diagonal entry is overwritten below)
                Some(p) => &mut p[h * (c0 - i0)..h * (c0 - i0 + w)],
                None => {
                    let b = &mut blk[..h * w];
                    if fixed {
                        dot_tile::<I>(u, d, &ut, i0, h, c0, w, b, &mut packs);
                    } else {
                        logit_tile::<I>(u, d, &ut, i0, h, c0, w, inv_tau, b, &mut packs);
                    }
                    b
                }
            };
            let k0 = (i0 + h).saturating_sub(c0); // first column right of the panel
            for i in 0..h {
                let r = i0 + i;
                let row = &mut b[i * w..(i + 1) * w];
                let (ci, li) = (c[r], lse[r]);
                if fixed {
                    // inside the panel's own square: G only (its transpose is in the same square)
                    let (own, right) = row.split_at_mut(k0);
                    if from_cache {
                        scaled::<I>(own, a[r]);
                        two_sided_scaled::<I>(right, a[r], &a[c0 + k0..c0 + w]);
                    } else {
                        exp_scaled::<I>(own, inv_tau, a[r]);
                        two_sided_fixed::<I>(right, inv_tau, a[r], &a[c0 + k0..c0 + w]);
                    }
                } else {
                    for v in row[..k0].iter_mut() {
                        *v = ci * exp_f32(*v - li);
                    }
                    two_sided::<I>(&mut row[k0..], ci, li, &c[c0 + k0..c0 + w], &lse[c0 + k0..c0 + w]);
                }
                if r >= c0 && r < c0 + w {
                    row[r - c0] = 0.0;
                }
                // minus Y along the row
                match targets {
                    Targets::Index(ix) => {
                        let t = ix[r] as usize;
                        if t >= c0 && t < c0 + w {
                            row[t - c0] -= yw[r];
                        }
                    }
                    Targets::Labels { labels, .. } => {
                        for (k, v) in row.iter_mut().enumerate() {
                            if c0 + k != r && labels[c0 + k] == labels[r] {
                                *v -= yw[r];
                            }
                        }
                    }
                    Targets::Paired(_) => unreachable!(),
                }
            }
            // minus Y along the columns right of the panel (G_ki's share of H_ik)
            for k in k0..w {
                let r = c0 + k;
                match targets {
                    Targets::Index(ix) => {
                        let t = ix[r] as usize;
                        if t >= i0 && t < i0 + h {
                            b[(t - i0) * w + k] -= yw[r];
                        }
                    }
                    Targets::Labels { labels, .. } => {
                        for i in 0..h {
                            if labels[i0 + i] == labels[r] {
                                b[i * w + k] -= yw[r];
                            }
                        }
                    }
                    Targets::Paired(_) => unreachable!(),
                }
            }
            // the diagonal square: G_II -> G_II + G_II^T
            if k0 > 0 {
                for i in 0..h {
                    for j in i + 1..h {
                        let s = b[i * w + j] + b[j * w + i];
                        b[i * w + j] = s;
                        b[j * w + i] = s;
                    }
                }
            }
            // dU_I += H U_J (the whole tile), dU_J += H^T U_I (right of the panel); U_J and U_I
            // are row windows of the one packed U
            gemm_packed_rows::<I>(h, Strided::rows(b, w), &up, c0, w, &mut gu[i0 * d..], d, &mut packs);
            if k0 < w {
                let ht = Strided { data: &b[k0..], rs: 1, cs: w };
                gemm_packed_rows::<I>(w - k0, ht, &up, i0, h, &mut gu[(c0 + k0) * d..], d, &mut packs);
            }
        }
    }
    Ok(LossOut { loss, dtau })
}

/// b (h x w) <- the logits x[i0..i0+h] . y[c0..c0+w]^T / tau, y^T prepacked as `ut` (each pass
/// recomputes its tiles rather than keeping R x R logits).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn logit_tile<I: Isa>(
    x: &[f32],
    d: usize,
    ut: &PackedB,
    i0: usize,
    h: usize,
    c0: usize,
    w: usize,
    inv_tau: f32,
    b: &mut [f32],
    packs: &mut Packs,
) {
    dot_tile::<I>(x, d, ut, i0, h, c0, w, b, packs);
    scale_max::<I>(b, inv_tau);
}

/// Adds the target logits (tile entry x `scale`) found in the tile's columns right of the panel
/// (k >= k0) to the rows those columns stand for: t[c0 + k].
#[allow(clippy::too_many_arguments)]
fn column_targets(
    targets: Targets,
    b: &[f32],
    w: usize,
    h: usize,
    i0: usize,
    c0: usize,
    k0: usize,
    scale: f32,
    t: &mut [f32],
) {
    for k in k0..w {
        let r = c0 + k;
        match targets {
            Targets::Index(ix) => {
                let p = ix[r] as usize;
                if p >= i0 && p < i0 + h {
                    t[r] += b[(p - i0) * w + k] * scale;
                }
            }
            Targets::Labels { labels, .. } => {
                for i in 0..h {
                    if labels[i0 + i] == labels[r] {
                        t[r] += b[i * w + k] * scale;
                    }
                }
            }
            Targets::Paired(_) => unreachable!("paired targets are not self-similarity"),
        }
    }
}

/// The target logits (entry x `scale`) along row r of a tile starting at column c0, diagonal skipped.
fn row_target(targets: Targets, row: &[f32], r: usize, c0: usize, scale: f32) -> f32 {
    match targets {
        Targets::Index(ix) => {
            let p = ix[r] as usize;
            if p >= c0 && p < c0 + row.len() && p != r {
                row[p - c0] * scale
            } else {
                0.0
            }
        }
        Targets::Labels { labels, .. } => {
            let mut t = 0.0;
            for (k, v) in row.iter().enumerate() {
                if c0 + k != r && labels[c0 + k] == labels[r] {
                    t += v * scale;
                }
            }
            t
        }
        Targets::Paired(_) => unreachable!("paired targets are not self-similarity"),
    }
}

/// Pass 1 of the fixed-shift path for panel i0: every tile of the panel, one exponential per
/// entry, e = e^(x/tau - M) with M = 1/tau. The entry goes to its row's sums (s, se) and, right
/// of the panel, to its column's row too; the diagonal is skipped. Targets as in the online path.
/// KEEP: `blk` is the panel's cache slot; each tile goes to its own place in it and its entries
/// are replaced by e (the diagonal keeps its dot product). Otherwise one tile at a time in `blk`.
#[allow(clippy::too_many_arguments)]
fn pass1_fixed<I: Isa, const KEEP: bool>(
    u: &[f32],
    d: usize,
    ut: &PackedB,
    i0: usize,
    rows: usize,
    targets: Targets,
    inv_tau: f32,
    blk: &mut [f32],
    st: &mut Stats,
    packs: &mut Packs,
) {
    let h = PANEL.min(rows - i0);
    for c0 in (i0..rows).step_by(CHUNK) {
        let w = CHUNK.min(rows - c0);
        let at = if KEEP { h * (c0 - i0) } else { 0 };
        let b = &mut blk[at..at + h * w];
        dot_tile::<I>(u, d, ut, i0, h, c0, w, b, packs);
        let k0 = (i0 + h).saturating_sub(c0);
        column_targets(targets, b, w, h, i0, c0, k0, inv_tau, &mut st.t);
        // the column sums of rows c0 + k0.. (all right of the panel, disjoint from its rows)
        let (own, right) = st.s[..c0 + w].split_at_mut(c0 + k0);
        let (own_e, right_e) = st.se[..c0 + w].split_at_mut(c0 + k0);
        for i in 0..h {
            let r = i0 + i;
            let row = &mut b[i * w..(i + 1) * w];
            st.t[r] += row_target(targets, row, r, c0, inv_tau); // before KEEP overwrites the row
            let (mut s, mut se) = (0.0f32, 0.0f32);
            if r >= c0 && r < c0 + w {
                let dk = r - c0; // the diagonal, always inside the panel's square (dk < k0)
                let (s1, e1) = exp_sums_fixed::<I, KEEP>(&mut row[..dk], inv_tau);
                let (s2, e2) = exp_sums_fixed::<I, KEEP>(&mut row[dk + 1..k0], inv_tau);
                s += s1 + s2;
                se += e1 + e2;
            } else {
                let (s1, e1) = exp_sums_fixed::<I, KEEP>(&mut row[..k0], inv_tau);
                s += s1;
                se += e1;
            }
            let (s3, e3) = exp_sums_fixed_cols::<I, KEEP>(&mut row[k0..], inv_tau, right, right_e);
            own[r] += s + s3;
            own_e[r] += se + e3;
        }
    }
}

/// b (h x w) <- the plain dot products x[i0..i0+h] . y[c0..c0+w]^T (the fixed-shift path folds
/// 1/tau into its exponentials).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn dot_tile<I: Isa>(
    x: &[f32],
    d: usize,
    ut: &PackedB,
    i0: usize,
    h: usize,
    c0: usize,
    w: usize,
    b: &mut [f32],
    packs: &mut Packs,
) {
    gemm_packed_into::<I>(h, Strided::rows(&x[i0 * d..], d), ut, c0, w, b, w, packs);
}

/// (sum e, sum e t) over v with t = v/tau - M, M = 1/tau (so t = inv (v - 1) up to rounding).
/// KEEP: v_k <- e_k as well.
#[inline]
pub(crate) fn exp_sums_fixed<I: Isa, const KEEP: bool>(v: &mut [f32], inv: f32) -> (f32, f32) {
    // SAFETY: with COLS = false the column pointers are never used.
    unsafe { exp_sums_fixed_raw::<I, false, KEEP>(v, inv, core::ptr::null_mut(), core::ptr::null_mut()) }
}

/// As [`exp_sums_fixed`], and also cs[k] += e_k, cse[k] += e_k t_k (the column direction).
#[inline]
pub(crate) fn exp_sums_fixed_cols<I: Isa, const KEEP: bool>(
    v: &mut [f32],
    inv: f32,
    cs: &mut [f32],
    cse: &mut [f32],
) -> (f32, f32) {
    assert!(cs.len() == v.len() && cse.len() == v.len());
    // SAFETY: cs and cse hold v.len() floats each (checked).
    unsafe { exp_sums_fixed_raw::<I, true, KEEP>(v, inv, cs.as_mut_ptr(), cse.as_mut_ptr()) }
}

/// # Safety
/// With COLS, `q` and `qe` point at v.len() writable floats each.
#[inline(always)]
unsafe fn exp_sums_fixed_raw<I: Isa, const COLS: bool, const KEEP: bool>(
    v: &mut [f32],
    inv: f32,
    q: *mut f32,
    qe: *mut f32,
) -> (f32, f32) {
    let n = v.len();
    let body = n - n % 4;
    let (vi, vm) = (I::splat(inv), I::splat(-inv));
    let (mut s, mut se) = (I::splat(0.0), I::splat(0.0));
    let p = v.as_mut_ptr();
    let mut k = 0;
    while k < body {
        let t = I::madd(I::load(p.add(k)), vi, vm);
        let e = I::exp(t);
        s = I::add(s, e);
        se = I::madd(e, t, se);
        if KEEP {
            I::store(p.add(k), e);
        }
        if COLS {
            I::store(q.add(k), I::add(I::load(q.add(k)), e));
            I::store(qe.add(k), I::madd(e, t, I::load(qe.add(k))));
        }
        k += 4;
    }
    let (mut s, mut se) = (I::hsum(s), I::hsum(se));
    if k < n {
        let (t, e) = fixed_tail::<I>(&v[k..], inv);
        for l in 0..n - k {
            s += e[l];
            se += e[l] * t[l];
            if KEEP {
                v[k + l] = e[l];
            }
            if COLS {
                *q.add(k + l) += e[l];
                *qe.add(k + l) += e[l] * t[l];
            }
        }
    }
    (s, se)
}

/// (t, e) = (v/tau - M, e^t) for the last v.len() < 4 entries of a row, computed by the vector
/// code: an entry gets the same bits whichever pass computes it and wherever its row slice
/// starts (a scalar tail would round v/tau - M apart from relaxed SIMD's fused multiply-add).
#[inline(always)]
fn fixed_tail<I: Isa>(v: &[f32], inv: f32) -> ([f32; 4], [f32; 4]) {
    let mut x = [0.0f32; 4];
    x[..v.len()].copy_from_slice(v);
    let (mut t, mut e) = ([0.0f32; 4], [0.0f32; 4]);
    // SAFETY: four floats each.
    unsafe {
        let tv = I::madd(I::load(x.as_ptr()), I::splat(inv), I::splat(-inv));
        I::store(t.as_mut_ptr(), tv);
        I::store(e.as_mut_ptr(), I::exp(tv));
    }
    (t, e)
}

/// v_k <- a e^(v_k/tau - M): one row's softmax term, fixed shift.
#[inline]
pub(crate) fn exp_scaled<I: Isa>(v: &mut [f32], inv: f32, a: f32) {
    // SAFETY: with TWO = false the per-column factors are never read.
    unsafe { exp_scaled_raw::<I, true, false>(v, inv, a, core::ptr::null()) }
}

/// v_k <- e^(v_k/tau - M) (ai + a_k): both rows' softmax terms of one logit, fixed shift.
#[inline]
pub(crate) fn two_sided_fixed<I: Isa>(v: &mut [f32], inv: f32, ai: f32, a: &[f32]) {
    assert_eq!(a.len(), v.len());
    // SAFETY: a holds v.len() floats (checked).
    unsafe { exp_scaled_raw::<I, true, true>(v, inv, ai, a.as_ptr()) }
}

/// [`exp_scaled`] for a kept tile, which already holds e: v_k <- a v_k.
#[inline]
pub(crate) fn scaled<I: Isa>(v: &mut [f32], a: f32) {
    // SAFETY: with TWO = false the per-column factors are never read.
    unsafe { exp_scaled_raw::<I, false, false>(v, 0.0, a, core::ptr::null()) }
}

/// [`two_sided_fixed`] for a kept tile: v_k <- v_k (ai + a_k).
#[inline]
pub(crate) fn two_sided_scaled<I: Isa>(v: &mut [f32], ai: f32, a: &[f32]) {
    assert_eq!(a.len(), v.len());
    // SAFETY: a holds v.len() floats (checked).
    unsafe { exp_scaled_raw::<I, false, true>(v, 0.0, ai, a.as_ptr()) }
}

/// v_k <- e_k (ai + [TWO] a_k), e_k = e^(v_k/tau - M) if EXP, else v_k itself (a kept tile:
/// the same float, so both give the same bits).
///
/// # Safety
/// With TWO, `a` points at v.len() readable floats.
#[inline(always)]
unsafe fn exp_scaled_raw<I: Isa, const EXP: bool, const TWO: bool>(v: &mut [f32], inv: f32, ai: f32, a: *const f32) {
    let n = v.len();
    let body = n - n % 4;
    let (vi, vm, vai) = (I::splat(inv), I::splat(-inv), I::splat(ai));
    let p = v.as_mut_ptr();
    let mut k = 0;
    while k < body {
        let x = I::load(p.add(k));
        let e = if EXP { I::exp(I::madd(x, vi, vm)) } else { x };
        let f = if TWO { I::add(vai, I::load(a.add(k))) } else { vai };
        I::store(p.add(k), I::mul(e, f));
        k += 4;
    }
    if k < n {
        let e = if EXP { fixed_tail::<I>(&v[k..], inv).1 } else { [0.0; 4] };
        for l in 0..n - k {
            let f = if TWO { ai + *a.add(k + l) } else { ai };
            let e = if EXP { e[l] } else { v[k + l] };
            v[k + l] = e * f;
        }
    }
}

/// v_k <- ci exp(v_k - li) + c_k exp(v_k - lse_k): both rows' softmax terms of one logit.
#[inline]
pub(crate) fn two_sided<I: Isa>(v: &mut [f32], ci: f32, li: f32, c: &[f32], lse: &[f32]) {
    let n = v.len();
    let body = n - n % 4;
    let (vci, vli) = (I::splat(ci), I::splat(li));
    let p = v.as_mut_ptr();
    let mut k = 0;
    // SAFETY: k + 4 <= body <= n = c.len() = lse.len().
    unsafe {
        while k < body {
            let x = I::load(p.add(k));
            let e1 = I::exp(I::sub(x, vli));
            let e2 = I::exp(I::sub(x, I::load(lse.as_ptr().add(k))));
            I::store(p.add(k), I::madd(vci, e1, I::mul(I::load(c.as_ptr().add(k)), e2)));
            k += 4;
        }
    }
    while k < n {
        v[k] = ci * exp_f32(v[k] - li) + c[k] * exp_f32(v[k] - lse[k]);
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::core::{run, Grads, Problem};
    use crate::loss::oracle::rand_rows;
    use crate::simd::scalar::Scalar4;

    /// Two independent implementations of the same loss: the symmetric two-pass tiles against
    /// the plain streaming kernel, on a size that spans several panels and several chunks.
    fn compare(rows: usize, d: usize, targets: Targets, weight: &[f32], inv_tau: f32) {
        let mut u = rand_rows(rows, d, rows as u64 + d as u64);
        for r in u.chunks_mut(d) {
            let n = r.iter().map(|v| v * v).sum::<f32>().sqrt();
            r.iter_mut().for_each(|v| *v /= n);
        }
        let mut g1 = vec![0.0f32; rows * d];
        let mut g2 = vec![0.0f32; rows * d];
        let a = run_self::<Scalar4>(&u, rows, d, targets, weight, inv_tau, Some(&mut g1), 1 << 26).unwrap();
        let p = Problem { x: &u, rows, y: &u, cols: rows, d, self_sim: true, targets, weight, inv_tau };
        let b = run::<Scalar4>(&p, Some(Grads { gx: &mut g2, gy: None, gp: None })).unwrap();
        assert!((a.loss - b.loss).abs() < 1e-5 * (1.0 + b.loss.abs()), "loss {} vs {}", a.loss, b.loss);
        assert!((a.dtau - b.dtau).abs() < 1e-4 * (1.0 + b.dtau.abs()), "dtau {} vs {}", a.dtau, b.dtau);
        let gmax = g2.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        for (i, (x, y)) in g1.iter().zip(&g2).enumerate() {
            assert!((x - y).abs() <= 1e-4 * gmax, "row {} col {}: {x} vs {y}", i / d, i % d);
        }
        let c = run_self::<Scalar4>(&u, rows, d, targets, weight, inv_tau, None, 1 << 26).unwrap();
        assert_eq!(c, a, "loss-only must give the same loss and dtau");
        kept_tiles_change_no_bit(&u, rows, d, targets, weight, inv_tau);
    }

    /// Pass 2 from kept pass-1 tiles (all, a prefix of the panels, none) gives the same bits.
    fn kept_tiles_change_no_bit(u: &[f32], rows: usize, d: usize, targets: Targets, weight: &[f32], inv_tau: f32) {
        let mut g_all = vec![0.0f32; rows * d];
        let all = run_self::<Scalar4>(u, rows, d, targets, weight, inv_tau, Some(&mut g_all), usize::MAX).unwrap();
        // three whole panels and a bit: the rest is recomputed
        for bytes in [0, 4 * (3 * PANEL * rows + 100)] {
            let mut g = vec![0.0f32; rows * d];
            let o = run_self::<Scalar4>(u, rows, d, targets, weight, inv_tau, Some(&mut g), bytes).unwrap();
            assert_eq!(o, all, "{bytes} bytes kept");
            assert!(
                g.iter().zip(&g_all).all(|(x, y)| x.to_bits() == y.to_bits()),
                "{bytes} bytes kept: gradients differ"
            );
        }
    }

    #[test]
    fn symmetric_tiles_match_the_streaming_kernel_across_panels_and_chunks() {
        let rows = 2 * CHUNK + 2 * PANEL + 6; // several chunks, a ragged last panel and chunk
        let n = rows / 2;
        let idx: Vec<u32> = (0..rows).map(|i| if i < n { i + n } else { i - n } as u32).collect();
        // 1/tau = 5: the fixed-shift path; 1/tau = 50: the online statistics
        for inv_tau in [5.0, FIXED_MAX_INV_TAU, 50.0] {
            compare(rows, 5, Targets::Index(&idx), &vec![1.0 / rows as f32; rows], inv_tau);
        }
    }

    #[test]
    fn symmetric_tiles_match_with_labels_and_left_out_anchors() {
        let rows = CHUNK + 3 * PANEL + 1;
        // labels 0..37 repeating, plus a few singletons (left out of the mean)
        let labels: Vec<u32> = (0..rows as u32).map(|i| if i % 97 == 5 { 40 + i / 97 } else { i % 37 }).collect();
        let mut count = vec![0u32; rows];
        labels.iter().for_each(|&l| count[l as usize] += 1);
        let anchors = labels.iter().filter(|&&l| count[l as usize] > 1).count() as f32;
        let weight: Vec<f32> =
            labels.iter().map(|&l| if count[l as usize] > 1 { 1.0 / anchors } else { 0.0 }).collect();
        for inv_tau in [5.0, 50.0] {
            compare(rows, 3, Targets::Labels { labels: &labels, count: &count }, &weight, inv_tau);
        }
    }
}
