//! Layer exports (src/nn) and the general matrix product. Shapes are element counts; a backward
//! pass overwrites dx (skipped when null) and accumulates into parameter gradients.

use super::{elems, opt, slice, slice_mut, status, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::gemm::{gemm, Packs, Strided};
use crate::loss::normalize;
use crate::nn::conv2d::Conv;
use crate::nn::pool::Pool;
use crate::nn::window::Window;
use crate::nn::{activation, batchnorm, conv2d, dropout, linear, pool};
use crate::simd::Best;
use crate::Oom;

/// General matrix product C (m x n) = A · B (+ C when `accumulate` != 0), all row-major, with
/// A stored m x k (or k x m when `trans_a` != 0) and B stored k x n (or n x k when `trans_b` != 0).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_gemm(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    trans_a: u32,
    b: *const f32,
    trans_b: u32,
    c: *mut f32,
    accumulate: u32,
) -> i32 {
    if m == 0 || n == 0 || c.is_null() {
        return INVALID_ARGUMENT;
    }
    let (Some(la), Some(lb), Some(lc)) = (elems(&[m, k]), elems(&[k, n]), elems(&[m, n])) else {
        return OUT_OF_MEMORY;
    };
    let (sa, sb) = (slice(a, la), slice(b, lb));
    let av = if trans_a != 0 { Strided::transposed(sa, m) } else { Strided::rows(sa, k) };
    let bv = if trans_b != 0 { Strided::transposed(sb, k) } else { Strided::rows(sb, n) };
    let c = core::slice::from_raw_parts_mut(c, lc);
    if accumulate == 0 {
        c.fill(0.0);
    }
    let mut packs = match Packs::new() {
        Ok(p) => p,
        Err(Oom) => return OUT_OF_MEMORY,
    };
    gemm::<Best>(m, n, k, av, bv, c, n, &mut packs);
    OK
}

/// The lengths of a Linear's x (n x din), W (dout x din) and y (n x dout), checked.
fn linear_lens(n: usize, din: usize, dout: usize) -> Option<[usize; 3]> {
    Some([elems(&[n, din])?, elems(&[dout, din])?, elems(&[n, dout])?])
}

/// Linear: y (n x dout) = x (n x din) W^T + b; W is dout x din, b (dout) may be null.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_linear_forward(
    x: *const f32,
    n: usize,
    din: usize,
    w: *const f32,
    dout: usize,
    b: *const f32,
    y: *mut f32,
) -> i32 {
    if n == 0 || din == 0 || dout == 0 || x.is_null() || w.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some([xl, wl, yl]) = linear_lens(n, din, dout) else { return OUT_OF_MEMORY };
    let y = core::slice::from_raw_parts_mut(y, yl);
    status(linear::forward::<Best>(slice(x, xl), n, din, slice(w, wl), dout, opt(b, dout), y))
}

/// Linear backward: dx = dy W (dx may be null), dW += dy^T x, db += colsum dy (db may be null).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_linear_backward(
    x: *const f32,
    n: usize,
    din: usize,
    w: *const f32,
    dout: usize,
    dy: *const f32,
    dx: *mut f32,
    dw: *mut f32,
    db: *mut f32,
) -> i32 {
    if n == 0 || din == 0 || dout == 0 || x.is_null() || w.is_null() || dy.is_null() || dw.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some([xl, wl, yl]) = linear_lens(n, din, dout) else { return OUT_OF_MEMORY };
    status(linear::backward::<Best>(
        slice(x, xl),
        n,
        din,
        slice(w, wl),
        dout,
        slice(dy, yl),
        slice_mut(dx, xl),
        core::slice::from_raw_parts_mut(dw, wl),
        slice_mut(db, dout),
    ))
}

/// Activations: kind 0 = ReLU, 1 = GELU (erf), 2 = GELU (tanh approximation).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_activation_forward(kind: u32, x: *const f32, len: usize, y: *mut f32) -> i32 {
    if kind > 2 || x.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    let (x, y) = (
        slice(x, len),
        match slice_mut(y, len) {
            Some(y) => y,
            None => return INVALID_ARGUMENT,
        },
    );
    match kind {
        0 => activation::relu_forward::<Best>(x, y),
        k => activation::gelu_forward(x, k == 2, y),
    }
    OK
}

