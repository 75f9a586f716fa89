//! contrastive-kernels: all arithmetic of the contrastive library, on f32 buffers.
//!
//! No dependencies. Compiled to WebAssembly (SIMD128, optionally relaxed SIMD) and driven
//! from TypeScript through the C ABI in [`abi`]; natively, `cargo test` runs every kernel
//! against scalar and float64 oracles.

// memory.atomic.wait32 / notify: unstable intrinsics, only in the threads build, which is
// compiled with -Zbuild-std (RUSTC_BOOTSTRAP=1) anyway.
#![cfg_attr(all(target_arch = "wasm32", target_feature = "atomics"), feature(stdarch_wasm_atomic_wait))]

pub mod abi;
pub mod augment;
pub mod check;
pub mod eval;
pub mod gemm;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod par;
pub mod simd;

/// Memory could not be reserved for scratch space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oom;

/// Zeroed f32 scratch that reports allocation failure instead of aborting (an abort would be a
/// wasm trap in the caller's face). Dropped buffers go back to a pool that the next request of
/// the same or a smaller size takes, so a training loop, which asks for the same sizes every
/// step, allocates nothing from the second step on and the heap cannot fragment between steps.
pub fn try_vec(len: usize) -> Result<Scratch, Oom> {
    take(len, true)
}

/// As [`try_vec`] for buffers the caller writes before it reads them (GEMM packing): a pooled
/// buffer keeps its stale values rather than being zeroed again on every call.
pub fn try_vec_dirty(len: usize) -> Result<Scratch, Oom> {
    take(len, false)
}

fn take(len: usize, zero: bool) -> Result<Scratch, Oom> {
    let reused = POOL.with(|p| {
        let mut p = p.borrow_mut();
        // best fit: the smallest pooled buffer that holds len
        let i = (0..p.len()).filter(|&i| p[i].capacity() >= len).min_by_key(|&i| p[i].capacity())?;
        Some(p.swap_remove(i))
    });
    let mut v = match reused {
        Some(v) => v,
        None => {
            let mut v = Vec::new();
            v.try_reserve_exact(len).map_err(|_| Oom)?;
            v
        }
    };
    if zero || v.len() < len {
        v.clear();
        v.resize(len, 0.0);
    } else {
        v.truncate(len);
    }
    Ok(Scratch(v))
}

/// Pooled buffers are kept while their total stays under this many floats (256 MiB); larger
/// one-off requests go back to the allocator.
const POOL_FLOATS: usize = 64 << 20;

std::thread_local! {
    static POOL: core::cell::RefCell<Vec<Vec<f32>>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// A scratch buffer from [`try_vec`]: a `Vec<f32>` that returns to the pool when dropped.
pub struct Scratch(Vec<f32>);

impl core::ops::Deref for Scratch {
    type Target = Vec<f32>;
    fn deref(&self) -> &Vec<f32> {
        &self.0
    }
}

impl core::ops::DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut Vec<f32> {
        &mut self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let v = core::mem::take(&mut self.0);
        if v.capacity() == 0 {
            return;
        }
        POOL.with(|p| {
            let mut p = p.borrow_mut();
            let held: usize = p.iter().map(|b| b.capacity()).sum();
            if held + v.capacity() <= POOL_FLOATS {
                p.push(v);
            }
        });
    }
}

#[cfg(test)]
mod scratch_tests {
    use super::*;

    #[test]
    fn a_dirty_buffer_back_in_the_pool_comes_out_of_try_vec_zeroed() {
        {
            let mut d = try_vec_dirty(1000).unwrap();
            assert_eq!(d.len(), 1000);
            d.iter_mut().for_each(|v| *v = 7.0);
        }
        let z = try_vec(1000).unwrap();
        assert!(z.iter().all(|v| *v == 0.0));
        drop(z);
        assert_eq!(try_vec_dirty(600).unwrap().len(), 600);
        assert_eq!(try_vec_dirty(1500).unwrap().len(), 1500);
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    /// SplitMix64: tiny, deterministic, good enough for test data.
    pub struct Rng(pub u64);
    impl Rng {
        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
            z ^ (z >> 31)
        }
        pub fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
        }
        pub fn normal(&mut self) -> f32 {
            let u1 = self.uniform().max(1e-300);
            let u2 = self.uniform();
            ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
        }
    }
}
