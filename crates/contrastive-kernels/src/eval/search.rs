//! Exact top-k search: the k corpus rows with the highest score for every query, streaming the
//! corpus through the GEMM micro-kernel one chunk at a time (no queries x corpus matrix).
//!
//!   score_ij = q_i . c_j                  (dot), or q^_i . c^_j with unit rows (cosine)
//!   top_i    = the k largest score_ij, ties to the lower corpus index
//!
//! The caller keeps, per query, a heap of its best k so far (scores and global corpus indices,
//! k slots each) and calls [`update`] once per corpus chunk with `seen` = the rows before it.
//! Per chunk the rows are packed once as the GEMM's 8-wide panels of full depth d; then, for each
//! block of QB queries (packed as 4-tall panels), every 4 x 8 tile of scores is computed by the
//! GEMM's micro-kernel over the whole depth and tested at once against the four queries' k-th
//! best: a score enters a heap only when it beats it, and no score is ever stored. Each query
//! meets the corpus rows in increasing order, so a tie never displaces an earlier row. Scratch:
//! the packed chunk plus QB x d floats per thread; query blocks run on the thread pool, and every
//! score is the same sum in the same order whatever the thread count.

use crate::gemm::{kernel_4x8, pack_a, pack_b, Strided, MR, NR};
use crate::loss::normalize;
use crate::par::{self, SharedMut};
use crate::simd::Isa;
use crate::{try_vec, try_vec_dirty, Oom};

/// Queries per block: their packed panels (QB x d floats) stay in L2 while every corpus
/// panel passes them once.
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

/// One query's heap: k slots, the first `len` in use, worst at the root.
struct Heap<'a> {
    s: &'a mut [f32],
    ix: &'a mut [u32],
    len: usize,
}

impl Heap<'_> {
    /// The score a new entry must beat: the k-th best, or -inf while the heap is filling.
    #[inline]
    fn threshold(&self) -> f32 {
        if self.len < self.s.len() {
            f32::NEG_INFINITY
        } else {
            self.s[0]
        }
    }
    /// Offers corpus row `j` (rows come in increasing order, so an equal score never displaces).
    fn offer(&mut self, v: f32, j: u32) {
        let k = self.s.len();
        if self.len < k {
            self.s[self.len] = v;
            self.ix[self.len] = j;
            self.len += 1;
            let n = self.len;
            sift_up(&mut self.s[..n], &mut self.ix[..n], n - 1);
        } else if v > self.s[0] {
            self.s[0] = v;
            self.ix[0] = j;
            sift_down(self.s, self.ix, 0);
        }
    }
}

/// `q`: nq x d (unit rows when `cosine`: see [`normalize::unit_rows`]); `chunk`: cn x d, the
/// corpus rows `seen..seen + cn` (normalized here when `cosine`); `hs`/`hi`: nq x k heaps holding
/// min(k, seen) entries each on entry, min(k, seen + cn) on return.
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
    let cu;
    let cv: &[f32] = if cosine {
        let mut u = try_vec_dirty(cn * d)?;
        u.copy_from_slice(&chunk[..cn * d]);
        normalize::unit_rows::<I>(&mut u, cn, d);
        cu = u;
        &cu
    } else {
        chunk
    };
    // the chunk as NR-wide panels of depth d: panel jp holds rows jp * NR.., k-major, zero-padded
    let mut pb = try_vec(cn.div_ceil(NR) * NR * d)?;
    pack_b::<I>(&Strided::transposed(cv, d), 0, d, 0, cn, &mut pb);
    let blocks = nq.div_ceil(QB);
    let (hs, hi) = (SharedMut::new(hs), SharedMut::new(hi));
    let failed = core::sync::atomic::AtomicBool::new(false);
    let len = k.min(seen);
    let block = |blk: usize| {
        let q0 = blk * QB;
        let b = QB.min(nq - q0);
        let Ok(mut pa) = try_vec(b.div_ceil(MR) * MR * d) else {
            failed.store(true, core::sync::atomic::Ordering::Relaxed);
            return;
        };
        pack_a::<I>(&Strided::rows(&q[q0 * d..(q0 + b) * d], d), 0, b, 0, d, &mut pa);
        // SAFETY: blocks own disjoint query rows q0..q0 + b of both heaps.
        let (s, ix) = unsafe { (hs.part(q0 * k, b * k), hi.part(q0 * k, b * k)) };
        let mut heaps: Vec<Heap> = s.chunks_mut(k).zip(ix.chunks_mut(k)).map(|(s, ix)| Heap { s, ix, len }).collect();
        let mut tile = [0.0f32; MR * NR];
        for jp in 0..cn.div_ceil(NR) {
            let w = NR.min(cn - jp * NR);
            let base = (seen + jp * NR) as u32;
            let bp = &pb[jp * NR * d..(jp + 1) * NR * d];
            for ip in 0..b.div_ceil(MR) {
                let h = MR.min(b - ip * MR);
                // SAFETY: the panels hold MR * d and NR * d floats; the tile is MR x NR.
                unsafe { kernel_4x8::<I>(d, pa[ip * MR * d..].as_ptr(), bp.as_ptr(), tile.as_mut_ptr(), NR, true) };
                for i in 0..h {
                    let heap = &mut heaps[ip * MR + i];
                    let row = &tile[i * NR..i * NR + w];
                    let thr = heap.threshold();
                    if row.iter().any(|&v| v > thr) || heap.len < k {
                        for (j, &v) in row.iter().enumerate() {
                            heap.offer(v, base + j as u32);
                        }
                    }
                }
            }
        }
    };
    par::for_each(blocks, &|p, _| block(p));
    if failed.into_inner() {
        return Err(Oom);
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
        let mut q = q.to_vec();
        if cosine {
            normalize::unit_rows::<Scalar4>(&mut q, nq, d);
        }
        let mut seen = 0;
        while seen < nc {
            let cn = chunk.min(nc - seen);
            update::<Scalar4>(&q, nq, &c[seen * d..(seen + cn) * d], cn, d, k, seen, cosine, &mut hs, &mut hi).unwrap();
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
    fn duplicate_rows_and_ragged_blocks_match_brute_force() {
        // 13 distinct rows repeated 23 times (exact ties everywhere), 67 queries (a partial query
        // block and micro-panel), 299 rows (a partial 8-row panel), k above and below the corpus
        let d = 10;
        let base = rand_rows(13, d, 7);
        let c: Vec<f32> = (0..299).flat_map(|j| base[(j % 13) * d..(j % 13 + 1) * d].to_vec()).collect();
        let q = rand_rows(67, d, 8);
        for cosine in [false, true] {
            for &k in &[1usize, 10, 30, 400] {
                let want = brute(&q, &c, d, k, cosine);
                for &chunk in &[5usize, 64, 299] {
                    let (hi, _, filled) = search(&q, &c, d, k, chunk, cosine);
                    for i in 0..67 {
                        assert_eq!(&hi[i * k..i * k + filled], &want[i][..], "query {i} k {k} chunk {chunk} cosine {cosine}");
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