/// Activation backward: dx = dy f'(x).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_activation_backward(
    kind: u32,
    x: *const f32,
    dy: *const f32,
    len: usize,
    dx: *mut f32,
) -> i32 {
    if kind > 2 || x.is_null() || dy.is_null() || dx.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    let dx = core::slice::from_raw_parts_mut(dx, len);
    match kind {
        0 => activation::relu_backward::<Best>(slice(x, len), slice(dy, len), dx),
        k => activation::gelu_backward(slice(x, len), slice(dy, len), k == 2, dx),
    }
    OK
}

/// out = a * b elementwise (dropout's backward: dy times the mask).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_mul(a: *const f32, b: *const f32, len: usize, out: *mut f32) -> i32 {
    if a.is_null() || b.is_null() || out.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    activation::mul(slice(a, len), slice(b, len), core::slice::from_raw_parts_mut(out, len));
    OK
}

/// Dropout: mask (0 or 1/(1-p)) from the counter-based RNG at (seed, stream); y = x mask.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_dropout_forward(
    x: *const f32,
    len: usize,
    p: f32,
    seed_lo: u32,
    seed_hi: u32,
    stream_lo: u32,
    stream_hi: u32,
    y: *mut f32,
    mask: *mut f32,
) -> i32 {
    if !(0.0..1.0).contains(&p) || x.is_null() || y.is_null() || mask.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    let seed = (seed_hi as u64) << 32 | seed_lo as u64;
    let stream = (stream_hi as u64) << 32 | stream_lo as u64;
    dropout::forward(
        slice(x, len),
        p,
        seed,
        stream,
        core::slice::from_raw_parts_mut(y, len),
        core::slice::from_raw_parts_mut(mask, len),
    );
    OK
}

/// BatchNorm over x laid out [n, c, l] (l = 1 for [N, C]; H W for NCHW). gamma/beta null = not
/// affine. Training updates the running stats; save_mean/save_invstd (c each) feed the backward.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_batchnorm_forward(
    x: *const f32,
    n: usize,
    c: usize,
    l: usize,
    gamma: *const f32,
    beta: *const f32,
    running_mean: *mut f32,
    running_var: *mut f32,
    momentum: f32,
    eps: f32,
    training: u32,
    y: *mut f32,
    save_mean: *mut f32,
    save_invstd: *mut f32,
) -> i32 {
    let Some(len) = elems(&[n, c, l]) else { return OUT_OF_MEMORY };
    if len == 0 || (training != 0 && n * l < 2) || !batchnorm::params_ok(momentum, eps) {
        return INVALID_ARGUMENT;
    }
    if x.is_null()
        || y.is_null()
        || running_mean.is_null()
        || running_var.is_null()
        || save_mean.is_null()
        || save_invstd.is_null()
    {
        return INVALID_ARGUMENT;
    }
    batchnorm::forward::<Best>(
        slice(x, len),
        &batchnorm::Shape { n, c, l },
        opt(gamma, c),
        opt(beta, c),
        core::slice::from_raw_parts_mut(running_mean, c),
        core::slice::from_raw_parts_mut(running_var, c),
        momentum,
        eps,
        training != 0,
        core::slice::from_raw_parts_mut(y, len),
        core::slice::from_raw_parts_mut(save_mean, c),
        core::slice::from_raw_parts_mut(save_invstd, c),
    );
    OK
}

/// BatchNorm backward; dgamma and dbeta (null when not affine) are accumulated.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_batchnorm_backward(
    x: *const f32,
    dy: *const f32,
    n: usize,
    c: usize,
    l: usize,
    gamma: *const f32,
    save_mean: *const f32,
    save_invstd: *const f32,
    training: u32,
    dx: *mut f32,
    dgamma: *mut f32,
    dbeta: *mut f32,
) -> i32 {
    let Some(len) = elems(&[n, c, l]) else { return OUT_OF_MEMORY };
    if len == 0 || x.is_null() || dy.is_null() || dx.is_null() || save_mean.is_null() || save_invstd.is_null() {
        return INVALID_ARGUMENT;
    }
    batchnorm::backward::<Best>(
        slice(x, len),
        slice(dy, len),
        &batchnorm::Shape { n, c, l },
        opt(gamma, c),
        slice(save_mean, c),
        slice(save_invstd, c),
        training != 0,
        core::slice::from_raw_parts_mut(dx, len),
        slice_mut(dgamma, c),
        slice_mut(dbeta, c),
    );
    OK
}

