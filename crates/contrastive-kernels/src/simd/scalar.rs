//! The scalar oracle: four f32 lanes in an array, each operation lane by lane.

use super::{exp_f32, Isa};

pub struct Scalar4;

impl Isa for Scalar4 {
    type V = [f32; 4];
    const NAME: &'static str = "scalar";
    #[inline(always)]
    unsafe fn load(p: *const f32) -> [f32; 4] {
        [*p, *p.add(1), *p.add(2), *p.add(3)]
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: [f32; 4]) {
        for (l, x) in v.iter().enumerate() {
            *p.add(l) = *x;
        }
    }
    #[inline(always)]
    unsafe fn load_splat(p: *const f32) -> [f32; 4] {
        [*p; 4]
    }
    #[inline(always)]
    fn splat(x: f32) -> [f32; 4] {
        [x; 4]
    }
    #[inline(always)]
    fn add(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
    }
    #[inline(always)]
    fn sub(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
    }
    #[inline(always)]
    fn mul(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        [a[0] * b[0], a[1] * b[1], a[2] * b[2], a[3] * b[3]]
    }
    #[inline(always)]
    fn max(a: [f32; 4], b: [f32; 4]) -> [f32; 4] {
        [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2]), a[3].max(b[3])]
    }
    #[inline(always)]
    fn madd(a: [f32; 4], b: [f32; 4], c: [f32; 4]) -> [f32; 4] {
        Self::add(Self::mul(a, b), c)
    }
    #[inline(always)]
    fn hsum(v: [f32; 4]) -> f32 {
        (v[0] + v[2]) + (v[1] + v[3])
    }
    #[inline(always)]
    fn hmax(v: [f32; 4]) -> f32 {
        v[0].max(v[1]).max(v[2].max(v[3]))
    }
    #[inline(always)]
    fn exp(x: [f32; 4]) -> [f32; 4] {
        [exp_f32(x[0]), exp_f32(x[1]), exp_f32(x[2]), exp_f32(x[3])]
    }
    #[inline(always)]
    fn transpose4(r: [[f32; 4]; 4]) -> [[f32; 4]; 4] {
        core::array::from_fn(|i| core::array::from_fn(|j| r[j][i]))
    }
}
