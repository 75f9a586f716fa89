//! The text layers' `extern "C"` surface: Embedding (lookup, sparse row gradients, row-wise
//! optimizer steps), token pooling, LayerNorm, the residual add and multi-head self-attention.
//! Conventions as in the parent module: element counts, null = skip, status codes, no traps.

use super::{elems, slice, slice_mut, status, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::nn::{attention, embedding, layernorm, token_pool};
use crate::simd::Best;

unsafe fn opt_f32<'a>(p: *const f32, len: usize) -> Option<&'a [f32]> {
    if p.is_null() {
        None
    } else {
        Some(slice(p, len))
    }
}

unsafe fn mut_of<'a, T>(p: *mut T, len: usize) -> &'a mut [T] {
    if len == 0 {
        &mut []
    } else {
        core::slice::from_raw_parts_mut(p, len)
    }
}

/// Embedding lookup: y (n x dim) = W[ids], W vocab x dim. INVALID_ARGUMENT when an id >= vocab.
///
/// # Safety
/// Pointers must reference buffers of the stated sizes inside this module's memory.
#[no_mangle]
pub unsafe extern "C" fn ct_embedding_forward(w: *const f32, vocab: usize, dim: usize, ids: *const u32, n: usize, y: *mut f32) -> i32 {
    if vocab == 0 || dim == 0 || w.is_null() || ids.is_null() || y.is_null() {
        return INVALID_ARGUMENT;
    }
    let (Some(wl), Some(yl)) = (elems(&[vocab, dim]), elems(&[n, dim])) else { return OUT_OF_MEMORY };
    match embedding::forward(slice(w, wl), vocab, dim, slice(ids, n), mut_of(y, yl)) {
        Ok(()) => OK,
        Err(_) => INVALID_ARGUMENT,
    }
}

/// Embedding backward: dW[ids[i]] += dy_i (skipping `padding` when >= 0, and the positions
/// whose `mask` float is 0 when mask is not null); rows touched for the
/// first time since the last zeroing are appended to `list` (vocab u32) and marked in `mark`
/// (vocab bytes); `len` (one u32) holds the list's length in and out.
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_embedding_backward(
    ids: *const u32,
    n: usize,
    dy: *const f32,
    dim: usize,
    vocab: usize,
    padding: i32,
    mask: *const f32,
    dw: *mut f32,
    mark: *mut u8,
    list: *mut u32,
    len: *mut u32,
) -> i32 {
    if vocab == 0 || dim == 0 || ids.is_null() || dy.is_null() || dw.is_null() || mark.is_null() || list.is_null() || len.is_null() {
        return INVALID_ARGUMENT;
    }
    let (Some(wl), Some(yl)) = (elems(&[vocab, dim]), elems(&[n, dim])) else { return OUT_OF_MEMORY };
    let ids = slice(ids, n);
    if *len as usize > vocab || ids.iter().any(|&i| i as usize >= vocab) {
        return INVALID_ARGUMENT;
    }
    let padding = if padding >= 0 { Some(padding as u32) } else { None };
    let mut rows = embedding::Rows { mark: mut_of(mark, vocab), list: mut_of(list, vocab), len: *len as usize };
    embedding::backward::<Best>(ids, slice(dy, yl), dim, padding, opt_f32(mask, n), mut_of(dw, wl), &mut rows);
    *len = rows.len as u32;
    OK
}

/// Zeroes the `len` listed gradient rows and clears their marks.
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_embedding_zero_rows(dw: *mut f32, dim: usize, vocab: usize, mark: *mut u8, list: *const u32, len: usize) -> i32 {
    if dw.is_null() || mark.is_null() || (list.is_null() && len > 0) || len > vocab {
        return INVALID_ARGUMENT;
    }
    let Some(wl) = elems(&[vocab, dim]) else { return OUT_OF_MEMORY };
    let list = slice(list, len);
    if list.iter().any(|&r| r as usize >= vocab) {
        return INVALID_ARGUMENT;
    }
    embedding::zero_rows(mut_of(dw, wl), dim, mut_of(mark, vocab), list);
    OK
}

/// p[r] -= lr g[r] for the `len` listed rows.
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_sgd_rows(p: *mut f32, g: *const f32, dim: usize, vocab: usize, list: *const u32, len: usize, lr: f32) -> i32 {
    if p.is_null() || g.is_null() || (list.is_null() && len > 0) || len > vocab || !lr.is_finite() {
        return INVALID_ARGUMENT;
    }
    let Some(wl) = elems(&[vocab, dim]) else { return OUT_OF_MEMORY };
    let list = slice(list, len);
    if list.iter().any(|&r| r as usize >= vocab) {
        return INVALID_ARGUMENT;
    }
    embedding::sgd_rows::<Best>(mut_of(p, wl), slice(g, wl), dim, list, lr);
    OK
}

/// torch.optim.SparseAdam on the `len` listed rows at step t >= 1.
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_sparse_adam_rows(
    p: *mut f32,
    g: *const f32,
    m: *mut f32,
    v: *mut f32,
    dim: usize,
    vocab: usize,
    list: *const u32,
    len: usize,
    lr: f32,
    b1: f32,
    b2: f32,
    eps: f32,
    t: u32,
) -> i32 {
    if p.is_null() || g.is_null() || m.is_null() || v.is_null() || (list.is_null() && len > 0) || len > vocab || t == 0 {
        return INVALID_ARGUMENT;
    }
    let Some(n) = elems(&[vocab, dim]) else { return OUT_OF_MEMORY };
    let list = slice(list, len);
    if list.iter().any(|&r| r as usize >= vocab) {
        return INVALID_ARGUMENT;
    }
    embedding::sparse_adam_rows(mut_of(p, n), slice(g, n), mut_of(m, n), mut_of(v, n), dim, list, lr, b1, b2, eps, t);
    OK
}

/// The lengths of token pooling's x (b x s x d), y (b x d) and mask (b x s), checked.
fn pool_lens(b: usize, s: usize, d: usize) -> Option<[usize; 3]> {
    Some([elems(&[b, s, d])?, elems(&[b, d])?, elems(&[b, s])?])
}

/// Token pooling of x (b x s x d) under mask (b x s floats): kind 0 = CLS, 1 = mean, 2 = max.
/// `arg` (b x d u32) receives the max positions (kind 2; may be null otherwise).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_token_pool_forward(
    kind: u32,
    x: *const f32,
    b: usize,
    s: usize,
    d: usize,
    mask: *const f32,
    y: *mut f32,
    arg: *mut u32,
) -> i32 {
    if kind > 2 || b == 0 || s == 0 || d == 0 || x.is_null() || mask.is_null() || y.is_null() || (kind == 2 && arg.is_null()) {
        return INVALID_ARGUMENT;
    }
    let Some([xl, yl, ml]) = pool_lens(b, s, d) else { return OUT_OF_MEMORY };
    let arg = if kind == 2 { mut_of(arg, yl) } else { &mut [] };
    token_pool::forward::<Best>(kind, slice(x, xl), b, s, d, slice(mask, ml), mut_of(y, yl), arg);
    OK
}