/// The geometry shared by the conv and pool exports: [n, cin, h, w, cout, kh, kw, sh, sw, ph, pw]
/// as 11 u32 at `geom` (fewer arguments than a flat list, and the same for all four exports;
/// the pools ignore cout). Returns (n, cin, cout, window).
unsafe fn geometry(geom: *const u32) -> Option<(usize, usize, usize, Window)> {
    let g = slice(geom, 11);
    if g.len() != 11 {
        return None;
    }
    let u = |i: usize| g[i] as usize;
    let win = Window { h: u(2), w: u(3), kh: u(5), kw: u(6), sh: u(7), sw: u(8), ph: u(9), pw: u(10) };
    Some((u(0), u(1), u(4), win))
}

/// A convolution's geometry and the lengths of its x, w and y, checked: `Err(INVALID_ARGUMENT)`
/// for a geometry without output, `Err(OUT_OF_MEMORY)` when a length does not fit.
pub(super) unsafe fn conv_geom(geom: *const u32) -> Result<(Conv, [usize; 3]), i32> {
    let (n, cin, cout, win) = geometry(geom).ok_or(INVALID_ARGUMENT)?;
    let c = Conv { n, cin, cout, win };
    if c.n == 0 || c.cin == 0 || c.cout == 0 {
        return Err(INVALID_ARGUMENT);
    }
    let (ho, wo) = c.out_hw().ok_or(INVALID_ARGUMENT)?;
    let w = &c.win;
    match (elems(&[n, cin, w.h, w.w]), elems(&[cout, cin, w.kh, w.kw]), elems(&[n, cout, ho, wo])) {
        (Some(xl), Some(wl), Some(yl)) => Ok((c, [xl, wl, yl])),
        _ => Err(OUT_OF_MEMORY),
    }
}

/// Conv2d forward (NCHW, weight [cout, cin, kh, kw], bias null or [cout]); geometry at `geom`.
///
/// # Safety
/// As [`super::loss::ct_ntxent`]; `geom` points at 11 u32.
#[no_mangle]
pub unsafe extern "C" fn ct_conv2d_forward(
    geom: *const u32,
    x: *const f32,
    w: *const f32,
    b: *const f32,
    y: *mut f32,
) -> i32 {
    let (c, [xl, wl, yl]) = or_status!(conv_geom(geom));
    if x.is_null() || w.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let y = core::slice::from_raw_parts_mut(y, yl);
    status(conv2d::forward::<Best>(&c, slice(x, xl), slice(w, wl), opt(b, c.cout), y))
}

/// Conv2d backward: dx (null = skip) overwritten, dw (required) and db (null = no bias)
/// accumulated: [`super::resnet::ct_conv2d_backward_some`] with a weight gradient.
///
/// # Safety
/// As [`ct_conv2d_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_conv2d_backward(
    geom: *const u32,
    x: *const f32,
    w: *const f32,
    dy: *const f32,
    dx: *mut f32,
    dw: *mut f32,
    db: *mut f32,
) -> i32 {
    if dw.is_null() {
        return INVALID_ARGUMENT;
    }
    super::resnet::ct_conv2d_backward_some(geom, x, w, dy, dx, dw, db)
}

/// What both pool calls check: the geometry, the kind (0 max, 1 and 2 avg), the data pointers,
/// and max pooling's index buffer. Returns the pool and its input and output lengths, or the
/// status: INVALID_ARGUMENT, or OUT_OF_MEMORY when a length does not fit.
unsafe fn pool_call(kind: u32, geom: *const u32, data_ok: bool, idx_null: bool) -> Result<(pool::Pool, [usize; 2]), i32> {
    let (n, c, _, win) = geometry(geom).ok_or(INVALID_ARGUMENT)?;
    let planes = n.checked_mul(c).ok_or(OUT_OF_MEMORY)?;
    let p = Pool { planes, win };
    let (ho, wo) = p.out_hw().ok_or(INVALID_ARGUMENT)?;
    if planes == 0 || kind > 2 || !data_ok || (kind == 0 && idx_null) {
        return Err(INVALID_ARGUMENT);
    }
    match (elems(&[planes, win.h, win.w]), elems(&[planes, ho, wo])) {
        (Some(xl), Some(yl)) => Ok((p, [xl, yl])),
        _ => Err(OUT_OF_MEMORY),
    }
}

