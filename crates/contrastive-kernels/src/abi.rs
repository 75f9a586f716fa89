//! The only `extern "C"` surface: pointers and lengths in, status codes out.
//!
//! Contract with the TypeScript loader (packages/contrastive/src/runtime/abi.ts mirrors it):
//! * every buffer is allocated with `ct_alloc` (16-byte aligned) in this module's memory;
//! * lengths are element counts (f32, or u32 for labels), never bytes, except in alloc/free;
//! * a null gradient pointer means "loss only": the backward work is skipped;
//! * `out` points at two f64: [loss, d loss / d tau];
//! * return 0 = OK, 1 = OUT_OF_MEMORY, 2 = INVALID_ARGUMENT. The TS side validates first, so
//!   2 only guards against a caller that skipped validation: nothing here traps on bad input.

use crate::gemm::{gemm, Packs, Strided};
use crate::loss::{cosine::cosine, infonce, normalize, ntxent::ntxent, supcon::supcon, LossOut};
use crate::nn::conv2d::Conv;
use crate::nn::pool::Pool;
use crate::nn::{activation, batchnorm, conv2d, dropout, linear, pool};
use crate::optim::{adam, lars, sgd};
use crate::simd::{Best, Isa};
use crate::Oom;
use std::alloc::{alloc, dealloc, Layout};

pub const OK: i32 = 0;
pub const OUT_OF_MEMORY: i32 = 1;
pub const INVALID_ARGUMENT: i32 = 2;
/// Bumped whenever an export's signature or meaning changes.
pub const ABI_VERSION: u32 = 1;
const ALIGN: usize = 16;

#[no_mangle]
pub extern "C" fn ct_abi_version() -> u32 {
    ABI_VERSION
}

/// Sets the bytes the two-pass losses (NT-Xent, SupCon, CLIP) may keep between their passes
/// (loss/cache.rs); returns the previous budget. 0 = recompute every tile in pass 2.
#[no_mangle]
pub extern "C" fn ct_set_tile_cache(bytes: usize) -> usize {
    crate::loss::cache::set_budget_bytes(bytes)
}

/// 0 = scalar, 1 = simd128, 2 = relaxed: which instruction set this build runs.
#[no_mangle]
pub extern "C" fn ct_isa() -> u32 {
    match <Best as Isa>::NAME {
        "simd128" => 1,
        "relaxed" => 2,
        _ => 0,
    }
}

/// Allocates `bytes` (16-byte aligned). Returns 0 when memory cannot grow.
#[no_mangle]
pub extern "C" fn ct_alloc(bytes: usize) -> *mut u8 {
    match Layout::from_size_align(bytes.max(1), ALIGN) {
        // SAFETY: the layout has a non-zero size.
        Ok(layout) => unsafe { alloc(layout) },
        Err(_) => core::ptr::null_mut(),
    }
}

/// Frees a block from `ct_alloc` with the same `bytes`. Null is ignored.
///
/// # Safety
/// `ptr` must come from `ct_alloc(bytes)` and not have been freed.
#[no_mangle]
pub unsafe extern "C" fn ct_free(ptr: *mut u8, bytes: usize) {
    if !ptr.is_null() {
        dealloc(ptr, Layout::from_size_align_unchecked(bytes.max(1), ALIGN));
    }
}

unsafe fn slice<'a, T>(p: *const T, len: usize) -> &'a [T] {
    if len == 0 || p.is_null() {
        &[]
    } else {
        core::slice::from_raw_parts(p, len)
    }
}

unsafe fn slice_mut<'a>(p: *mut f32, len: usize) -> Option<&'a mut [f32]> {
    if p.is_null() {
        None
    } else if len == 0 {
        Some(&mut [])
    } else {
        Some(core::slice::from_raw_parts_mut(p, len))
    }
}

fn tau_ok(tau: f32) -> bool {
    tau.is_finite() && tau > 0.0
}

unsafe fn finish(r: Result<LossOut, Oom>, out: *mut f64) -> i32 {
    match r {
        Ok(o) => {
            if !out.is_null() {
                *out = o.loss;
                *out.add(1) = o.dtau;
            }
            OK
        }
        Err(Oom) => OUT_OF_MEMORY,
    }
}

/// NT-Xent on z = [a; b] (rows = 2N, row-major rows x d). `gz` null = loss only.
///
/// # Safety
/// Pointers must reference buffers of the stated sizes inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_ntxent(z: *const f32, rows: usize, d: usize, tau: f32, gz: *mut f32, out: *mut f64) -> i32 {
    if rows == 0 || rows % 2 != 0 || d == 0 || !tau_ok(tau) {
        return INVALID_ARGUMENT;
    }
    let n = rows * d;
    finish(ntxent::<Best>(slice(z, n), rows, d, tau, slice_mut(gz, n)), out)
}

