//! Flips and affine warps (torchvision 0.14 `F.hflip`, `F.vflip`, `F.affine`, `F.rotate` with
//! `expand=False`).
//!
//! Affine: for output pixel (row i, column j) of an h x w image, in centred y-down coordinates
//!   x = j + 0.5 - w/2,  y = i + 0.5 - h/2,
//!   u = M0 x + M1 y + M2 + w/2 - 0.5,  v = M3 x + M4 y + M5 + h/2 - 0.5
//! where M is torchvision's inverse matrix (`_get_inverse_affine_matrix`, computed in TS). Bilinear
//! sampling weighs the 4 neighbours of (v, u), a neighbour outside the image contributing 0;
//! nearest takes the pixel at (round_half_even(v), round_half_even(u)) or 0 outside. With a fill
//! (what RandomRotation / RandomAffine always pass) a ones-mask is sampled the same way and
//! out = out * mask + (1 - mask) * fill (bilinear), out = fill where mask < 0.5 (nearest).

/// In place; `flags[i]`: bit 0 reverses the columns, bit 1 the rows of image i.
pub fn flip(x: &mut [f32], n: usize, c: usize, h: usize, w: usize, flags: &[u32]) {
    for i in 0..n {
        let f = flags[i];
        if f & 3 == 0 {
            continue;
        }
        for ch in 0..c {
            let plane = &mut x[(i * c + ch) * h * w..(i * c + ch + 1) * h * w];
            if f & 1 != 0 {
                for row in plane.chunks_exact_mut(w) {
                    row.reverse();
                }
            }
            if f & 2 != 0 {
                for y in 0..h / 2 {
                    let (a, b) = plane.split_at_mut((h - 1 - y) * w);
                    a[y * w..(y + 1) * w].swap_with_slice(&mut b[..w]);
                }
            }
        }
    }
}

/// `mats`: 6 per image; `fill`: None = torchvision's `fill=None`, or one value per plane.
///
/// Four output columns at a time ([`super::lanes`]): the same float operations in the same order
/// as the one-pixel code ([`affine_pixel`], which does the last `w % 4` columns), so the bits are
/// the same. A neighbour outside the image is gathered from index 0 and its term replaced by
/// +0.0 instead of being skipped: the running sums start at +0.0 and can never be -0.0, so
/// adding +0.0 leaves them unchanged.
#[allow(clippy::too_many_arguments)]
pub fn affine(
    src: &[f32],
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    mats: &[f32],
    nearest: bool,
    fill: Option<&[f32]>,
    out: &mut [f32],
) {
    let hw = h * w;
    super::per_image(
        n,
        c * hw,
        out,
        || (),
        |_, i, o| {
            let m = &mats[6 * i..6 * i + 6];
            let img = &src[i * c * hw..(i + 1) * c * hw];
            affine_image(img, c, h, w, m, nearest, fill, o);
        },
    );
}