/// Token pooling backward: dx (b x s x d) overwritten from dy (b x d).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_token_pool_backward(
    kind: u32,
    dy: *const f32,
    b: usize,
    s: usize,
    d: usize,
    mask: *const f32,
    arg: *const u32,
    dx: *mut f32,
) -> i32 {
    if kind > 2 || b == 0 || s == 0 || d == 0 || dy.is_null() || mask.is_null() || dx.is_null() || (kind == 2 && arg.is_null()) {
        return INVALID_ARGUMENT;
    }
    let Some([xl, yl, ml]) = pool_lens(b, s, d) else { return OUT_OF_MEMORY };
    let arg = if kind == 2 { slice(arg, yl) } else { &[] };
    token_pool::backward::<Best>(kind, slice(dy, yl), b, s, d, slice(mask, ml), arg, mut_of(dx, xl));
    OK
}

/// LayerNorm over rows of d: y (n x d); `save` (2n floats) keeps [mean, 1/std] per row.
/// gamma and beta may be null (not affine).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_layernorm_forward(
    x: *const f32,
    n: usize,
    d: usize,
    gamma: *const f32,
    beta: *const f32,
    eps: f32,
    y: *mut f32,
    save: *mut f32,
) -> i32 {
    if n == 0 || d == 0 || x.is_null() || y.is_null() || save.is_null() || eps.is_nan() || eps <= 0.0 || !eps.is_finite() {
        return INVALID_ARGUMENT;
    }
    let (Some(len), Some(sl)) = (elems(&[n, d]), elems(&[2, n])) else { return OUT_OF_MEMORY };
    layernorm::forward(slice(x, len), n, d, opt_f32(gamma, d), opt_f32(beta, d), eps, mut_of(y, len), mut_of(save, sl));
    OK
}