/// InfoNCE query -> key with in-batch negatives; `symmetric` != 0 gives the CLIP loss.
/// `gq` and `gk` are both null (loss only) or both set.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_infonce(
    q: *const f32,
    k: *const f32,
    n: usize,
    d: usize,
    tau: f32,
    symmetric: u32,
    gq: *mut f32,
    gk: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || d == 0 || !tau_ok(tau) || gq.is_null() != gk.is_null() {
        return INVALID_ARGUMENT;
    }
    let len = n * d;
    let grads = match (slice_mut(gq, len), slice_mut(gk, len)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    finish(infonce::infonce::<Best>(slice(q, len), slice(k, len), n, d, tau, symmetric != 0, grads), out)
}

/// InfoNCE with an explicit shared set of m negatives (m may be 0).
/// `gq`, `gp`, `gneg` are all null (loss only) or all set.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_infonce_negatives(
    q: *const f32,
    p: *const f32,
    n: usize,
    neg: *const f32,
    m: usize,
    d: usize,
    tau: f32,
    gq: *mut f32,
    gp: *mut f32,
    gneg: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || d == 0 || !tau_ok(tau) || gq.is_null() != gp.is_null() || gq.is_null() != gneg.is_null() {
        return INVALID_ARGUMENT;
    }
    let (len, mlen) = (n * d, m * d);
    let grads = match (slice_mut(gq, len), slice_mut(gp, len), slice_mut(gneg, mlen)) {
        (Some(a), Some(b), Some(c)) => Some((a, b, c)),
        _ => None,
    };
    finish(infonce::infonce_negatives::<Best>(slice(q, len), slice(p, len), n, slice(neg, mlen), m, d, tau, grads), out)
}

/// Supervised contrastive loss; `labels` are dense ids, each < rows.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_supcon(
    z: *const f32,
    labels: *const u32,
    rows: usize,
    d: usize,
    tau: f32,
    gz: *mut f32,
    out: *mut f64,
) -> i32 {
    if rows == 0 || d == 0 || !tau_ok(tau) {
        return INVALID_ARGUMENT;
    }
    let labels = slice(labels, rows);
    if labels.iter().any(|&l| l as usize >= rows) {
        return INVALID_ARGUMENT;
    }
    let n = rows * d;
    finish(supcon::<Best>(slice(z, n), labels, rows, d, tau, slice_mut(gz, n)), out)
}

/// Cosine-similarity matrix (ra x rb) of the rows of a and b; b null = a against itself.
///
/// # Safety
/// As [`ct_ntxent`]; `out` holds ra * rb floats.
#[no_mangle]
pub unsafe extern "C" fn ct_cosine(a: *const f32, ra: usize, b: *const f32, rb: usize, d: usize, out: *mut f32) -> i32 {
    if ra == 0 || d == 0 || out.is_null() || (!b.is_null() && rb == 0) {
        return INVALID_ARGUMENT;
    }
    let other = if b.is_null() { None } else { Some((slice(b, rb * d), rb)) };
    let cols = if b.is_null() { ra } else { rb };
    let out = core::slice::from_raw_parts_mut(out, ra * cols);
    match cosine::<Best>(slice(a, ra * d), ra, other, d, out) {
        Ok(()) => OK,
        Err(Oom) => OUT_OF_MEMORY,
    }
}

/// General matrix product C (m x n) = A · B (+ C when `accumulate` != 0), all row-major, with
/// A stored m x k (or k x m when `trans_a` != 0) and B stored k x n (or n x k when `trans_b` != 0).
///
/// # Safety
/// As [`ct_ntxent`].
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
    let (sa, sb) = (slice(a, m * k), slice(b, k * n));
    let av = if trans_a != 0 { Strided::transposed(sa, m) } else { Strided::rows(sa, k) };
    let bv = if trans_b != 0 { Strided::transposed(sb, k) } else { Strided::rows(sb, n) };
    let c = core::slice::from_raw_parts_mut(c, m * n);
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

// ---------------------------------------------------------------------------------------------
// Layers (src/nn) and optimizers (src/optim). Shapes are element counts; a backward pass
// overwrites dx (skipped when null) and accumulates into parameter gradients.

fn status(r: Result<(), Oom>) -> i32 {
    match r {
        Ok(()) => OK,
        Err(Oom) => OUT_OF_MEMORY,
    }
}

unsafe fn opt<'a>(p: *const f32, len: usize) -> Option<&'a [f32]> {
    if p.is_null() {
        None
    } else {
        Some(slice(p, len))
    }
}

