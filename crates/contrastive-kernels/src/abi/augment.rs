//! Augmentation exports (src/augment, packages/contrastive/src/augment): float32 NCHW batches in
//! [0, 1], most of them transformed in place.

use super::{elems, slice, slice_mut, status, INVALID_ARGUMENT, OK, OUT_OF_MEMORY};
use crate::simd::Best;

/// Image sizes a kernel accepts: every dimension non-zero and channels 1 or 3
/// (INVALID_ARGUMENT), a batch that can exist (OUT_OF_MEMORY). Returns n c h w.
fn image_ok(n: usize, c: usize, h: usize, w: usize) -> Result<usize, i32> {
    if n == 0 || h == 0 || w == 0 || (c != 1 && c != 3) {
        return Err(INVALID_ARGUMENT);
    }
    elems(&[n, c, h, w]).ok_or(OUT_OF_MEMORY)
}

/// The per-image parameters of n images, `k` each (boxes, matrices, keys), checked.
fn per_image(k: usize, n: usize) -> Result<usize, i32> {
    elems(&[k, n]).ok_or(OUT_OF_MEMORY)
}

/// Philox4x32-10 of (key, counter) into `out` (4 u32): lets the TS generator be checked against this one.
///
/// # Safety
/// `out` must hold 4 u32.
#[no_mangle]
pub unsafe extern "C" fn ct_aug_philox(k0: u32, k1: u32, c0: u32, c1: u32, c2: u32, c3: u32, out: *mut u32) -> i32 {
    match slice_mut(out, 4) {
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
/// As [`super::loss::ct_ntxent`].
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
    if !matches!(c_in, 1 | 3 | 4) || src.is_null() {
        return INVALID_ARGUMENT;
    }
    let total = or_status!(image_ok(n, 1, h, w).and_then(|p| elems(&[p, c_in]).ok_or(OUT_OF_MEMORY)));
    let c_out = crate::augment::convert::planes(c_in);
    let Some(o) = slice_mut(out, total / c_in * c_out) else { return INVALID_ARGUMENT };
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
/// As [`super::loss::ct_ntxent`].
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
    let (len, olen, nb) = match (image_ok(n, c, h, w), image_ok(n, c, oh, ow), per_image(4, n)) {
        (Ok(a), Ok(b), Ok(k)) => (a, b, k),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return e,
    };
    let (b, f) = (slice(boxes, nb), slice(flags, n));
    if b.len() != nb || f.len() != n {
        return INVALID_ARGUMENT;
    }
    for bx in b.chunks_exact(4) {
        let (t, l, bh, bw) = (bx[0] as usize, bx[1] as usize, bx[2] as usize, bx[3] as usize);
        if bh == 0 || bw == 0 || bh > h || bw > w || t > h - bh || l > w - bw {
            return INVALID_ARGUMENT;
        }
    }
    let Some(o) = slice_mut(out, olen) else { return INVALID_ARGUMENT };
    status(crate::augment::resize::resized_crop(slice(src, len), n, c, h, w, b, f, oh, ow, o))
}

/// In place: flags per image, bit 0 horizontal, bit 1 vertical.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_flip(x: *mut f32, n: usize, c: usize, h: usize, w: usize, flags: *const u32) -> i32 {
    let len = or_status!(image_ok(n, c, h, w));
    let (Some(x), f) = (slice_mut(x, len), slice(flags, n)) else { return INVALID_ARGUMENT };
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
/// As [`super::loss::ct_ntxent`].
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
    let len = or_status!(image_ok(n, c, h, w));
    let nm = or_status!(per_image(6, n));
    let m = slice(mats, nm);
    let Some(o) = slice_mut(out, len) else { return INVALID_ARGUMENT };
    if m.len() != nm || src.is_null() {
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
/// As [`super::loss::ct_ntxent`].
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
    let (Some(ls), Some(ld)) = (elems(&[n_src, len]), elems(&[n_dst, len])) else { return OUT_OF_MEMORY };
    if src.is_null() || dst.is_null() || ld == 0 || (m > 0 && idx.is_null()) {
        return INVALID_ARGUMENT;
    }
    let ix = slice(idx, m);
    // idx indexes dst when scattering, src when gathering; j runs over the other batch
    let (idx_bound, m_bound) = if scatter != 0 { (n_dst, n_src) } else { (n_src, n_dst) };
    let (sa, da) = (src as usize, dst as usize);
    let overlap = sa < da.saturating_add(4 * ld) && da < sa.saturating_add(4 * ls);
    if overlap || m > m_bound || ix.iter().any(|&i| i as usize >= idx_bound) {
        return INVALID_ARGUMENT;
    }
    let (s, Some(d)) = (slice(src, ls), slice_mut(dst, ld)) else { return INVALID_ARGUMENT };
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
/// As [`super::loss::ct_ntxent`].
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
    let len = or_status!(image_ok(n, c, h, w));
    let nf = or_status!(per_image(4, n));
    let (f, o) = (slice(factors, nf), slice(orders, n));
    let Some(x) = slice_mut(x, len) else { return INVALID_ARGUMENT };
    if f.len() != nf || o.len() != n || f.iter().any(|v| !v.is_finite()) {
        return INVALID_ARGUMENT;
    }
    crate::augment::color::color_jitter::<Best>(x, n, c, h * w, f, o);
    OK
}

/// In place: images with flags[i] != 0 become gray (3 equal planes); 1-plane batches unchanged.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_grayscale(
    x: *mut f32,
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    flags: *const u32,
) -> i32 {
    let len = or_status!(image_ok(n, c, h, w));
    let (Some(x), f) = (slice_mut(x, len), slice(flags, n)) else { return INVALID_ARGUMENT };
    if f.len() != n {
        return INVALID_ARGUMENT;
    }
    crate::augment::color::grayscale(x, n, c, h * w, f);
    OK
}

