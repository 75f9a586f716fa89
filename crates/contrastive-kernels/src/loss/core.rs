//! The fused, streaming cross-entropy over cosine logits that every loss of the family is.
//!
//! Rows x_i (R x D) and columns y_k (C x D) are already unit vectors. For each row i with
//! weight w_i > 0 (its share of the mean) and candidate set K_i (every column, minus the
//! diagonal when x and y are the same rows, plus one extra "paired" logit when asked):
//!
//!   l_ik  = (x_i . y_k) / tau
//!   m_i   = max_{k in K_i} l_ik,   s_i = sum_{k in K_i} exp(l_ik - m_i)
//!   lse_i = m_i + ln s_i,          P_ik = exp(l_ik - m_i) / s_i
//!   T_i   = sum_k Y_ik l_ik        (Y_i: target weights of row i, summing to 1)
//!   L    += w_i (lse_i - T_i)
//!   G_ik  = w_i (P_ik - Y_ik) / tau          (= dL/dc_ik, c the cosine)
//!   dL/dtau += -(w_i / tau) sum_k (P_ik - Y_ik) l_ik
//!           =  -(w_i / tau) (E_i - T_i + m_i)   with E_i = sum_k P_ik (l_ik - m_i)
//!   dL/dx_i += sum_k G_ik y_k,   dL/dy_k += sum_i G_ik x_i
//!
//! Rows are processed in blocks: one GEMM gives the block's cosines (block x C), three
//! vector passes turn them into G in place (scale + max; exp + sums; scale - targets),
//! two GEMMs send G back to x and y. Scratch is O(block x C); the R x C matrix never exists.
//! Excluded entries are skipped (the row is processed as two ranges around them), never set
//! to -inf and exponentiated.

use crate::gemm::{gemm, gemm_packed, gemm_packed_into, PackedB, Packs, Strided};
use crate::loss::normalize::{axpy, dot};
use crate::loss::LossOut;
use crate::simd::{exp_f32, Isa};
use crate::{try_vec, Oom};

/// Which logits of a row are its positives.
#[derive(Clone, Copy)]
pub enum Targets<'a> {
    /// The positive of row i is column `idx[i]`.
    Index(&'a [u32]),
    /// Multi-positive (SupCon): the positives of row i are the other rows with its label;
    /// `count[c]` is the number of rows labelled c. Needs `self_sim`.
    Labels { labels: &'a [u32], count: &'a [u32] },
    /// The positive of row i is one extra logit x_i . p_i / tau (p: R x D).
    Paired(&'a [f32]),
}

pub struct Problem<'a> {
    pub x: &'a [f32],
    pub rows: usize,
    /// Ignored when `self_sim` (then the columns are the rows).
    pub y: &'a [f32],
    pub cols: usize,
    pub d: usize,
    /// x and y are the same rows: the diagonal is excluded and both gradients land in gx.
    pub self_sim: bool,
    pub targets: Targets<'a>,
    /// w_i: the weight of row i in the mean; 0 leaves the row out entirely.
    pub weight: &'a [f32],
    pub inv_tau: f32,
}

/// Gradient accumulators (added to, never overwritten).
pub struct Grads<'a> {
    pub gx: &'a mut [f32],
    /// dL/dy; must be None when `self_sim` (it goes to gx).
    pub gy: Option<&'a mut [f32]>,
    /// dL/dp for `Targets::Paired`.
    pub gp: Option<&'a mut [f32]>,
}

/// Bytes of logits scratch a block may use; the block height follows from the width.
const BLOCK_BYTES: usize = 8 << 20;

pub fn block_rows(cols: usize) -> usize {
    let b = BLOCK_BYTES / 4 / cols.max(1);
    (b.clamp(4, 64) / 4) * 4
}