/// Linear: y (n x dout) = x (n x din) W^T + b; W is dout x din, b (dout) may be null.
///
/// # Safety
/// As [`ct_ntxent`].
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
    let y = core::slice::from_raw_parts_mut(y, n * dout);
    status(linear::forward::<Best>(slice(x, n * din), n, din, slice(w, dout * din), dout, opt(b, dout), y))
}

/// Linear backward: dx = dy W (dx may be null), dW += dy^T x, db += colsum dy (db may be null).
///
/// # Safety
/// As [`ct_ntxent`].
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
    status(linear::backward::<Best>(
        slice(x, n * din),
        n,
        din,
        slice(w, dout * din),
        dout,
        slice(dy, n * dout),
        slice_mut(dx, n * din),
        core::slice::from_raw_parts_mut(dw, dout * din),
        slice_mut(db, dout),
    ))
}

/// Activations: kind 0 = ReLU, 1 = GELU (erf), 2 = GELU (tanh approximation).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_activation_forward(kind: u32, x: *const f32, len: usize, y: *mut f32) -> i32 {
    if kind > 2 || x.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
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
/// As [`ct_ntxent`].
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
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_mul(a: *const f32, b: *const f32, len: usize, out: *mut f32) -> i32 {
    if a.is_null() || b.is_null() || out.is_null() {
        return INVALID_ARGUMENT;
    }
    activation::mul(slice(a, len), slice(b, len), core::slice::from_raw_parts_mut(out, len));
    OK
}

/// Dropout: mask (0 or 1/(1-p)) from the counter-based RNG at (seed, stream); y = x mask.
///
/// # Safety
/// As [`ct_ntxent`].
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
/// As [`ct_ntxent`].
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
    let len = n * c * l;
    if len == 0 || (training != 0 && n * l < 2) || !(eps > 0.0) || !momentum.is_finite() {
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
/// As [`ct_ntxent`].
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
    let len = n * c * l;
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
/// as 11 u32 at `geom` (fewer arguments than a flat list, and the same for all four exports).
unsafe fn conv_geom(geom: *const u32) -> Option<Conv> {
    if geom.is_null() {
        return None;
    }
    let g = core::slice::from_raw_parts(geom, 11);
    let c = Conv {
        n: g[0] as usize,
        cin: g[1] as usize,
        h: g[2] as usize,
        w: g[3] as usize,
        cout: g[4] as usize,
        kh: g[5] as usize,
        kw: g[6] as usize,
        sh: g[7] as usize,
        sw: g[8] as usize,
        ph: g[9] as usize,
        pw: g[10] as usize,
    };
    if c.n == 0 || c.cin == 0 || c.cout == 0 {
        return None;
    }
    c.out_hw().map(|_| c)
}

/// Conv2d forward (NCHW, weight [cout, cin, kh, kw], bias null or [cout]); geometry at `geom`.
///
/// # Safety
/// As [`ct_ntxent`]; `geom` points at 11 u32.
#[no_mangle]
pub unsafe extern "C" fn ct_conv2d_forward(
    geom: *const u32,
    x: *const f32,
    w: *const f32,
    b: *const f32,
    y: *mut f32,
) -> i32 {
    let c = match conv_geom(geom) {
        Some(c) => c,
        None => return INVALID_ARGUMENT,
    };
    if x.is_null() || w.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let (ho, wo) = c.out_hw().unwrap_or((0, 0));
    let y = core::slice::from_raw_parts_mut(y, c.n * c.cout * ho * wo);
    let wl = c.cout * c.cin * c.kh * c.kw;
    status(conv2d::forward::<Best>(&c, slice(x, c.n * c.cin * c.h * c.w), slice(w, wl), opt(b, c.cout), y))
}

/// Conv2d backward: dx (null = skip) overwritten, dw and db (null = no bias) accumulated.
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
    let c = match conv_geom(geom) {
        Some(c) => c,
        None => return INVALID_ARGUMENT,
    };
    if x.is_null() || w.is_null() || dy.is_null() || dw.is_null() {
        return INVALID_ARGUMENT;
    }
    let (ho, wo) = c.out_hw().unwrap_or((0, 0));
    let xl = c.n * c.cin * c.h * c.w;
    let wl = c.cout * c.cin * c.kh * c.kw;
    status(conv2d::backward::<Best>(
        &c,
        slice(x, xl),
        slice(w, wl),
        slice(dy, c.n * c.cout * ho * wo),
        slice_mut(dx, xl),
        core::slice::from_raw_parts_mut(dw, wl),
        slice_mut(db, c.cout),
    ))
}