/// One image of [`affine`].
#[allow(clippy::too_many_arguments)]
fn affine_image(
    img: &[f32],
    c: usize,
    h: usize,
    w: usize,
    m: &[f32],
    nearest: bool,
    fill: Option<&[f32]>,
    o: &mut [f32],
) {
    use super::lanes as l;
    let (hf, wf) = (h as f32, w as f32);
    let hw = h * w;
    let w4 = w - w % 4;
    let (m0, m2, m3, m5) = (l::splat(m[0]), l::splat(m[2]), l::splat(m[3]), l::splat(m[5]));
    let (half_w, half_h, half, one, zero) =
        (l::splat(wf * 0.5), l::splat(hf * 0.5), l::splat(0.5), l::splat(1.0), l::splat(0.0));
    let (wv, hv) = (l::splat(wf), l::splat(hf));
    let inside = |a: l::F, lim: l::F| l::and(l::ge(a, zero), l::lt(a, lim));
    for r in 0..h {
        let y = r as f32 + 0.5 - hf * 0.5;
        let (m1y, m4y) = (l::splat(m[1] * y), l::splat(m[4] * y));
        let p = r * w;
        let mut col = 0;
        while col < w4 {
            // x = j + 0.5 - w/2 per lane, as the one-pixel code
            let x = l::sub(
                l::add(l::from4([col as f32, (col + 1) as f32, (col + 2) as f32, (col + 3) as f32]), half),
                half_w,
            );
            let u = l::sub(l::add(l::add(l::add(l::mul(m0, x), m1y), m2), half_w), half);
            let v = l::sub(l::add(l::add(l::add(l::mul(m3, x), m4y), m5), half_h), half);
            if nearest {
                let (ur, vr) = (l::round_even(u), l::round_even(v));
                let ok = l::and(inside(ur, wv), inside(vr, hv));
                let idx = l::sel_i(ok, l::mul_add_i(l::trunc(vr), w as i32, l::trunc(ur)));
                for ch in 0..c {
                    // SAFETY: a lane is 0 or, inside, vr * w + ur with 0 <= vr < h, 0 <= ur < w.
                    let got = unsafe { l::gather(&img[ch * hw..(ch + 1) * hw], idx) };
                    let f = l::splat(fill.map_or(0.0, |f| f[ch]));
                    l::store(&mut o[ch * hw + p + col..], l::blend(ok, got, f));
                }
                col += 4;
                continue;
            }
            let (u0, v0) = (l::floor(u), l::floor(v));
            let (fu, fv) = (l::sub(u, u0), l::sub(v, v0));
            let (gu, gv) = (l::sub(one, fu), l::sub(one, fv));
            let wts = [l::mul(gv, gu), l::mul(gv, fu), l::mul(fv, gu), l::mul(fv, fu)];
            let (u1, v1) = (l::add(u0, one), l::add(v0, one));
            let (inx0, inx1, iny0, iny1) = (inside(u0, wv), inside(u1, wv), inside(v0, hv), inside(v1, hv));
            let ok = [l::and(iny0, inx0), l::and(iny0, inx1), l::and(iny1, inx0), l::and(iny1, inx1)];
            // the taps' indices from the top-left one (exact for inside taps: their coordinates
            // are small integers, so trunc(u0 + 1) = trunc(u0) + 1)
            let wi = w as i32;
            let i00 = l::mul_add_i(l::trunc(v0), wi, l::trunc(u0));
            let idx = [
                l::sel_i(ok[0], i00),
                l::sel_i(ok[1], l::add_i(i00, 1)),
                l::sel_i(ok[2], l::add_i(i00, wi)),
                l::sel_i(ok[3], l::add_i(i00, wi + 1)),
            ];
            let mut mask = zero;
            for t in 0..4 {
                mask = l::add(mask, l::sel(ok[t], wts[t]));
            }
            for ch in 0..c {
                let plane = &img[ch * hw..(ch + 1) * hw];
                let mut s = zero;
                for t in 0..4 {
                    // SAFETY: a lane is 0 or, inside, yy * w + xx with 0 <= yy < h, 0 <= xx < w.
                    let px = unsafe { l::gather(plane, idx[t]) };
                    s = l::add(s, l::sel(ok[t], l::mul(wts[t], px)));
                }
                let res = match fill {
                    None => s,
                    Some(f) => l::add(l::mul(s, mask), l::mul(l::sub(one, mask), l::splat(f[ch]))),
                };
                l::store(&mut o[ch * hw + p + col..], res);
            }
            col += 4;
        }
        for col in w4..w {
            affine_pixel(img, c, h, w, m, nearest, fill, o, r, col);
        }
    }
}