pub fn run<I: Isa>(p: &Problem, mut grads: Option<Grads>) -> Result<LossOut, Oom> {
    let (rows, cols, d) = (p.rows, p.cols, p.d);
    let y = if p.self_sim { p.x } else { p.y };
    debug_assert!(!p.self_sim || cols == rows);
    let bs = block_rows(cols);
    let mut s = try_vec(bs * cols)?;
    let mut gpos = try_vec(bs)?;
    let mut packs = Packs::new()?;
    // Y meets every row block twice (as Y^T in the logits, as Y in dL/dx): pack it once each way.
    let yt = PackedB::new(Strided::transposed(y, d), d, cols)?;
    let yn = if grads.is_some() { Some(PackedB::new(Strided::rows(y, d), cols, d)?) } else { None };
    let inv_tau = p.inv_tau;
    let (mut loss, mut dtau) = (0.0f64, 0.0f64);

    let mut r0 = 0;
    while r0 < rows {
        let b = bs.min(rows - r0);
        let sb = &mut s[..b * cols];
        let xb = &p.x[r0 * d..(r0 + b) * d];
        gemm_packed_into::<I>(b, Strided::rows(xb, d), &yt, 0, cols, sb, cols, &mut packs);

        for i in 0..b {
            let r = r0 + i;
            let w = p.weight[r];
            let row = &mut sb[i * cols..(i + 1) * cols];
            gpos[i] = 0.0;
            if w == 0.0 {
                row.fill(0.0);
                continue;
            }
            let excl = if p.self_sim { r } else { cols };
            let (lo, rest) = row.split_at_mut(excl.min(cols));
            let hi = if rest.is_empty() { rest } else { &mut rest[1..] };

            // pass 1: cosines -> logits, row max
            let mut m = scale_max::<I>(lo, inv_tau).max(scale_max::<I>(hi, inv_tau));
            let pos = match p.targets {
                Targets::Paired(pv) => {
                    let l = dot::<I>(&p.x[r * d..(r + 1) * d], &pv[r * d..(r + 1) * d]) * inv_tau;
                    m = m.max(l);
                    Some(l)
                }
                _ => None,
            };
            // T_i - m_i, the target logit(s) relative to the max
            let t = match p.targets {
                Targets::Index(ix) => {
                    let k = ix[r] as usize;
                    (if k < excl { lo[k] } else { hi[k - excl - 1] }) - m
                }
                Targets::Labels { labels, count } => {
                    let c = labels[r];
                    let np = count[c as usize] - 1;
                    let mut acc = 0.0f32;
                    for (k, v) in lo.iter().enumerate() {
                        if labels[k] == c {
                            acc += v - m;
                        }
                    }
                    for (k, v) in hi.iter().enumerate() {
                        if labels[excl + 1 + k] == c {
                            acc += v - m;
                        }
                    }
                    acc / np as f32
                }
                Targets::Paired(_) => pos.unwrap() - m,
            };

            // pass 2: e = exp(l - m) in place, s = sum e, se = sum e (l - m)
            let (s1, se1) = exp_sums::<I>(lo, m);
            let (s2, se2) = exp_sums::<I>(hi, m);
            let (mut sum, mut se) = (s1 + s2, se1 + se2);
            let mut epos = 0.0;
            if let Some(l) = pos {
                epos = exp_f32(l - m);
                sum += epos;
                se += epos * (l - m);
            }
            let ln_s = (sum as f64).ln();
            loss += w as f64 * (ln_s - t as f64);
            dtau -= (w * inv_tau) as f64 * ((se / sum) as f64 - t as f64);

            if grads.is_none() {
                continue;
            }
            // pass 3: G = w (P - Y) / tau
            let c = w * inv_tau / sum;
            let wt = w * inv_tau;
            scale::<I>(lo, c);
            scale::<I>(hi, c);
            if excl < cols {
                row[excl] = 0.0;
            }
            match p.targets {
                Targets::Index(ix) => row[ix[r] as usize] -= wt,
                Targets::Labels { labels, count } => {
                    let lab = labels[r];
                    let yv = wt / (count[lab as usize] - 1) as f32;
                    for (k, v) in row.iter_mut().enumerate() {
                        if labels[k] == lab && k != r {
                            *v -= yv;
                        }
                    }
                }
                Targets::Paired(_) => gpos[i] = c * epos - wt,
            }
        }

        if let Some(g) = grads.as_mut() {
            // dL/dx_block += G · Y
            let yn = yn.as_ref().expect("packed when grads are asked for");
            gemm_packed::<I>(b, Strided::rows(sb, cols), yn, 0, d, &mut g.gx[r0 * d..], d, &mut packs);
            // dL/dY += G^T · X_block
            let gy: &mut [f32] = match g.gy.as_deref_mut() {
                Some(gy) => gy,
                None => &mut *g.gx,
            };
            gemm::<I>(cols, d, b, Strided::transposed(sb, cols), Strided::rows(xb, d), gy, d, &mut packs);
            if let Targets::Paired(pv) = p.targets {
                let gp = g.gp.as_mut().expect("paired targets need gp");
                for i in 0..b {
                    let r = r0 + i;
                    axpy::<I>(gpos[i], &pv[r * d..(r + 1) * d], &mut g.gx[r * d..(r + 1) * d]);
                    axpy::<I>(gpos[i], &xb[i * d..(i + 1) * d], &mut gp[r * d..(r + 1) * d]);
                }
            }
        }
        r0 += b;
    }
    Ok(LossOut { loss, dtau })
}

