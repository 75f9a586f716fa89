//! contrastive-kernels: all arithmetic of the contrastive library, on f32 buffers.
//!
//! No dependencies. Compiled to WebAssembly (SIMD128, optionally relaxed SIMD) and driven
//! from TypeScript through the C ABI in [`abi`]; natively, `cargo test` runs every kernel
//! against scalar and float64 oracles.

pub mod abi;
pub mod augment;
pub mod gemm;
pub mod loss;
pub mod nn;
pub mod optim;
pub mod simd;

/// Memory could not be reserved for scratch space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oom;

/// A zeroed Vec that reports allocation failure instead of aborting (an abort would be a
/// wasm trap in the caller's face).
pub fn try_vec(len: usize) -> Result<Vec<f32>, Oom> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|_| Oom)?;
    v.resize(len, 0.0);
    Ok(v)
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