/// Pool forward. kind 0 = max (idx receives argmax indices), 1 = avg counting padding,
/// 2 = avg without padding. Geometry as [`ct_conv2d_forward`] (cout ignored).
///
/// # Safety
/// As [`ct_conv2d_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_pool2d_forward(
    kind: u32,
    geom: *const u32,
    x: *const f32,
    y: *mut f32,
    idx: *mut u32,
) -> i32 {
    let (p, [xlen, ylen]) = or_status!(pool_call(kind, geom, !x.is_null() && !y.is_null(), idx.is_null()));
    let x = slice(x, xlen);
    let y = core::slice::from_raw_parts_mut(y, ylen);
    match kind {
        0 => pool::max_forward(&p, x, y, core::slice::from_raw_parts_mut(idx, ylen)),
        k => pool::avg_forward(&p, k == 1, x, y),
    }
    OK
}

/// Pool backward: dx overwritten. Max pooling reads the indices of its forward pass.
///
/// # Safety
/// As [`ct_conv2d_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_pool2d_backward(
    kind: u32,
    geom: *const u32,
    dy: *const f32,
    idx: *const u32,
    dx: *mut f32,
) -> i32 {
    let (p, [xlen, ylen]) = or_status!(pool_call(kind, geom, !dy.is_null() && !dx.is_null(), idx.is_null()));
    let dx = core::slice::from_raw_parts_mut(dx, xlen);
    match kind {
        0 => pool::max_backward(&p, slice(dy, ylen), slice(idx, ylen), dx),
        k => pool::avg_backward(&p, k == 1, slice(dy, ylen), dx),
    }
    OK
}

/// Global average pool: y[plane] = mean of x's `hw` values in the plane.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_global_avgpool_forward(x: *const f32, planes: usize, hw: usize, y: *mut f32) -> i32 {
    if planes == 0 || hw == 0 || x.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some(xl) = elems(&[planes, hw]) else { return OUT_OF_MEMORY };
    pool::global_avg_forward(slice(x, xl), planes, hw, core::slice::from_raw_parts_mut(y, planes));
    OK
}

/// Global average pool backward: dx = dy / hw, broadcast over the plane.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_global_avgpool_backward(dy: *const f32, planes: usize, hw: usize, dx: *mut f32) -> i32 {
    if planes == 0 || hw == 0 || dy.is_null() || dx.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some(xl) = elems(&[planes, hw]) else { return OUT_OF_MEMORY };
    pool::global_avg_backward(slice(dy, planes), planes, hw, core::slice::from_raw_parts_mut(dx, xl));
    OK
}

/// Row L2 normalization (F.normalize, eps 1e-12): y (rows x d).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_l2normalize_forward(x: *const f32, rows: usize, d: usize, y: *mut f32) -> i32 {
    if rows == 0 || d == 0 || x.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some(len) = elems(&[rows, d]) else { return OUT_OF_MEMORY };
    let (mut inv, mut clamped) = (Vec::new(), Vec::new());
    if inv.try_reserve_exact(rows).is_err() || clamped.try_reserve_exact(rows).is_err() {
        return OUT_OF_MEMORY;
    }
    inv.resize(rows, 0.0f32);
    clamped.resize(rows, false);
    normalize::forward::<Best>(
        slice(x, len),
        rows,
        d,
        core::slice::from_raw_parts_mut(y, len),
        &mut inv,
        &mut clamped,
    );
    OK
}

/// Row L2 normalization backward from x and dy (the forward pass is recomputed): dx overwritten.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_l2normalize_backward(
    x: *const f32,
    dy: *const f32,
    rows: usize,
    d: usize,
    dx: *mut f32,
) -> i32 {
    if rows == 0 || d == 0 || x.is_null() || dy.is_null() || dx.is_null() {
        return INVALID_ARGUMENT;
    }
    let Some(len) = elems(&[rows, d]) else { return OUT_OF_MEMORY };
    let mut u = match crate::try_vec(len) {
        Ok(u) => u,
        Err(Oom) => return OUT_OF_MEMORY,
    };
    let (mut inv, mut clamped) = (Vec::new(), Vec::new());
    if inv.try_reserve_exact(rows).is_err() || clamped.try_reserve_exact(rows).is_err() {
        return OUT_OF_MEMORY;
    }
    inv.resize(rows, 0.0f32);
    clamped.resize(rows, false);
    normalize::forward::<Best>(slice(x, len), rows, d, &mut u, &mut inv, &mut clamped);
    let dx = core::slice::from_raw_parts_mut(dx, len);
    dx.copy_from_slice(slice(dy, len));
    normalize::backward::<Best>(dx, &u, rows, d, &inv, &clamped);
    OK
}