/// Output pixel (r, col) of [`affine`], one pixel at a time (the definition; the 4-lane loop of
/// [`affine_image`] repeats these operations).
#[allow(clippy::too_many_arguments)]
#[inline]
fn affine_pixel(
    img: &[f32],
    c: usize,
    h: usize,
    w: usize,
    m: &[f32],
    nearest: bool,
    fill: Option<&[f32]>,
    o: &mut [f32],
    r: usize,
    col: usize,
) {
    let (hf, wf) = (h as f32, w as f32);
    let hw = h * w;
    let y = r as f32 + 0.5 - hf * 0.5;
    let x = col as f32 + 0.5 - wf * 0.5;
    let u = m[0] * x + m[1] * y + m[2] + wf * 0.5 - 0.5;
    let v = m[3] * x + m[4] * y + m[5] + hf * 0.5 - 0.5;
    let p = r * w + col;
    if nearest {
        let (ur, vr) = (u.round_ties_even(), v.round_ties_even());
        let inside = ur >= 0.0 && vr >= 0.0 && ur < wf && vr < hf;
        for ch in 0..c {
            o[ch * hw + p] =
                if inside { img[ch * hw + vr as usize * w + ur as usize] } else { fill.map_or(0.0, |f| f[ch]) };
        }
        return;
    }
    let (u0, v0) = (u.floor(), v.floor());
    let (fu, fv) = (u - u0, v - v0);
    let wts = [(1.0 - fv) * (1.0 - fu), (1.0 - fv) * fu, fv * (1.0 - fu), fv * fu];
    let mut idx = [usize::MAX; 4];
    let mut mask = 0.0f32;
    for (t, (dy, dx)) in [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)].iter().enumerate() {
        let (yy, xx) = (v0 + dy, u0 + dx);
        if yy >= 0.0 && xx >= 0.0 && yy < hf && xx < wf {
            idx[t] = yy as usize * w + xx as usize;
            mask += wts[t];
        }
    }
    for ch in 0..c {
        let plane = &img[ch * hw..(ch + 1) * hw];
        let mut s = 0.0f32;
        for t in 0..4 {
            if idx[t] != usize::MAX {
                s += wts[t] * plane[idx[t]];
            }
        }
        o[ch * hw + p] = match fill {
            None => s,
            Some(f) => s * mask + (1.0 - mask) * f[ch],
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flip_twice_is_identity_on_odd_sizes() {
        let x0: Vec<f32> = (0..2 * 3 * 5 * 7).map(|v| v as f32).collect();
        let mut x = x0.clone();
        flip(&mut x, 2, 3, 5, 7, &[3, 1]);
        assert_ne!(x, x0);
        flip(&mut x, 2, 3, 5, 7, &[3, 1]);
        assert_eq!(x, x0);
    }

    #[test]
    fn identity_matrix_copies_and_rot90_nearest_is_a_transpose_flip() {
        let x: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let mut o = vec![0.0f32; 16];
        affine(&x, 1, 1, 4, 4, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], false, Some(&[0.0]), &mut o);
        assert_eq!(o, x);
        // F.rotate(img, 90): M = [cos, -sin, 0, sin, cos, 0] with theta = 90 deg
        affine(&x, 1, 1, 4, 4, &[0.0, -1.0, 0.0, 1.0, 0.0, 0.0], true, Some(&[0.0]), &mut o);
        // torch.rot90(img, 1): out[r][c] = in[c][w-1-r]
        for r in 0..4 {
            for c in 0..4 {
                assert_eq!(o[r * 4 + c], x[c * 4 + 3 - r]);
            }
        }
    }

    /// The 4-lane loop gives the bits of the one-pixel definition: random images (with negative
    /// values, so products can be -0.0), matrices that move pixels partly and wholly outside,
    /// widths not a multiple of 4, 1 and 3 planes, both interpolations, with and without fill.
    #[test]
    fn four_lane_affine_matches_the_one_pixel_definition_bit_for_bit() {
        let mut r = crate::testutil::Rng(0x9e37_79b9);
        let mut rnd = move || r.uniform() as f32;
        for case in 0..400 {
            let c = if case % 3 == 0 { 3 } else { 1 };
            let (h, w) = (1 + (rnd() * 13.0) as usize, 1 + (rnd() * 13.0) as usize);
            let n = 2;
            let src: Vec<f32> = (0..n * c * h * w).map(|_| if case % 5 == 0 { rnd() - 0.5 } else { rnd() }).collect();
            let spread = [0.2f32, 1.0, 4.0][case % 3];
            let mut mats: Vec<f32> = (0..6 * n)
                .map(|k| if k % 3 == 2 { (rnd() - 0.5) * spread * w as f32 } else { (rnd() - 0.5) * 2.0 * spread })
                .collect();
            if case % 50 == 7 {
                // non-finite and huge coefficients: every neighbour outside, no out-of-bounds read
                mats[(case / 50) % 6] = [f32::NAN, f32::INFINITY, -f32::INFINITY, 3e38, -3e38, 1e20][(case / 50) % 6];
            }
            let fills: Vec<f32> = (0..c).map(|_| rnd() - 0.25).collect();
            for nearest in [false, true] {
                for fill in [None, Some(&fills[..])] {
                    let mut got = vec![f32::NAN; n * c * h * w];
                    affine(&src, n, c, h, w, &mats, nearest, fill, &mut got);
                    let mut want = vec![f32::NAN; n * c * h * w];
                    for i in 0..n {
                        let (img, o) =
                            (&src[i * c * h * w..(i + 1) * c * h * w], &mut want[i * c * h * w..(i + 1) * c * h * w]);
                        for r in 0..h {
                            for col in 0..w {
                                affine_pixel(img, c, h, w, &mats[6 * i..6 * i + 6], nearest, fill, o, r, col);
                            }
                        }
                    }
                    let (gb, wb): (Vec<u32>, Vec<u32>) =
                        (got.iter().map(|v| v.to_bits()).collect(), want.iter().map(|v| v.to_bits()).collect());
                    assert_eq!(gb, wb, "case {case}: {h}x{w}x{c} nearest={nearest} fill={fill:?}");
                }
            }
        }
    }
}