/// LayerNorm backward: dx overwritten (skipped when null); dgamma, dbeta accumulated (null = skip).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_layernorm_backward(
    x: *const f32,
    dy: *const f32,
    n: usize,
    d: usize,
    gamma: *const f32,
    save: *const f32,
    dx: *mut f32,
    dgamma: *mut f32,
    dbeta: *mut f32,
) -> i32 {
    if n == 0 || d == 0 || x.is_null() || dy.is_null() || save.is_null() {
        return INVALID_ARGUMENT;
    }
    let (Some(len), Some(sl)) = (elems(&[n, d]), elems(&[2, n])) else { return OUT_OF_MEMORY };
    layernorm::backward(
        slice(x, len),
        slice(dy, len),
        n,
        d,
        opt_f32(gamma, d),
        slice(save, sl),
        slice_mut(dx, len),
        slice_mut(dgamma, d),
        slice_mut(dbeta, d),
    );
    OK
}

/// out = a + b (len floats; out may alias a or b).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_add(a: *const f32, b: *const f32, len: usize, out: *mut f32) -> i32 {
    if a.is_null() || b.is_null() || out.is_null() {
        return INVALID_ARGUMENT;
    }
    if elems(&[len]).is_none() {
        return OUT_OF_MEMORY;
    }
    let (a, b, o) = (a, b, out);
    for i in 0..len {
        *o.add(i) = *a.add(i) + *b.add(i);
    }
    OK
}

/// The inputs both Q/K/V projection exports take, checked: x (n x hd), the weights Wq, Wk, Wv
/// (hd x hd each), and the lengths of a weight, x and qkv (n x 3hd). INVALID_ARGUMENT for a zero
/// size or a null pointer, OUT_OF_MEMORY when a length does not fit. The callers check their own
/// buffers first, so every INVALID_ARGUMENT comes before an OUT_OF_MEMORY.
#[allow(clippy::type_complexity)]
unsafe fn qkv_args<'a>(
    x: *const f32,
    n: usize,
    hd: usize,
    w: [*const f32; 3],
) -> Result<(&'a [f32], [&'a [f32]; 3], [usize; 3]), i32> {
    if n == 0 || hd == 0 || x.is_null() || w.iter().any(|p| p.is_null()) {
        return Err(INVALID_ARGUMENT);
    }
    let lens = (|| Some([elems(&[hd, hd])?, elems(&[n, hd])?, elems(&[n, 3, hd])?]))();
    let [hh, xl, ql] = lens.ok_or(OUT_OF_MEMORY)?;
    Ok((slice(x, xl), w.map(|p| slice(p, hh)), [hh, xl, ql]))
}

/// The fused Q/K/V projection: qkv (n x 3hd) = [x Wq^T + bq | x Wk^T + bk | x Wv^T + bv];
/// weights hd x hd (PyTorch layout), biases hd (each may be null).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_qkv_forward(
    x: *const f32,
    n: usize,
    hd: usize,
    wq: *const f32,
    bq: *const f32,
    wk: *const f32,
    bk: *const f32,
    wv: *const f32,
    bv: *const f32,
    qkv: *mut f32,
) -> i32 {
    if qkv.is_null() {
        return INVALID_ARGUMENT;
    }
    let (x, w, [_, _, ql]) = or_status!(qkv_args(x, n, hd, [wq, wk, wv]));
    let b = [opt_f32(bq, hd), opt_f32(bk, hd), opt_f32(bv, hd)];
    status(attention::qkv_forward::<Best>(x, n, hd, w, b, mut_of(qkv, ql)))
}

/// The fused projection's backward: dx = sum dqkv_p W_p (overwritten; null = skip),
/// dW_p += dqkv_p^T x, db_p += colsum dqkv_p (null = skip).
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_qkv_backward(
    x: *const f32,
    n: usize,
    hd: usize,
    wq: *const f32,
    wk: *const f32,
    wv: *const f32,
    dqkv: *const f32,
    dx: *mut f32,
    dwq: *mut f32,
    dbq: *mut f32,
    dwk: *mut f32,
    dbk: *mut f32,
    dwv: *mut f32,
    dbv: *mut f32,
) -> i32 {
    if dqkv.is_null() || dwq.is_null() || dwk.is_null() || dwv.is_null() {
        return INVALID_ARGUMENT;
    }
    let (x, w, [hh, xl, ql]) = or_status!(qkv_args(x, n, hd, [wq, wk, wv]));
    let dw = [mut_of(dwq, hh), mut_of(dwk, hh), mut_of(dwv, hh)];
    let db = [slice_mut(dbq, hd), slice_mut(dbk, hd), slice_mut(dbv, hd)];
    status(attention::qkv_backward::<Best>(x, n, hd, w, slice(dqkv, ql), slice_mut(dx, xl), dw, db))
}

