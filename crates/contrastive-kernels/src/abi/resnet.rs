//! Residual networks: the residual join and a Conv2d backward whose weight gradient is
//! optional (frozen layers of a fine-tuned model skip the dW product).

use super::{slice, slice_mut, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::nn::conv2d::{self, Conv};
use crate::nn::residual;
use crate::simd::Best;

/// y = a + b, or max(a + b, 0) when `relu` != 0; `len` floats each (y may alias a or b).
///
/// # Safety
/// Pointers must reference buffers of `len` floats inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_residual_add(a: *const f32, b: *const f32, len: usize, relu: u32, y: *mut f32) -> i32 {
    if a.is_null() || b.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    if len == 0 {
        return OK;
    }
    // copies of the inputs when y aliases one of them (a block may write its output over its input)
    let (av, bv);
    let (a, b) = if a as usize == y as usize || b as usize == y as usize {
        av = slice(a, len).to_vec();
        bv = slice(b, len).to_vec();
        (&av[..], &bv[..])
    } else {
        (slice(a, len), slice(b, len))
    };
    residual::add(a, b, core::slice::from_raw_parts_mut(y, len), relu != 0);
    OK
}

/// [n, cin, h, w, cout, kh, kw, sh, sw, ph, pw] as 11 u32, as the other conv exports read it.
unsafe fn geometry(geom: *const u32) -> Option<Conv> {
    if geom.is_null() {
        return None;
    }
    let g = core::slice::from_raw_parts(geom, 11);
    let u = |i: usize| g[i] as usize;
    let c = Conv { n: u(0), cin: u(1), h: u(2), w: u(3), cout: u(4), kh: u(5), kw: u(6), sh: u(7), sw: u(8), ph: u(9), pw: u(10) };
    if c.n == 0 || c.cin == 0 || c.cout == 0 {
        return None;
    }
    c.out_hw().map(|_| c)
}

/// Conv2d backward with every output optional: dx (null = skip) overwritten, dw and db (null =
/// frozen or absent) accumulated. Nothing asked for = nothing computed.
///
/// # Safety
/// As `ct_conv2d_backward`.
#[no_mangle]
pub unsafe extern "C" fn ct_conv2d_backward_some(
    geom: *const u32,
    x: *const f32,
    w: *const f32,
    dy: *const f32,
    dx: *mut f32,
    dw: *mut f32,
    db: *mut f32,
) -> i32 {
    let c = match geometry(geom) {
        Some(c) => c,
        None => return INVALID_ARGUMENT,
    };
    if x.is_null() || w.is_null() || dy.is_null() {
        return INVALID_ARGUMENT;
    }
    let (ho, wo) = c.out_hw().unwrap_or((0, 0));
    let xl = c.n * c.cin * c.h * c.w;
    let wl = c.cout * c.cin * c.kh * c.kw;
    match conv2d::backward_some::<Best>(
        &c,
        slice(x, xl),
        slice(w, wl),
        slice(dy, c.n * c.cout * ho * wo),
        slice_mut(dx, xl),
        slice_mut(dw, wl),
        slice_mut(db, c.cout),
    ) {
        Ok(()) => OK,
        Err(_) => OUT_OF_MEMORY,
    }
}
