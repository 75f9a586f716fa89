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
    let (hf, wf) = (h as f32, w as f32);
    let hw = h * w;
    super::per_image(n, c * hw, out, || (), |_, i, o| {
        let m = &mats[6 * i..6 * i + 6];
        let img = &src[i * c * hw..(i + 1) * c * hw];
        for r in 0..h {
            let y = r as f32 + 0.5 - hf * 0.5;
            for col in 0..w {
                let x = col as f32 + 0.5 - wf * 0.5;
                let u = m[0] * x + m[1] * y + m[2] + wf * 0.5 - 0.5;
                let v = m[3] * x + m[4] * y + m[5] + hf * 0.5 - 0.5;
                let p = r * w + col;
                if nearest {
                    let (ur, vr) = (u.round_ties_even(), v.round_ties_even());
                    let inside = ur >= 0.0 && vr >= 0.0 && ur < wf && vr < hf;
                    for ch in 0..c {
                        o[ch * hw + p] = if inside {
                            img[ch * hw + vr as usize * w + ur as usize]
                        } else {
                            fill.map_or(0.0, |f| f[ch])
                        };
                    }
                    continue;
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
        }
    });
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
}
