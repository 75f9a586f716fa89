//! Pass-1 tiles kept for pass 2, within a memory budget.
//!
//! The two-pass loss kernels (selfsim.rs, clip.rs) recompute every logit tile in pass 2 because
//! pass 2 needs the row statistics of all rows first. On the fixed-shift path a pass-1 tile
//! ends up holding e_ik = e^(l_ik - M), which is exactly what pass 2 starts from: keeping it
//! saves the tile's GEMM (R^2 D of the self-similarity kernel's 4 R^2 D flops, N^2 D of CLIP's
//! 4 N^2 D) and its exponentials, for 4 bytes per kept entry. Pass 2 then only scales:
//!   H_ik = e_ik (a_i + a_k) - Y terms.
//! The kept values are the very floats pass 2 would recompute (same GEMM, same exponential), so
//! the results are bit-identical with or without the cache.
//!
//! The budget is a process-wide setting ([`set_budget_bytes`], `ct_set_tile_cache`); row panels
//! are kept in order while they fit, so a budget below the whole triangle still saves its share.
//! With the budget at 0 the kernels' scratch is O(PANEL x CHUNK) as before; with any budget it
//! is at most that plus the budget, whatever the batch.

use core::sync::atomic::{AtomicUsize, Ordering};

use crate::{try_vec_dirty, Scratch};

/// The default budget: 64 MiB keeps every tile of an NT-Xent batch up to 2N = 5,792 (and a
/// CLIP batch up to N = 4,096), and a share of bigger ones.
pub const DEFAULT_BUDGET_BYTES: usize = 64 << 20;

static BUDGET: AtomicUsize = AtomicUsize::new(DEFAULT_BUDGET_BYTES);

/// Sets the bytes the loss kernels may keep between their passes; returns the previous value.
pub fn set_budget_bytes(bytes: usize) -> usize {
    BUDGET.swap(bytes, Ordering::Relaxed)
}

pub fn budget_bytes() -> usize {
    BUDGET.load(Ordering::Relaxed)
}

/// The kept panels: panel p's tiles at `data[start[p]..start[p + 1]]` for p < kept.
pub(crate) struct TileCache {
    data: Option<Scratch>,
    start: Vec<usize>,
}

impl TileCache {
    /// `sizes`: the floats each row panel's tiles take, in panel order. Keeps the longest prefix
    /// that fits `bytes`; if that much memory cannot be had, keeps nothing (the kernels then
    /// recompute, which costs time, not correctness).
    pub fn new(sizes: impl Iterator<Item = usize>, bytes: usize) -> TileCache {
        let cap = bytes / 4;
        let mut start = vec![0usize];
        for s in sizes {
            let end = start[start.len() - 1] + s;
            if end > cap {
                break;
            }
            start.push(end);
        }
        let total = start[start.len() - 1];
        let data = if total == 0 { None } else { try_vec_dirty(total).ok() };
        if data.is_none() {
            start.truncate(1);
        }
        TileCache { data, start }
    }

    /// An empty cache (loss only: nothing to keep for a pass 2).
    pub fn none() -> TileCache {
        TileCache { data: None, start: vec![0] }
    }

    /// Panel p's tiles, if kept.
    pub fn panel(&mut self, p: usize) -> Option<&mut [f32]> {
        if p + 1 >= self.start.len() {
            return None;
        }
        let (a, b) = (self.start[p], self.start[p + 1]);
        self.data.as_mut().map(|d| &mut d[a..b])
    }

    /// Panels kept.
    #[cfg(test)]
    pub fn kept(&self) -> usize {
        self.start.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_longest_prefix_of_panels_that_fits_the_budget() {
        let sizes = [10usize, 8, 6, 4];
        assert_eq!(TileCache::new(sizes.into_iter(), 0).kept(), 0);
        assert_eq!(TileCache::new(sizes.into_iter(), 4 * 17).kept(), 1);
        assert_eq!(TileCache::new(sizes.into_iter(), 4 * 18).kept(), 2);
        let mut all = TileCache::new(sizes.into_iter(), usize::MAX / 8);
        assert_eq!(all.kept(), 4);
        assert_eq!(all.panel(1).map(|p| p.len()), Some(8));
        assert_eq!(all.panel(3).map(|p| p.len()), Some(4));
        assert!(all.panel(4).is_none());
        assert!(TileCache::none().panel(0).is_none());
    }

    #[test]
    fn an_impossible_budget_keeps_nothing_instead_of_failing() {
        // more than any allocator can give: the kernels fall back to recomputing
        let c = TileCache::new([usize::MAX / 16].into_iter(), usize::MAX);
        assert_eq!(c.kept(), 0);
    }
}
