//! Residual networks: the residual join and a Conv2d backward whose weight gradient is
//! optional (frozen layers of a fine-tuned model skip the dW product).

use super::{elems, slice, slice_mut, status, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::nn::conv2d;
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
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    if len == 0 {
        return OK;
    }
    // copies of the inputs when y aliases one of them (a block may write its output over its input)
    let (av, bv);
    let (a, b) = if core::ptr::eq(a, y) || core::ptr::eq(b, y) {
        av = slice(a, len).to_vec();
        bv = slice(b, len).to_vec();
        (&av[..], &bv[..])
    } else {
        (slice(a, len), slice(b, len))
    };
    residual::add(a, b, core::slice::from_raw_parts_mut(y, len), relu != 0);
    OK
}

/// Conv2d backward with every output optional: dx (null = skip) overwritten, dw and db (null =
/// frozen or absent) accumulated. Nothing asked for = nothing computed.
///
/// # Safety
/// As [`super::nn::ct_conv2d_forward`].
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
    let (c, [xl, wl, yl]) = or_status!(super::nn::conv_geom(geom));
    if x.is_null() || w.is_null() || dy.is_null() {
        return INVALID_ARGUMENT;
    }
    status(conv2d::backward_some::<Best>(
        &c,
        slice(x, xl),
        slice(w, wl),
        slice(dy, yl),
        slice_mut(dx, xl),
        slice_mut(dw, wl),
        slice_mut(db, c.cout),
    ))
}

/// How 3x3 stride-1 convolutions run: 0 = by shape, 1 = im2col, 2 = Winograd F(2x2, 3x3)
/// wherever it applies. Returns the previous setting.
#[no_mangle]
pub extern "C" fn ct_conv_algorithm(algorithm: u32) -> u32 {
    conv2d::set_algorithm(algorithm)
}