unsafe fn pool_geom(geom: *const u32) -> Option<Pool> {
    if geom.is_null() {
        return None;
    }
    // same layout as conv_geom: [n, c, h, w, (unused), kh, kw, sh, sw, ph, pw]
    let g = core::slice::from_raw_parts(geom, 11);
    let p = Pool {
        planes: g[0] as usize * g[1] as usize,
        h: g[2] as usize,
        w: g[3] as usize,
        kh: g[5] as usize,
        kw: g[6] as usize,
        sh: g[7] as usize,
        sw: g[8] as usize,
        ph: g[9] as usize,
        pw: g[10] as usize,
    };
    if p.planes == 0 {
        return None;
    }
    p.out_hw().map(|_| p)
}

/// What both pool calls check: the geometry, the kind (0 max, 1 and 2 avg), the data pointers,
/// and max pooling's index buffer. Returns the pool and its output length.
unsafe fn pool_call(kind: u32, geom: *const u32, data_ok: bool, idx_null: bool) -> Option<(pool::Pool, usize)> {
    let p = pool_geom(geom)?;
    if kind > 2 || !data_ok || (kind == 0 && idx_null) {
        return None;
    }
    let (ho, wo) = p.out_hw().unwrap_or((0, 0));
    Some((p, p.planes * ho * wo))
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
    let Some((p, ylen)) = pool_call(kind, geom, !x.is_null() && !y.is_null(), idx.is_null()) else {
        return INVALID_ARGUMENT;
    };
    let x = slice(x, p.planes * p.h * p.w);
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
    let Some((p, ylen)) = pool_call(kind, geom, !dy.is_null() && !dx.is_null(), idx.is_null()) else {
        return INVALID_ARGUMENT;
    };
    let dx = core::slice::from_raw_parts_mut(dx, p.planes * p.h * p.w);
    match kind {
        0 => pool::max_backward(&p, slice(dy, ylen), slice(idx, ylen), dx),
        k => pool::avg_backward(&p, k == 1, slice(dy, ylen), dx),
    }
    OK
}

/// Global average pool: y[plane] = mean of x's `hw` values in the plane.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_global_avgpool_forward(x: *const f32, planes: usize, hw: usize, y: *mut f32) -> i32 {
    if planes == 0 || hw == 0 || x.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    pool::global_avg_forward(slice(x, planes * hw), planes, hw, core::slice::from_raw_parts_mut(y, planes));
    OK
}

/// Global average pool backward: dx = dy / hw, broadcast over the plane.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_global_avgpool_backward(dy: *const f32, planes: usize, hw: usize, dx: *mut f32) -> i32 {
    if planes == 0 || hw == 0 || dy.is_null() || dx.is_null() {
        return INVALID_ARGUMENT;
    }
    pool::global_avg_backward(slice(dy, planes), planes, hw, core::slice::from_raw_parts_mut(dx, planes * hw));
    OK
}

/// Row L2 normalization (F.normalize, eps 1e-12): y (rows x d).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_l2normalize_forward(x: *const f32, rows: usize, d: usize, y: *mut f32) -> i32 {
    if rows == 0 || d == 0 || x.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let (mut inv, mut clamped) = (Vec::new(), Vec::new());
    if inv.try_reserve_exact(rows).is_err() || clamped.try_reserve_exact(rows).is_err() {
        return OUT_OF_MEMORY;
    }
    inv.resize(rows, 0.0f32);
    clamped.resize(rows, false);
    normalize::forward::<Best>(
        slice(x, rows * d),
        rows,
        d,
        core::slice::from_raw_parts_mut(y, rows * d),
        &mut inv,
        &mut clamped,
    );
    OK
}

/// Row L2 normalization backward from x and dy (the forward pass is recomputed): dx overwritten.
///
/// # Safety
/// As [`ct_ntxent`].
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
    let len = rows * d;
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

/// SGD step on one tensor (torch.optim.SGD). `buf` may be null when momentum is 0; `first` != 0
/// on the tensor's first step (the buffer is then set to the gradient, without dampening).
///
/// # Safety
/// As [`ct_ntxent`].
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
/// As [`ct_ntxent`].
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
/// As [`ct_ntxent`].
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

/// Index of the first NaN or +-inf among the len values at x, -1 when all are finite, -2 when x
/// is null and len > 0. The TS side validates inputs here after copying them in.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_first_nonfinite(x: *const f32, len: usize) -> i32 {
    if x.is_null() && len > 0 {
        return -2;
    }
    match crate::check::first_nonfinite::<Best>(slice(x, len)) {
        Some(i) => i as i32,
        None => -1,
    }
}

