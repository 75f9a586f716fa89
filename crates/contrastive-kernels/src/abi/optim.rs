//! Optimizer exports (src/optim): one step on one tensor, and global-norm clipping's pieces.

use super::{elems, slice, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::optim::{adam, lars, sgd};

/// SGD step on one tensor (torch.optim.SGD). `buf` may be null when momentum is 0; `first` != 0
/// on the tensor's first step (the buffer is then set to the gradient, without dampening).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_sgd_step(
    p: *mut f32,
    g: *const f32,
    buf: *mut f32,
    len: usize,
    lr: f32,
    momentum: f32,
    dampening: f32,
    wd: f32,
    nesterov: u32,
    first: u32,
) -> i32 {
    if p.is_null() || g.is_null() || (momentum != 0.0 && buf.is_null()) {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    let mut none: [f32; 0] = [];
    let buf = if momentum != 0.0 { core::slice::from_raw_parts_mut(buf, len) } else { &mut none[..] };
    sgd::step(
        core::slice::from_raw_parts_mut(p, len),
        slice(g, len),
        buf,
        lr,
        momentum,
        dampening,
        wd,
        nesterov != 0,
        first != 0,
    );
    OK
}

/// Adam (decoupled = 0) or AdamW (decoupled != 0) step t (1-based) on one tensor.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_adam_step(
    p: *mut f32,
    g: *const f32,
    m: *mut f32,
    v: *mut f32,
    len: usize,
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    wd: f32,
    decoupled: u32,
    t: u32,
) -> i32 {
    if p.is_null() || g.is_null() || m.is_null() || v.is_null() || t == 0 {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    adam::step(
        core::slice::from_raw_parts_mut(p, len),
        slice(g, len),
        core::slice::from_raw_parts_mut(m, len),
        core::slice::from_raw_parts_mut(v, len),
        lr,
        b1,
        b2,
        eps,
        wd,
        decoupled != 0,
        t,
    );
    OK
}

/// LARS step (SimCLR) on one tensor; writes the trust ratio used to `out` (one f64, may be null).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_lars_step(
    w: *mut f32,
    g: *const f32,
    v: *mut f32,
    len: usize,
    lr: f32,
    momentum: f32,
    wd: f32,
    eta: f32,
    adapt: u32,
    nesterov: u32,
    out: *mut f64,
) -> i32 {
    if w.is_null() || g.is_null() || v.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    let r = lars::step(
        core::slice::from_raw_parts_mut(w, len),
        slice(g, len),
        core::slice::from_raw_parts_mut(v, len),
        lr,
        momentum,
        wd,
        eta,
        adapt != 0,
        nesterov != 0,
    );
    if !out.is_null() {
        *out = r;
    }
    OK
}

/// Sum of squares of x (f64) into `out`: the building block of global-norm gradient clipping.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_sumsq(x: *const f32, len: usize, out: *mut f64) -> i32 {
    if x.is_null() || out.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    *out = crate::optim::sumsq(slice(x, len));
    OK
}

/// x *= s in place.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_scale(x: *mut f32, len: usize, s: f32) -> i32 {
    if x.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    crate::optim::scale(core::slice::from_raw_parts_mut(x, len), s);
    OK
}