fn drop_of(p: f32, seed_lo: u32, seed_hi: u32, stream_lo: u32, stream_hi: u32) -> Option<Option<attention::Drop>> {
    if !(0.0..1.0).contains(&p) {
        return None;
    }
    let seed = (seed_hi as u64) << 32 | seed_lo as u64;
    let stream = (stream_hi as u64) << 32 | stream_lo as u64;
    Some(if p > 0.0 { Some(attention::Drop { p, seed, stream }) } else { None })
}

/// The attention geometry and the lengths of qkv (b s x 3 heads dh), ctx (b s x heads dh), L
/// (b x heads x s) and the mask (b s): INVALID_ARGUMENT for a zero dimension, OUT_OF_MEMORY when
/// a length, or a thread's scratch ([`attention::scratch_floats`]), does not fit.
fn geom(b: usize, s: usize, heads: usize, dh: usize) -> Result<(attention::Geom, [usize; 4]), i32> {
    if b == 0 || s == 0 || heads == 0 || dh == 0 {
        return Err(INVALID_ARGUMENT);
    }
    let lens = (|| Some([elems(&[b, s, 3, heads, dh])?, elems(&[b, s, heads, dh])?, elems(&[b, heads, s])?, elems(&[b, s])?]))();
    match lens {
        Some(l) if elems(&[attention::scratch_floats(s)]).is_some() => Ok((attention::Geom { b, s, heads, dh }, l)),
        _ => Err(OUT_OF_MEMORY),
    }
}

/// The arguments both attention exports take, checked in this order: the geometry and lengths
/// ([`geom`]), the dropout ([`drop_of`]: INVALID_ARGUMENT unless 0 <= p < 1), and the buffers
/// qkv, mask, ctx and L, none of which may be null.
fn attention_args(
    b: usize,
    s: usize,
    heads: usize,
    dh: usize,
    p: f32,
    seed: [u32; 4],
    buffers: [*const f32; 4],
) -> Result<(attention::Geom, [usize; 4], Option<attention::Drop>), i32> {
    let (g, lens) = geom(b, s, heads, dh)?;
    let [seed_lo, seed_hi, stream_lo, stream_hi] = seed;
    let drop = drop_of(p, seed_lo, seed_hi, stream_lo, stream_hi).ok_or(INVALID_ARGUMENT)?;
    if buffers.iter().any(|b| b.is_null()) {
        return Err(INVALID_ARGUMENT);
    }
    Ok((g, lens, drop))
}

/// Self-attention core: ctx (b s x heads dh) and L (b x heads x s) from qkv (b s x 3 heads dh)
/// and the key mask (b x s floats, 0 = padding). `p` > 0: dropout on the probabilities with the
/// counter-based RNG at (seed, stream); the backward call must get the same four values.
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_attention_forward(
    b: usize,
    s: usize,
    heads: usize,
    dh: usize,
    qkv: *const f32,
    mask: *const f32,
    p: f32,
    seed_lo: u32,
    seed_hi: u32,
    stream_lo: u32,
    stream_hi: u32,
    ctx: *mut f32,
    lse: *mut f32,
) -> i32 {
    let seed = [seed_lo, seed_hi, stream_lo, stream_hi];
    let buffers = [qkv, mask, ctx.cast_const(), lse.cast_const()];
    let (g, [ql, cl, ll, ml], drop) = or_status!(attention_args(b, s, heads, dh, p, seed, buffers));
    status(attention::forward::<Best>(&g, slice(qkv, ql), slice(mask, ml), drop, mut_of(ctx, cl), mut_of(lse, ll)))
}

/// Self-attention backward: dqkv (overwritten) from dctx and the forward's qkv, mask, ctx, L.
///
/// # Safety
/// As [`ct_embedding_forward`].
#[no_mangle]
pub unsafe extern "C" fn ct_attention_backward(
    b: usize,
    s: usize,
    heads: usize,
    dh: usize,
    qkv: *const f32,
    mask: *const f32,
    p: f32,
    seed_lo: u32,
    seed_hi: u32,
    stream_lo: u32,
    stream_hi: u32,
    ctx: *const f32,
    lse: *const f32,
    dctx: *const f32,
    dqkv: *mut f32,
) -> i32 {
    let seed = [seed_lo, seed_hi, stream_lo, stream_hi];
    let (g, [ql, cl, ll, ml], drop) = or_status!(attention_args(b, s, heads, dh, p, seed, [qkv, mask, ctx, lse]));
    if dctx.is_null() || dqkv.is_null() {
        return INVALID_ARGUMENT;
    }
    status(attention::backward::<Best>(&g, slice(qkv, ql), slice(mask, ml), drop, slice(ctx, cl), slice(lse, ll), slice(dctx, cl), mut_of(dqkv, ql)))
}

