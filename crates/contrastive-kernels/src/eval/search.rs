//! Exact top-k search: the k corpus rows with the highest score for every query, streaming the
//! corpus through the GEMM one chunk at a time (no queries x corpus matrix).
//!
//!   score_ij = q_i . c_j                  (dot), or q^_i . c^_j with unit rows (cosine)
//!   top_i    = the k largest score_ij, ties to the lower corpus index
//!
//! The caller keeps, per query, a heap of its best k so far (scores and global corpus indices,
//! k slots each) and calls [`update`] once per corpus chunk with `seen` = the rows before it. Per
//! chunk: the chunk is packed once, then for each block of QB queries one GEMM gives the
//! QB x chunk scores and every score above the query's current k-th best enters its min-heap.
//! Scratch: QB x chunk scores plus the packed chunk. [`finish`] sorts each heap best first.

use crate::gemm::{gemm_packed_into, PackedB, Packs, Strided};
use crate::loss::normalize;
use crate::simd::Isa;
use crate::{try_vec, Oom};

/// Queries per GEMM call.
const QB: usize = 64;

/// (score, index) ordering: a is worse than b when its score is lower, or equal with a higher index.
#[inline]
fn worse(sa: f32, ia: u32, sb: f32, ib: u32) -> bool {
    sa < sb || (sa == sb && ia > ib)
}

/// Restores the min-heap (worst at the root) below slot `i`.
fn sift_down(s: &mut [f32], ix: &mut [u32], mut i: usize) {
    let n = s.len();
    loop {
        let l = 2 * i + 1;
        if l >= n {
            return;
        }
        let r = l + 1;
        let c = if r < n && worse(s[r], ix[r], s[l], ix[l]) { r } else { l };
        if worse(s[c], ix[c], s[i], ix[i]) {
            s.swap(c, i);
            ix.swap(c, i);
            i = c;
        } else {
            return;
        }
    }
}

fn sift_up(s: &mut [f32], ix: &mut [u32], mut i: usize) {
    while i > 0 {
        let p = (i - 1) / 2;
        if worse(s[i], ix[i], s[p], ix[p]) {
            s.swap(i, p);
            ix.swap(i, p);
            i = p;
        } else {
            return;
        }
    }
}

/// One query's heap `(hs, hi)` (k slots, the first `len` in use) meets a row of scores of
/// corpus rows `base..`; corpus indices increase along the row, so a tie never displaces.
fn offer(hs: &mut [f32], hi: &mut [u32], mut len: usize, row: &[f32], base: usize) {
    let k = hs.len();
    let mut j = 0;
    while len < k && j < row.len() {
        hs[len] = row[j];
        hi[len] = (base + j) as u32;
        len += 1;
        sift_up(&mut hs[..len], &mut hi[..len], len - 1);
        j += 1;
    }
    if k == 0 {
        return;
    }
    let mut thr = hs[0];
    while j < row.len() {
        let v = row[j];
        if v > thr {
            hs[0] = v;
            hi[0] = (base + j) as u32;
            sift_down(hs, hi, 0);
            thr = hs[0];
        }
        j += 1;
    }
}

/// `q`: nq x d; `chunk`: cn x d, the corpus rows `seen..seen + cn`; `hs`/`hi`: nq x k heaps
/// holding min(k, seen) entries each on entry, min(k, seen + cn) on return.
#[allow(clippy::too_many_arguments)]
pub fn update<I: Isa>(
    q: &[f32],
    nq: usize,
    chunk: &[f32],
    cn: usize,
    d: usize,
    k: usize,
    seen: usize,
    cosine: bool,
    hs: &mut [f32],
    hi: &mut [u32],
) -> Result<(), Oom> {
    if cn == 0 || nq == 0 || k == 0 {
        return Ok(());
    }
    let unit = |x: &[f32], rows: usize| -> Result<crate::Scratch, Oom> {
        let mut u = try_vec(rows * d)?;
        let mut inv = try_vec(rows)?;
        let mut cl = vec![false; rows];
        normalize::forward::<I>(x, rows, d, &mut u, &mut inv, &mut cl);
        Ok(u)
    };
    let (qu, cu);
    let (qv, cv): (&[f32], &[f32]) = if cosine {
        qu = unit(q, nq)?;
        cu = unit(chunk, cn)?;
        (&qu, &cu)
    } else {
        (q, chunk)
    };
    let packed = PackedB::new(Strided::transposed(cv, d), d, cn)?;
    let mut packs = Packs::new()?;
    let mut s = try_vec(QB.min(nq) * cn)?;
    let len = k.min(seen);
    let mut q0 = 0;
    while q0 < nq {
        let b = QB.min(nq - q0);
        gemm_packed_into::<I>(b, Strided::rows(&qv[q0 * d..(q0 + b) * d], d), &packed, 0, cn, &mut s[..b * cn], cn, &mut packs);
        for i in 0..b {
            let r = q0 + i;
            offer(&mut hs[r * k..(r + 1) * k], &mut hi[r * k..(r + 1) * k], len, &s[i * cn..(i + 1) * cn], seen);
        }
        q0 += b;
    }
    Ok(())
}