/// Sum of squares of x (f64) into `out`: the building block of global-norm gradient clipping.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_sumsq(x: *const f32, len: usize, out: *mut f64) -> i32 {
    if x.is_null() || out.is_null() {
        return INVALID_ARGUMENT;
    }
    *out = crate::optim::sumsq(slice(x, len));
    OK
}

/// x *= s in place.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_scale(x: *mut f32, len: usize, s: f32) -> i32 {
    if x.is_null() {
        return INVALID_ARGUMENT;
    }
    crate::optim::scale(core::slice::from_raw_parts_mut(x, len), s);
    OK
}

/// Softmax cross-entropy over n x c logits with labels < c; `grad` null = loss only.
/// Writes the mean loss to out[0] (and 0 to out[1]).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_softmax_xent(
    logits: *const f32,
    n: usize,
    c: usize,
    labels: *const u32,
    grad: *mut f32,
    out: *mut f64,
) -> i32 {
    if n == 0 || c == 0 {
        return INVALID_ARGUMENT;
    }
    let labels = slice(labels, n);
    if labels.iter().any(|&l| l as usize >= c) {
        return INVALID_ARGUMENT;
    }
    let loss = crate::loss::softmax::softmax_xent(slice(logits, n * c), n, c, labels, slice_mut(grad, n * c));
    finish(Ok(LossOut { loss, dtau: 0.0 }), out)
}

// ---- augmentations (packages/contrastive/src/augment): float32 NCHW batches in [0, 1] ----

unsafe fn slice_mut_u<'a, T>(p: *mut T, len: usize) -> Option<&'a mut [T]> {
    if p.is_null() || len == 0 {
        None
    } else {
        Some(core::slice::from_raw_parts_mut(p, len))
    }
}

/// Image sizes a kernel accepts: every dimension non-zero, channels 1 or 3, no overflow.
fn image_ok(n: usize, c: usize, h: usize, w: usize) -> Option<usize> {
    if n == 0 || h == 0 || w == 0 || (c != 1 && c != 3) {
        return None;
    }
    n.checked_mul(c)?.checked_mul(h)?.checked_mul(w)
}

/// Philox4x32-10 of (key, counter) into `out` (4 u32): lets the TS generator be checked against this one.
///
/// # Safety
/// `out` must hold 4 u32.
#[no_mangle]
pub unsafe extern "C" fn ct_aug_philox(k0: u32, k1: u32, c0: u32, c1: u32, c2: u32, c3: u32, out: *mut u32) -> i32 {
    match slice_mut_u(out, 4) {
        Some(o) => {
            o.copy_from_slice(&crate::augment::philox::philox([k0, k1], [c0, c1, c2, c3]));
            OK
        }
        None => INVALID_ARGUMENT,
    }
}

/// Channels-last n x h x w x c_in (1, 3 or 4 channels; `is_u8` != 0: bytes divided by 255, else
/// f32 as is) to NCHW f32 with c_in == 4 ? 3 : c_in planes.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_from_hwc(
    src: *const u8,
    is_u8: u32,
    n: usize,
    h: usize,
    w: usize,
    c_in: usize,
    out: *mut f32,
) -> i32 {
    let Some(total) = image_ok(n, 1, h, w).and_then(|p| p.checked_mul(c_in)) else { return INVALID_ARGUMENT };
    if !matches!(c_in, 1 | 3 | 4) || src.is_null() {
        return INVALID_ARGUMENT;
    }
    let c_out = crate::augment::convert::planes(c_in);
    let Some(o) = slice_mut_u(out, n * h * w * c_out) else { return INVALID_ARGUMENT };
    if is_u8 != 0 {
        crate::augment::convert::hwc_to_nchw(slice(src, total), n, h * w, c_in, 255.0, o);
    } else {
        crate::augment::convert::hwc_to_nchw(slice(src as *const f32, total), n, h * w, c_in, 1.0, o);
    }
    OK
}

/// Bilinear (antialias=False) resized crop of every image to oh x ow; `boxes` 4 u32 per image
/// (top, left, height, width) inside the image; `flags` per image (bit 0 hflip, bit 1 vflip).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_resized_crop(
    src: *const f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    boxes: *const u32,
    flags: *const u32,
    oh: usize,
    ow: usize,
    out: *mut f32,
) -> i32 {
    let (Some(len), Some(olen)) = (image_ok(n, c, h, w), image_ok(n, c, oh, ow)) else { return INVALID_ARGUMENT };
    let (b, f) = (slice(boxes, 4 * n), slice(flags, n));
    if b.len() != 4 * n || f.len() != n {
        return INVALID_ARGUMENT;
    }
    for bx in b.chunks_exact(4) {
        let (t, l, bh, bw) = (bx[0] as usize, bx[1] as usize, bx[2] as usize, bx[3] as usize);
        if bh == 0 || bw == 0 || t + bh > h || l + bw > w {
            return INVALID_ARGUMENT;
        }
    }
    let Some(o) = slice_mut_u(out, olen) else { return INVALID_ARGUMENT };
    status(crate::augment::resize::resized_crop(slice(src, len), n, c, h, w, b, f, oh, ow, o))
}