/// Floats of scratch one thread of the attention kernels takes for sequences of s tokens
/// (`usize::MAX` when that count does not fit a usize).
#[no_mangle]
pub extern "C" fn ct_attention_scratch_floats(s: usize) -> usize {
    attention::scratch_floats(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ptr::{null, null_mut};

    #[test]
    fn qkv_and_attention_exports_reject_bad_arguments_before_running_out_of_memory() {
        let f = [0.5f32; 12];
        let p = f.as_ptr();
        let mut o = [0.0f32; 12];
        let mut g = [0.0f32; 12];
        let (o, g) = (o.as_mut_ptr(), g.as_mut_ptr());
        unsafe {
            // the projection: a zero size, a null input, weight or output; a null output even where
            // the sizes overflow is INVALID_ARGUMENT, not OUT_OF_MEMORY
            assert_eq!(ct_qkv_forward(p, 0, 2, p, null(), p, null(), p, null(), o), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_forward(p, 2, 2, p, null(), null(), null(), p, null(), o), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_forward(p, 2, 2, p, null(), p, null(), p, null(), null_mut()), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_forward(p, 2, usize::MAX, p, null(), p, null(), p, null(), null_mut()), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_forward(p, 2, usize::MAX, p, null(), p, null(), p, null(), o), OUT_OF_MEMORY);
            assert_eq!(ct_qkv_forward(p, 2, 2, p, p, p, p, p, p, o), OK);
            let nm = null_mut();
            assert_eq!(ct_qkv_backward(null(), 2, 2, p, p, p, p, nm, g, nm, g, nm, g, nm), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_backward(p, 2, 2, p, p, p, null(), nm, g, nm, g, nm, g, nm), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_backward(p, 2, 2, p, p, p, p, nm, g, nm, g, nm, nm, nm), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_backward(p, 2, usize::MAX, p, p, p, p, nm, g, nm, nm, nm, g, nm), INVALID_ARGUMENT);
            assert_eq!(ct_qkv_backward(p, 2, usize::MAX, p, p, p, p, nm, g, nm, g, nm, g, nm), OUT_OF_MEMORY);
            assert_eq!(ct_qkv_backward(p, 2, 2, p, p, p, p, o, g, g, g, g, g, g), OK);
            // attention (b 1, s 2, 1 head of 2): a zero head count, p outside [0, 1), a null buffer
            let (c, l) = (o, o.add(8));
            assert_eq!(ct_attention_forward(1, 2, 0, 2, p, p, 0.0, 0, 0, 0, 0, c, l), INVALID_ARGUMENT);
            assert_eq!(ct_attention_forward(1, 2, 1, 2, p, p, 1.0, 0, 0, 0, 0, c, l), INVALID_ARGUMENT);
            assert_eq!(ct_attention_forward(1, 2, 1, 2, p, null(), 0.0, 0, 0, 0, 0, c, l), INVALID_ARGUMENT);
            assert_eq!(ct_attention_forward(1, 2, 1, 2, p, p, 0.0, 0, 0, 0, 0, c, null_mut()), INVALID_ARGUMENT);
            assert_eq!(ct_attention_forward(1, 2, 1, 2, p, p, 0.25, 1, 2, 3, 4, c, l), OK);
            assert_eq!(ct_attention_backward(1, 2, 1, 2, p, p, -0.5, 0, 0, 0, 0, p, p, p, g), INVALID_ARGUMENT);
            assert_eq!(ct_attention_backward(1, 2, 1, 2, p, p, 0.0, 0, 0, 0, 0, null(), p, p, g), INVALID_ARGUMENT);
            assert_eq!(ct_attention_backward(1, 2, 1, 2, p, p, 0.0, 0, 0, 0, 0, p, p, null(), g), INVALID_ARGUMENT);
            assert_eq!(ct_attention_backward(1, 2, 1, 2, p, p, 0.0, 0, 0, 0, 0, p, p, p, null_mut()), INVALID_ARGUMENT);
            assert_eq!(ct_attention_backward(usize::MAX, 2, 1, 2, p, p, 0.0, 0, 0, 0, 0, p, p, p, g), OUT_OF_MEMORY);
            assert_eq!(ct_attention_backward(1, 2, 1, 2, p, p, 0.25, 1, 2, 3, 4, p, p, p, g), OK);
        }
    }
}