/// v *= s in place; returns max(v) (-inf when empty).
#[inline]
pub(crate) fn scale_max<I: Isa>(v: &mut [f32], s: f32) -> f32 {
    let n = v.len();
    let body = n - n % 4;
    let vs = I::splat(s);
    let mut vm = I::splat(f32::NEG_INFINITY);
    let p = v.as_mut_ptr();
    let mut k = 0;
    // SAFETY: k + 4 <= body <= n.
    unsafe {
        while k < body {
            let x = I::mul(I::load(p.add(k)), vs);
            I::store(p.add(k), x);
            vm = I::max(vm, x);
            k += 4;
        }
    }
    let mut m = I::hmax(vm);
    while k < n {
        v[k] *= s;
        m = m.max(v[k]);
        k += 1;
    }
    m
}

/// v <- exp(v - m) in place; returns (sum of the new v, sum of new v times (old v - m)).
#[inline]
fn exp_sums<I: Isa>(v: &mut [f32], m: f32) -> (f32, f32) {
    // SAFETY: the pointer and length come from a live mutable slice.
    unsafe { exp_sums_raw::<I, true>(v.as_mut_ptr(), v.len(), m) }
}

/// The same sums without writing v.
#[inline]
pub(crate) fn exp_sums_ro<I: Isa>(v: &[f32], m: f32) -> (f32, f32) {
    // SAFETY: with STORE = false nothing is written through the pointer.
    unsafe { exp_sums_raw::<I, false>(v.as_ptr() as *mut f32, v.len(), m) }
}

/// sum exp(v - m) and sum exp(v - m)(v - m) over n floats at p; STORE writes exp(v - m) back.
///
/// # Safety
/// p points at n floats, writable when STORE.
#[inline(always)]
unsafe fn exp_sums_raw<I: Isa, const STORE: bool>(p: *mut f32, n: usize, m: f32) -> (f32, f32) {
    let body = n - n % 4;
    let vm = I::splat(m);
    let (mut s, mut se) = (I::splat(0.0), I::splat(0.0));
    let mut k = 0;
    while k < body {
        let t = I::sub(I::load(p.add(k)), vm);
        let e = I::exp(t);
        if STORE {
            I::store(p.add(k), e);
        }
        s = I::add(s, e);
        se = I::madd(e, t, se);
        k += 4;
    }
    let (mut s, mut se) = (I::hsum(s), I::hsum(se));
    while k < n {
        let t = *p.add(k) - m;
        let e = exp_f32(t);
        if STORE {
            *p.add(k) = e;
        }
        s += e;
        se += e * t;
        k += 1;
    }
    (s, se)
}

#[inline]
fn scale<I: Isa>(v: &mut [f32], c: f32) {
    let n = v.len();
    let body = n - n % 4;
    let vc = I::splat(c);
    let p = v.as_mut_ptr();
    let mut k = 0;
    unsafe {
        while k < body {
            I::store(p.add(k), I::mul(I::load(p.add(k)), vc));
            k += 4;
        }
    }
    while k < n {
        v[k] *= c;
        k += 1;
    }
}