/// In place: flags per image, bit 0 horizontal, bit 1 vertical.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_flip(x: *mut f32, n: usize, c: usize, h: usize, w: usize, flags: *const u32) -> i32 {
    let Some(len) = image_ok(n, c, h, w) else { return INVALID_ARGUMENT };
    let (Some(x), f) = (slice_mut_u(x, len), slice(flags, n)) else { return INVALID_ARGUMENT };
    if f.len() != n {
        return INVALID_ARGUMENT;
    }
    crate::augment::geometry::flip(x, n, c, h, w, f);
    OK
}

/// Affine warp with torchvision's inverse matrices (6 f32 per image), same output size.
/// `nearest` != 0: nearest, else bilinear. `fill` null: fill=None, else c values.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_affine(
    src: *const f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    mats: *const f32,
    nearest: u32,
    fill: *const f32,
    out: *mut f32,
) -> i32 {
    let Some(len) = image_ok(n, c, h, w) else { return INVALID_ARGUMENT };
    let m = slice(mats, 6 * n);
    let Some(o) = slice_mut_u(out, len) else { return INVALID_ARGUMENT };
    if m.len() != 6 * n || src.is_null() {
        return INVALID_ARGUMENT;
    }
    let fill = if fill.is_null() { None } else { Some(slice(fill, c)) };
    crate::augment::geometry::affine(slice(src, len), n, c, h, w, m, nearest != 0, fill, o);
    OK
}

/// Copies whole images of `len` floats between two batches, for j < m: image `idx[j]` of `src`
/// to image j of `dst` (`scatter` = 0, a gather), or image j of `src` to image `idx[j]` of `dst`
/// (`scatter` != 0). `src` holds `n_src` images, `dst` `n_dst`; the two must not overlap.
/// RandomApply's gather of the applied images and scatter back, in one call instead of one JS
/// `copyWithin` per image.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ct_aug_move_images(
    src: *const f32,
    n_src: usize,
    dst: *mut f32,
    n_dst: usize,
    len: usize,
    idx: *const u32,
    m: usize,
    scatter: u32,
) -> i32 {
    let (Some(ls), Some(ld)) = (n_src.checked_mul(len), n_dst.checked_mul(len)) else { return INVALID_ARGUMENT };
    if src.is_null() || dst.is_null() || len == 0 || (m > 0 && idx.is_null()) {
        return INVALID_ARGUMENT;
    }
    let ix = slice(idx, m);
    // idx indexes dst when scattering, src when gathering; j runs over the other batch
    let (idx_bound, m_bound) = if scatter != 0 { (n_dst, n_src) } else { (n_src, n_dst) };
    let (sa, da) = (src as usize, dst as usize);
    let overlap = sa < da + 4 * ld && da < sa + 4 * ls;
    if overlap || m > m_bound || ix.iter().any(|&i| i as usize >= idx_bound) {
        return INVALID_ARGUMENT;
    }
    let (s, Some(d)) = (slice(src, ls), slice_mut_u(dst, ld)) else { return INVALID_ARGUMENT };
    for (j, &i) in ix.iter().enumerate() {
        let (from, to) = if scatter != 0 { (j, i as usize) } else { (i as usize, j) };
        d[to * len..(to + 1) * len].copy_from_slice(&s[from * len..(from + 1) * len]);
    }
    OK
}

/// In place ColorJitter: `factors` 4 f32 per image (brightness, contrast, saturation, hue),
/// `orders` one u32 per image (nibble k = op of step k, 0xF none).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_color_jitter(
    x: *mut f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    factors: *const f32,
    orders: *const u32,
) -> i32 {
    let Some(len) = image_ok(n, c, h, w) else { return INVALID_ARGUMENT };
    let (f, o) = (slice(factors, 4 * n), slice(orders, n));
    let Some(x) = slice_mut_u(x, len) else { return INVALID_ARGUMENT };
    if f.len() != 4 * n || o.len() != n || f.iter().any(|v| !v.is_finite()) {
        return INVALID_ARGUMENT;
    }
    crate::augment::color::color_jitter::<Best>(x, n, c, h * w, f, o);
    OK
}