/// Sorts every heap of `filled` (<= k) entries best first (score descending, index ascending).
pub fn finish(nq: usize, k: usize, filled: usize, hs: &mut [f32], hi: &mut [u32]) {
    let mut pairs: Vec<(f32, u32)> = Vec::with_capacity(filled);
    for r in 0..nq {
        pairs.clear();
        pairs.extend((0..filled).map(|j| (hs[r * k + j], hi[r * k + j])));
        pairs.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(core::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
        for (j, (s, i)) in pairs.iter().enumerate() {
            hs[r * k + j] = *s;
            hi[r * k + j] = *i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loss::oracle::rand_rows;
    use crate::simd::scalar::Scalar4;

    /// The brute-force answer in f64: all scores, sorted.
    fn brute(q: &[f32], c: &[f32], d: usize, k: usize, cosine: bool) -> Vec<Vec<u32>> {
        let nq = q.len() / d;
        let nc = c.len() / d;
        let norm = |x: &[f32]| if cosine { x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>().sqrt() } else { 1.0 };
        (0..nq)
            .map(|i| {
                let qi = &q[i * d..(i + 1) * d];
                let mut s: Vec<(f64, u32)> = (0..nc)
                    .map(|j| {
                        let cj = &c[j * d..(j + 1) * d];
                        (qi.iter().zip(cj).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>() / (norm(qi) * norm(cj)), j as u32)
                    })
                    .collect();
                s.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap().then(a.1.cmp(&b.1)));
                s.iter().take(k).map(|p| p.1).collect()
            })
            .collect()
    }

    fn search(q: &[f32], c: &[f32], d: usize, k: usize, chunk: usize, cosine: bool) -> (Vec<u32>, Vec<f32>, usize) {
        let nq = q.len() / d;
        let nc = c.len() / d;
        let (mut hs, mut hi) = (vec![0.0f32; nq * k], vec![0u32; nq * k]);
        let mut seen = 0;
        while seen < nc {
            let cn = chunk.min(nc - seen);
            update::<Scalar4>(q, nq, &c[seen * d..(seen + cn) * d], cn, d, k, seen, cosine, &mut hs, &mut hi).unwrap();
            seen += cn;
        }
        let filled = k.min(nc);
        finish(nq, k, filled, &mut hs, &mut hi);
        (hi, hs, filled)
    }

    #[test]
    fn chunked_top_k_equals_brute_force_for_any_chunk_size() {
        for &(nq, nc, d, k) in &[(1usize, 1usize, 1usize, 1usize), (3, 50, 7, 5), (70, 301, 33, 10), (5, 9, 4, 20)] {
            for cosine in [false, true] {
                let q = rand_rows(nq, d, (nq * 3 + d) as u64);
                let c = rand_rows(nc, d, (nc * 5 + d) as u64);
                let want = brute(&q, &c, d, k, cosine);
                for &chunk in &[1usize, 7, 64, 1000] {
                    let (hi, hs, filled) = search(&q, &c, d, k, chunk, cosine);
                    assert_eq!(filled, k.min(nc));
                    for i in 0..nq {
                        assert_eq!(&hi[i * k..i * k + filled], &want[i][..], "query {i} chunk {chunk} cosine {cosine}");
                        assert!(hs[i * k..i * k + filled].windows(2).all(|w| w[0] >= w[1]));
                    }
                }
            }
        }
    }

    #[test]
    fn tied_scores_keep_the_lower_corpus_index() {
        // every corpus row identical: the top 3 must be rows 0, 1, 2 in that order, in any chunking
        let d = 4;
        let q = [1.0f32, 2.0, 3.0, 4.0];
        let c: Vec<f32> = (0..40).flat_map(|_| [0.5f32, 0.5, 0.5, 0.5]).collect();
        for &chunk in &[1usize, 3, 40] {
            let (hi, _, _) = search(&q, &c, d, 3, chunk, true);
            assert_eq!(hi, vec![0, 1, 2]);
        }
    }
}
