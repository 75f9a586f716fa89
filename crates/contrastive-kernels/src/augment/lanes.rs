//! Four f32 / i32 lanes for the gather-based augment kernels (affine warp, resized crop): the
//! few operations they need beyond [`crate::simd::Isa`] (floor, round-half-even, compares,
//! masks, truncation to i32, 4-index gathers). WebAssembly SIMD128 on wasm, plain arrays
//! elsewhere (what `cargo test` checks against the scalar reference kernels).
//!
//! Every operation is one IEEE-754 operation per lane (no fusing), so a kernel written with
//! these gives the same bits as the scalar code doing the same operations in the same order.
//! Masks are all-ones / all-zero lanes; `sel(m, a)` is `a` where `m`, +0.0 (or 0) elsewhere.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::*;

    pub type F = v128;
    pub type I = v128;
    pub type M = v128;

    #[inline(always)]
    pub fn splat(x: f32) -> F {
        f32x4_splat(x)
    }
    #[inline(always)]
    pub fn from4(a: [f32; 4]) -> F {
        f32x4(a[0], a[1], a[2], a[3])
    }
    #[inline(always)]
    pub fn load(p: &[f32]) -> F {
        assert!(p.len() >= 4);
        // SAFETY: 4 floats are in bounds (asserted); v128_load has no alignment requirement.
        unsafe { v128_load(p.as_ptr() as *const v128) }
    }
    #[inline(always)]
    pub fn store(p: &mut [f32], v: F) {
        assert!(p.len() >= 4);
        // SAFETY: as `load`.
        unsafe { v128_store(p.as_mut_ptr() as *mut v128, v) }
    }
    #[inline(always)]
    pub fn add(a: F, b: F) -> F {
        f32x4_add(a, b)
    }
    #[inline(always)]
    pub fn sub(a: F, b: F) -> F {
        f32x4_sub(a, b)
    }
    #[inline(always)]
    pub fn mul(a: F, b: F) -> F {
        f32x4_mul(a, b)
    }
    #[inline(always)]
    pub fn floor(a: F) -> F {
        f32x4_floor(a)
    }
    #[inline(always)]
    pub fn round_even(a: F) -> F {
        f32x4_nearest(a)
    }
    #[inline(always)]
    pub fn ge(a: F, b: F) -> M {
        f32x4_ge(a, b)
    }
    #[inline(always)]
    pub fn lt(a: F, b: F) -> M {
        f32x4_lt(a, b)
    }
    #[inline(always)]
    pub fn and(a: M, b: M) -> M {
        v128_and(a, b)
    }
    #[inline(always)]
    pub fn sel(m: M, a: F) -> F {
        v128_and(m, a)
    }
    #[inline(always)]
    pub fn sel_i(m: M, a: I) -> I {
        v128_and(m, a)
    }
    /// `m ? a : b`
    #[inline(always)]
    pub fn blend(m: M, a: F, b: F) -> F {
        v128_bitselect(a, b, m)
    }
    /// Rust's `as i32`: toward zero, saturating, NaN to 0.
    #[inline(always)]
    pub fn trunc(a: F) -> I {
        i32x4_trunc_sat_f32x4(a)
    }
    /// a * w + b, wrapping.
    #[inline(always)]
    pub fn mul_add_i(a: I, w: i32, b: I) -> I {
        i32x4_add(i32x4_mul(a, i32x4_splat(w)), b)
    }
    /// a + k, wrapping.
    #[inline(always)]
    pub fn add_i(a: I, k: i32) -> I {
        i32x4_add(a, i32x4_splat(k))
    }
    /// [p[i0], p[i1], p[i2], p[i3]] without bounds checks (they cost ~15% of the affine warp).
    ///
    /// # Safety
    /// Every lane of `i` must be in 0..p.len() (the portable build checks it in `cargo test`).
    #[inline(always)]
    pub unsafe fn gather(p: &[f32], i: I) -> F {
        let at = |j: i32| {
            debug_assert!((j as u32 as usize) < p.len());
            *p.get_unchecked(j as u32 as usize)
        };
        f32x4(
            at(i32x4_extract_lane::<0>(i)),
            at(i32x4_extract_lane::<1>(i)),
            at(i32x4_extract_lane::<2>(i)),
            at(i32x4_extract_lane::<3>(i)),
        )
    }
    /// [p[i0], p[i1], p[i2], p[i3]] for u32 indices in a table (bounds-checked).
    #[inline(always)]
    pub fn gather_u32(p: &[f32], i: &[u32]) -> F {
        f32x4(p[i[0] as usize], p[i[1] as usize], p[i[2] as usize], p[i[3] as usize])
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    pub type F = [f32; 4];
    pub type I = [i32; 4];
    pub type M = [bool; 4];

    #[inline(always)]
    fn map(a: F, f: impl Fn(f32) -> f32) -> F {
        [f(a[0]), f(a[1]), f(a[2]), f(a[3])]
    }
    #[inline(always)]
    fn zip<T: Copy, U>(a: [T; 4], b: [T; 4], f: impl Fn(T, T) -> U) -> [U; 4] {
        [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])]
    }
    #[inline(always)]
    pub fn splat(x: f32) -> F {
        [x; 4]
    }
    #[inline(always)]
    pub fn from4(a: [f32; 4]) -> F {
        a
    }
    #[inline(always)]
    pub fn load(p: &[f32]) -> F {
        [p[0], p[1], p[2], p[3]]
    }
    #[inline(always)]
    pub fn store(p: &mut [f32], v: F) {
        p[..4].copy_from_slice(&v);
    }
    #[inline(always)]
    pub fn add(a: F, b: F) -> F {
        zip(a, b, |x, y| x + y)
    }
    #[inline(always)]
    pub fn sub(a: F, b: F) -> F {
        zip(a, b, |x, y| x - y)
    }
    #[inline(always)]
    pub fn mul(a: F, b: F) -> F {
        zip(a, b, |x, y| x * y)
    }
    #[inline(always)]
    pub fn floor(a: F) -> F {
        map(a, f32::floor)
    }
    #[inline(always)]
    pub fn round_even(a: F) -> F {
        map(a, f32::round_ties_even)
    }
    #[inline(always)]
    pub fn ge(a: F, b: F) -> M {
        zip(a, b, |x, y| x >= y)
    }
    #[inline(always)]
    pub fn lt(a: F, b: F) -> M {
        zip(a, b, |x, y| x < y)
    }
    #[inline(always)]
    pub fn and(a: M, b: M) -> M {
        zip(a, b, |x, y| x && y)
    }
    #[inline(always)]
    pub fn sel(m: M, a: F) -> F {
        [0, 1, 2, 3].map(|l| if m[l] { a[l] } else { 0.0 })
    }
    #[inline(always)]
    pub fn sel_i(m: M, a: I) -> I {
        [0, 1, 2, 3].map(|l| if m[l] { a[l] } else { 0 })
    }
    #[inline(always)]
    pub fn blend(m: M, a: F, b: F) -> F {
        [0, 1, 2, 3].map(|l| if m[l] { a[l] } else { b[l] })
    }
    #[inline(always)]
    pub fn trunc(a: F) -> I {
        a.map(|x| x as i32)
    }
    #[inline(always)]
    pub fn mul_add_i(a: I, w: i32, b: I) -> I {
        zip(a, b, |x, y| x.wrapping_mul(w).wrapping_add(y))
    }
    #[inline(always)]
    pub fn add_i(a: I, k: i32) -> I {
        a.map(|x| x.wrapping_add(k))
    }
    /// Bounds-checked here, so `cargo test` catches an index the wasm build would read unchecked.
    ///
    /// # Safety
    /// None needed in this build (the signature matches the wasm one).
    #[inline(always)]
    pub unsafe fn gather(p: &[f32], i: I) -> F {
        i.map(|j| p[j as u32 as usize])
    }
    #[inline(always)]
    pub fn gather_u32(p: &[f32], i: &[u32]) -> F {
        [p[i[0] as usize], p[i[1] as usize], p[i[2] as usize], p[i[3] as usize]]
    }
}

pub use imp::*;