/// In place: images with flags[i] != 0 become gray (3 equal planes); 1-plane batches unchanged.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_grayscale(
    x: *mut f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    flags: *const u32,
) -> i32 {
    let Some(len) = image_ok(n, c, h, w) else { return INVALID_ARGUMENT };
    let (Some(x), f) = (slice_mut_u(x, len), slice(flags, n)) else { return INVALID_ARGUMENT };
    if f.len() != n {
        return INVALID_ARGUMENT;
    }
    crate::augment::color::grayscale(x, n, c, h * w, f);
    OK
}

/// In place Gaussian blur with odd kernel size k (k/2 < h and < w), sigma per image (<= 0: skip).
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_gaussian_blur(
    x: *mut f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    sigmas: *const f32,
) -> i32 {
    let Some(len) = image_ok(n, c, h, w) else { return INVALID_ARGUMENT };
    let s = slice(sigmas, n);
    if k % 2 == 0 || k / 2 >= h || k / 2 >= w || s.len() != n || s.iter().any(|v| !v.is_finite()) {
        return INVALID_ARGUMENT;
    }
    let Some(x) = slice_mut_u(x, len) else { return INVALID_ARGUMENT };
    status(crate::augment::blur::gaussian_blur::<Best>(x, n, c, h, w, k, s))
}

/// In place: x >= t ? 1 - x : x with t per image (t > 1: unchanged). `len` values per image.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_solarize(x: *mut f32, n: usize, len: usize, thresholds: *const f32) -> i32 {
    let t = slice(thresholds, n);
    let Some(total) = n.checked_mul(len) else { return INVALID_ARGUMENT };
    let Some(x) = slice_mut_u(x, total) else { return INVALID_ARGUMENT };
    if t.len() != n {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::solarize(x, n, len, t);
    OK
}