/// In place Gaussian blur with odd kernel size k (k/2 < h and < w), sigma per image (<= 0: skip).
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
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
    let len = or_status!(image_ok(n, c, h, w));
    let s = slice(sigmas, n);
    if k.is_multiple_of(2) || k / 2 >= h || k / 2 >= w || s.len() != n || s.iter().any(|v| !v.is_finite()) {
        return INVALID_ARGUMENT;
    }
    let Some(x) = slice_mut(x, len) else { return INVALID_ARGUMENT };
    status(crate::augment::blur::gaussian_blur::<Best>(x, n, c, h, w, k, s))
}

/// In place: x >= t ? 1 - x : x with t per image (t > 1: unchanged). `len` values per image.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_solarize(x: *mut f32, n: usize, len: usize, thresholds: *const f32) -> i32 {
    let Some(total) = elems(&[n, len]) else { return OUT_OF_MEMORY };
    if total == 0 {
        return INVALID_ARGUMENT;
    }
    let t = slice(thresholds, n);
    let Some(x) = slice_mut(x, total) else { return INVALID_ARGUMENT };
    if t.len() != n {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::solarize(x, n, len, t);
    OK
}

/// In place (x - mean[c]) / std[c] over n images of c planes of hw values.
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_normalize(
    x: *mut f32,
    n: usize,
    c: usize,
    hw: usize,
    mean: *const f32,
    std: *const f32,
) -> i32 {
    let len = or_status!(image_ok(n, c, hw, 1));
    let (m, s) = (slice(mean, c), slice(std, c));
    let Some(x) = slice_mut(x, len) else { return INVALID_ARGUMENT };
    if m.len() != c || s.len() != c || s.iter().any(|v| !(v.is_finite() && *v != 0.0)) {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::normalize::<Best>(x, n, c, hw, m, s);
    OK
}

/// In place: the box (4 u32 per image: top, left, height, width; clipped) set to values[c].
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
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
    let len = or_status!(image_ok(n, c, h, w));
    let nb = or_status!(per_image(4, n));
    let (b, v) = (slice(boxes, nb), slice(values, c));
    let Some(x) = slice_mut(x, len) else { return INVALID_ARGUMENT };
    if b.len() != nb || v.len() != c {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::erase(x, n, c, h, w, b, v);
    OK
}

/// In place x + sigma_i N(0,1) (Philox key = keys[2i], keys[2i+1]); `clip` != 0 clamps to [0, 1].
///
/// # Safety
/// As [`super::loss::ct_ntxent`].
#[no_mangle]
pub unsafe extern "C" fn ct_aug_noise(
    x: *mut f32,
    n: usize,
    len: usize,
    keys: *const u32,
    sigmas: *const f32,
    clip: u32,
) -> i32 {
    let (Some(total), Some(nk)) = (elems(&[n, len]), elems(&[2, n])) else { return OUT_OF_MEMORY };
    if total == 0 {
        return INVALID_ARGUMENT;
    }
    let (k, s) = (slice(keys, nk), slice(sigmas, n));
    let Some(x) = slice_mut(x, total) else { return INVALID_ARGUMENT };
    if k.len() != nk || s.len() != n || s.iter().any(|v| !v.is_finite()) {
        return INVALID_ARGUMENT;
    }
    crate::augment::point::gaussian_noise(x, n, len, k, s, clip != 0);
    OK
}

#[cfg(test)]
mod tests {
    use super::*;

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