/// In place (x - mean[c]) / std[c] over n images of c planes of hw values.
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_normalize(
    x: *mut f32,
    n: usize,
    c: usize,
    hw: usize,
    mean: *const f32,
    std: *const f32,
) -> i32 {
    let Some(len) = image_ok(n, c, hw, 1) else { return INVALID_ARGUMENT };
    let (m, s) = (slice(mean, c), slice(std, c));
    let Some(x) = slice_mut_u(x, len) else { return INVALID_ARGUMENT };
    if m.len() != c || s.len() != c || s.iter().any(|v| !(v.is_finite() && *v != 0.0)) {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::normalize::<Best>(x, n, c, hw, m, s);
    OK
}

/// In place: the box (4 u32 per image: top, left, height, width; clipped) set to values[c].
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_erase(
    x: *mut f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    boxes: *const u32,
    values: *const f32,
) -> i32 {
    let Some(len) = image_ok(n, c, h, w) else { return INVALID_ARGUMENT };
    let (b, v) = (slice(boxes, 4 * n), slice(values, c));
    let Some(x) = slice_mut_u(x, len) else { return INVALID_ARGUMENT };
    if b.len() != 4 * n || v.len() != c {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::erase(x, n, c, h, w, b, v);
    OK
}

/// In place x + sigma_i N(0,1) (Philox key = keys[2i], keys[2i+1]); `clip` != 0 clamps to [0, 1].
///
/// # Safety
/// As [`ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_noise(
    x: *mut f32,
    n: usize,
    len: usize,
    keys: *const u32,
    sigmas: *const f32,
    clip: u32,
) -> i32 {
    let (k, s) = (slice(keys, 2 * n), slice(sigmas, n));
    let Some(total) = n.checked_mul(len) else { return INVALID_ARGUMENT };
    let Some(x) = slice_mut_u(x, total) else { return INVALID_ARGUMENT };
    if k.len() != 2 * n || s.len() != n || s.iter().any(|v| !v.is_finite()) {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::gaussian_noise(x, n, len, k, s, clip != 0);
    OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_arguments_return_a_status_instead_of_trapping() {
        let z = [1.0f32; 6];
        let mut out = [0.0f64; 2];
        unsafe {
            assert_eq!(ct_ntxent(z.as_ptr(), 3, 2, 0.1, core::ptr::null_mut(), out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_ntxent(z.as_ptr(), 2, 3, 0.0, core::ptr::null_mut(), out.as_mut_ptr()), INVALID_ARGUMENT);
            assert_eq!(
                ct_ntxent(z.as_ptr(), 2, 3, f32::NAN, core::ptr::null_mut(), out.as_mut_ptr()),
                INVALID_ARGUMENT
            );
            let labels = [0u32, 5];
            assert_eq!(
                ct_supcon(z.as_ptr(), labels.as_ptr(), 2, 3, 0.1, core::ptr::null_mut(), out.as_mut_ptr()),
                INVALID_ARGUMENT
            );
            assert_eq!(ct_ntxent(z.as_ptr(), 2, 3, 0.5, core::ptr::null_mut(), out.as_mut_ptr()), OK);
        }
    }

    #[test]
    fn move_images_gathers_and_scatters_whole_images_and_rejects_bad_indices() {
        let src: Vec<f32> = (0..4 * 3).map(|v| v as f32).collect(); // 4 images of 3
        let mut dst = vec![-1.0f32; 3 * 3];
        unsafe {
            // gather: dst[j] = src[idx[j]]
            assert_eq!(ct_aug_move_images(src.as_ptr(), 4, dst.as_mut_ptr(), 3, 3, [3u32, 0].as_ptr(), 2, 0), OK);
            assert_eq!(dst, vec![9.0, 10.0, 11.0, 0.0, 1.0, 2.0, -1.0, -1.0, -1.0]);
            // scatter: out[idx[j]] = dst[j]
            let mut out = vec![0.0f32; 4 * 3];
            assert_eq!(ct_aug_move_images(dst.as_ptr(), 3, out.as_mut_ptr(), 4, 3, [1u32, 3, 0].as_ptr(), 3, 1), OK);
            assert_eq!(out, vec![-1.0, -1.0, -1.0, 9.0, 10.0, 11.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0]);
            // index out of range, too many images, overlapping buffers, null, len 0
            assert_eq!(
                ct_aug_move_images(src.as_ptr(), 4, dst.as_mut_ptr(), 3, 3, [4u32].as_ptr(), 1, 0),
                INVALID_ARGUMENT
            );
            assert_eq!(
                ct_aug_move_images(src.as_ptr(), 4, dst.as_mut_ptr(), 3, 3, [0u32; 4].as_ptr(), 4, 0),
                INVALID_ARGUMENT
            );
            assert_eq!(
                ct_aug_move_images(dst.as_ptr(), 3, out.as_mut_ptr(), 4, 3, [4u32].as_ptr(), 1, 1),
                INVALID_ARGUMENT
            );
            assert_eq!(
                ct_aug_move_images(out.as_ptr(), 2, out.as_mut_ptr().add(3), 2, 3, [0u32].as_ptr(), 1, 0),
                INVALID_ARGUMENT
            );
            assert_eq!(ct_aug_move_images(out.as_ptr(), 1, out.as_mut_ptr().add(3), 1, 3, [0u32].as_ptr(), 1, 0), OK);
            assert_eq!(
                ct_aug_move_images(src.as_ptr(), 4, dst.as_mut_ptr(), 3, 3, core::ptr::null(), 1, 0),
                INVALID_ARGUMENT
            );
            assert_eq!(
                ct_aug_move_images(src.as_ptr(), 4, dst.as_mut_ptr(), 3, 0, [0u32].as_ptr(), 1, 0),
                INVALID_ARGUMENT
            );
            assert_eq!(ct_aug_move_images(src.as_ptr(), 4, dst.as_mut_ptr(), 3, 3, core::ptr::null(), 0, 0), OK);
        }
    }

    #[test]
    fn alloc_is_16_byte_aligned_and_free_accepts_null() {
        let p = ct_alloc(100);
        assert!(!p.is_null() && p as usize % 16 == 0);
        unsafe {
            ct_free(p, 100);
            ct_free(core::ptr::null_mut(), 8);
        }
    }
    #[test]
    fn augment_kernels_reject_bad_shapes_instead_of_trapping() {
        let mut x = [0.5f32; 12];
        let flags = [0u32];
        let boxes = [0u32, 0, 5, 2];
        let mut out = [0.0f32; 4];
        unsafe {
            assert_eq!(ct_aug_flip(x.as_mut_ptr(), 1, 2, 2, 3, flags.as_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_aug_flip(x.as_mut_ptr(), 1, 1, 3, 4, flags.as_ptr()), OK);
            assert_eq!(
                ct_aug_resized_crop(x.as_ptr(), 1, 1, 3, 4, boxes.as_ptr(), flags.as_ptr(), 2, 2, out.as_mut_ptr()),
                INVALID_ARGUMENT
            );
            let s = [1.0f32];
            assert_eq!(ct_aug_gaussian_blur(x.as_mut_ptr(), 1, 1, 3, 4, 7, s.as_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_aug_gaussian_blur(x.as_mut_ptr(), 1, 1, 3, 4, 4, s.as_ptr()), INVALID_ARGUMENT);
            assert_eq!(ct_aug_gaussian_blur(x.as_mut_ptr(), 1, 1, 3, 4, 3, s.as_ptr()), OK);
            assert_eq!(ct_aug_philox(0, 0, 0, 0, 0, 0, core::ptr::null_mut()), INVALID_ARGUMENT);
        }
    }
}
pub mod resnet;
pub mod sentence;
pub mod text;
