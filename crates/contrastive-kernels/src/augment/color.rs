//! Colour ops, torchvision 0.14 `functional_tensor.py` on float images in [0, 1]:
//!   gray(img)  = (0.2989 R + 0.587 G) + 0.114 B
//!   blend(a, b, r) = clamp(r a + (1 - r) b, 0, 1)
//!   brightness(f) = blend(img, 0, f);  contrast(f) = blend(img, mean(gray(img)), f)  (one mean per image)
//!   saturation(f) = blend(img, gray(img), f);  hue(f): RGB -> HSV, h = (h + f) mod 1, HSV -> RGB
//! Saturation and hue leave a 1-plane image unchanged; contrast then takes the mean of the plane.
//! ColorJitter applies the four in a random order (`orders`, one nibble per step), each clamping
//! before the next runs.

use super::clamp01;
use crate::simd::Isa;

const WR: f32 = 0.2989;
const WG: f32 = 0.587;
const WB: f32 = 0.114;

/// Sentinel nibble: no op at this step.
pub const SKIP: u32 = 0xF;

#[inline(always)]
fn gray(r: f32, g: f32, b: f32) -> f32 {
    (WR * r + WG * g) + WB * b
}

/// x = clamp(r x + (1 - r) b) over a slice, b a constant.
fn blend_const<I: Isa>(x: &mut [f32], r: f32, b: f32) {
    let om = (1.0 - r as f64) as f32;
    let add = om * b;
    let (vr, va) = (I::splat(r), I::splat(add));
    let n = x.len();
    let body = n - n % 4;
    let p = x.as_mut_ptr();
    // SAFETY: i + 4 <= body <= n.
    unsafe {
        let mut i = 0;
        while i < body {
            I::store(p.add(i), clamp01::<I>(I::add(I::mul(vr, I::load(p.add(i))), va)));
            i += 4;
        }
    }
    for v in &mut x[body..] {
        *v = (r * *v + add).clamp(0.0, 1.0);
    }
}

/// Mean of gray(img) (3 planes) or of the plane, accumulated in f64.
fn gray_mean(img: &[f32], c: usize, hw: usize) -> f32 {
    let mut s = 0.0f64;
    if c == 3 {
        for p in 0..hw {
            s += gray(img[p], img[hw + p], img[2 * hw + p]) as f64;
        }
    } else {
        for v in &img[..hw] {
            s += *v as f64;
        }
    }
    (s / hw as f64) as f32
}

fn saturation<I: Isa>(img: &mut [f32], hw: usize, f: f32) {
    let om = (1.0 - f as f64) as f32;
    let (r, rest) = img.split_at_mut(hw);
    let (g, b) = rest.split_at_mut(hw);
    let body = hw - hw % 4;
    let (vf, vo) = (I::splat(f), I::splat(om));
    let (wr, wg, wb) = (I::splat(WR), I::splat(WG), I::splat(WB));
    let (pr, pg, pb) = (r.as_mut_ptr(), g.as_mut_ptr(), b.as_mut_ptr());
    // SAFETY: p + 4 <= body <= hw for each plane.
    unsafe {
        let mut p = 0;
        while p < body {
            let (vr, vg, vb) = (I::load(pr.add(p)), I::load(pg.add(p)), I::load(pb.add(p)));
            let gy = I::add(I::add(I::mul(wr, vr), I::mul(wg, vg)), I::mul(wb, vb));
            let og = I::mul(vo, gy);
            I::store(pr.add(p), clamp01::<I>(I::add(I::mul(vf, vr), og)));
            I::store(pg.add(p), clamp01::<I>(I::add(I::mul(vf, vg), og)));
            I::store(pb.add(p), clamp01::<I>(I::add(I::mul(vf, vb), og)));
            p += 4;
        }
    }
    for p in body..hw {
        let gy = gray(r[p], g[p], b[p]);
        r[p] = (f * r[p] + om * gy).clamp(0.0, 1.0);
        g[p] = (f * g[p] + om * gy).clamp(0.0, 1.0);
        b[p] = (f * b[p] + om * gy).clamp(0.0, 1.0);
    }
}

/// torchvision `_rgb2hsv` / `_hsv2rgb` on one pixel, hue shifted by f.
#[inline]
pub fn hue_pixel(r: f32, g: f32, b: f32, f: f32) -> (f32, f32, f32) {
    let maxc = r.max(g).max(b);
    let minc = r.min(g).min(b);
    let eq = maxc == minc;
    let cr = maxc - minc;
    let s = cr / if eq { 1.0 } else { maxc };
    let crd = if eq { 1.0 } else { cr };
    let (rc, gc, bc) = ((maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd);
    let h = if maxc == r {
        bc - gc
    } else if maxc == g {
        (2.0 + rc) - bc
    } else {
        (4.0 + gc) - rc
    };
    let h = (h / 6.0 + 1.0).rem_euclid(1.0);
    let h = (h + f).rem_euclid(1.0);
    let v = maxc;
    let i6 = (h * 6.0).floor();
    let fr = h * 6.0 - i6;
    let i = (i6 as i32).rem_euclid(6);
    let p = (v * (1.0 - s)).clamp(0.0, 1.0);
    let q = (v * (1.0 - s * fr)).clamp(0.0, 1.0);
    let t = (v * (1.0 - s * (1.0 - fr))).clamp(0.0, 1.0);
    match i {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

fn hue(img: &mut [f32], hw: usize, f: f32) {
    let (r, rest) = img.split_at_mut(hw);
    let (g, b) = rest.split_at_mut(hw);
    for p in 0..hw {
        let (a, bb, cc) = hue_pixel(r[p], g[p], b[p], f);
        r[p] = a;
        g[p] = bb;
        b[p] = cc;
    }
}

/// One colour op on one image: 0 brightness, 1 contrast, 2 saturation, 3 hue.
pub fn apply_one<I: Isa>(img: &mut [f32], c: usize, hw: usize, op: u32, f: f32) {
    match op {
        0 => blend_const::<I>(img, f, 0.0),
        1 => {
            let m = gray_mean(img, c, hw);
            blend_const::<I>(img, f, m)
        }
        2 if c == 3 => saturation::<I>(img, hw, f),
        3 if c == 3 => hue(img, hw, f),
        _ => {}
    }
}

/// [`gray_mean`] of up to 4 images at once: the same sums in the same order, one f64 chain per
/// image, side by side (one chain is bound by the add's latency; four run in about its time).
fn gray_means(imgs: [&[f32]; 4], c: usize, hw: usize) -> [f32; 4] {
    let mut s = [0.0f64; 4];
    if c == 3 {
        for p in 0..hw {
            for k in 0..4 {
                let im = imgs[k];
                s[k] += gray(im[p], im[hw + p], im[2 * hw + p]) as f64;
            }
        }
    } else {
        let (a, b, cc, d) = (&imgs[0][..hw], &imgs[1][..hw], &imgs[2][..hw], &imgs[3][..hw]);
        for p in 0..hw {
            s[0] += a[p] as f64;
            s[1] += b[p] as f64;
            s[2] += cc[p] as f64;
            s[3] += d[p] as f64;
        }
    }
    s.map(|v| (v / hw as f64) as f32)
}

/// In place. `factors`: 4 per image (brightness, contrast, saturation, hue); `orders[i]`: nibble k
/// (from the low end) is the op of step k, [`SKIP`] for none.
///
/// Eight images at a time, step by step, so the contrast means of the group's images (a serial
/// f64 sum each) are taken four side by side ([`gray_means`]); every image gets exactly the
/// operations of [`apply_one`] in its own order.
pub fn color_jitter<I: Isa>(x: &mut [f32], n: usize, c: usize, hw: usize, factors: &[f32], orders: &[u32]) {
    let len = c * hw;
    // groups of 8: with contrast at a random step, a step then has ~4 contrast images to pair up
    const G: usize = 8;
    super::per_group(n, len, G, x, |i0, group| {
        let k = group.len() / len;
        for step in 0..4 {
            let op = |j: usize| (orders[i0 + j] >> (4 * step)) & 0xF;
            // the means this step's contrast ops need, four at a time (padded with the last one)
            let mut means = [0.0f32; G];
            let (mut want, mut nw) = ([0usize; G], 0);
            for j in 0..k {
                if op(j) == 1 {
                    want[nw] = j;
                    nw += 1;
                }
            }
            for t0 in (0..nw).step_by(4) {
                let img = |t: usize| &group[want[(t0 + t).min(nw - 1)] * len..][..len];
                let m = gray_means([img(0), img(1), img(2), img(3)], c, hw);
                for t in t0..nw.min(t0 + 4) {
                    means[want[t]] = m[t - t0];
                }
            }
            for j in 0..k {
                let (o, i) = (op(j), i0 + j);
                let img = &mut group[j * len..(j + 1) * len];
                match o {
                    1 => blend_const::<I>(img, factors[4 * i + 1], means[j]),
                    o if o < 4 => apply_one::<I>(img, c, hw, o, factors[4 * i + o as usize]),
                    _ => {}
                }
            }
        }
    });
}

/// In place: images with `flags[i]` != 0 become gray(img) in each of their 3 planes
/// (RandomGrayscale keeps the channel count); 1-plane images are unchanged.
pub fn grayscale(x: &mut [f32], n: usize, c: usize, hw: usize, flags: &[u32]) {
    if c != 3 {
        return;
    }
    for i in 0..n {
        if flags[i] == 0 {
            continue;
        }
        let img = &mut x[i * 3 * hw..(i + 1) * 3 * hw];
        for p in 0..hw {
            let gy = gray(img[p], img[hw + p], img[2 * hw + p]);
            img[p] = gy;
            img[hw + p] = gy;
            img[2 * hw + p] = gy;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::scalar::Scalar4;

    #[test]
    fn hue_wraps_around_without_leaving_the_table() {
        for f in [-0.5f32, -0.1, 0.0, 0.1, 0.5] {
            for px in [(1.0, 0.0, 0.05), (1.0, 0.05, 0.0), (0.5, 0.5, 0.5), (0.0, 0.0, 0.0)] {
                let (r, g, b) = hue_pixel(px.0, px.1, px.2, f);
                for v in [r, g, b] {
                    assert!((0.0..=1.0).contains(&v), "{f} {px:?} -> {v}");
                }
            }
        }
    }

    #[test]
    fn jitter_keeps_values_in_range_and_skip_is_identity() {
        let x0: Vec<f32> = (0..3 * 37).map(|v| ((v * 7919) % 101) as f32 / 100.0).collect();
        let mut x = x0.clone();
        color_jitter::<Scalar4>(&mut x, 1, 3, 37, &[1.8, 0.2, 1.9, 0.3], &[0xFFFF]);
        assert_eq!(x, x0);
        color_jitter::<Scalar4>(&mut x, 1, 3, 37, &[1.8, 1.9, 1.9, 0.3], &[0x1302]);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn grayscale_of_grayscale_is_stable() {
        let mut x: Vec<f32> = (0..3 * 10).map(|v| v as f32 / 30.0).collect();
        grayscale(&mut x, 1, 3, 10, &[1]);
        let once = x.clone();
        grayscale(&mut x, 1, 3, 10, &[1]);
        for (a, b) in x.iter().zip(&once) {
            assert!((a - b).abs() <= 1e-4 * b.abs().max(1e-6) + 1e-6);
        }
    }

    /// The one-image-at-a-time definition (the code before the grouped form).
    fn jitter_reference(x: &mut [f32], n: usize, c: usize, hw: usize, factors: &[f32], orders: &[u32]) {
        for i in 0..n {
            for step in 0..4 {
                let op = (orders[i] >> (4 * step)) & 0xF;
                if op < 4 {
                    apply_one::<Scalar4>(&mut x[i * c * hw..(i + 1) * c * hw], c, hw, op, factors[4 * i + op as usize]);
                }
            }
        }
    }

    #[test]
    fn grouped_jitter_matches_one_image_at_a_time_bit_for_bit() {
        let mut r = crate::testutil::Rng(0x2545_f491);
        let mut rnd = move || (r.next_u64() >> 32) as u32;
        for case in 0..60 {
            let c = if case % 2 == 0 { 3 } else { 1 };
            let (n, hw) = (1 + (rnd() % 20) as usize, 1 + (rnd() % 50) as usize);
            let x0: Vec<f32> = (0..n * c * hw).map(|_| (rnd() % 1000) as f32 / 999.0).collect();
            let factors: Vec<f32> = (0..4 * n)
                .map(|k| if k % 4 == 3 { (rnd() % 100) as f32 / 200.0 - 0.25 } else { (rnd() % 100) as f32 / 50.0 })
                .collect();
            // random orders, some steps skipped, contrast often (so groups hold 0..4 contrast images)
            let orders: Vec<u32> = (0..n)
                .map(|_| {
                    (0..4).fold(0u32, |o, step| o | ([0u32, 1, 1, 2, 3, SKIP][(rnd() % 6) as usize] << (4 * step)))
                })
                .collect();
            let mut got = x0.clone();
            color_jitter::<Scalar4>(&mut got, n, c, hw, &factors, &orders);
            let mut want = x0.clone();
            jitter_reference(&mut want, n, c, hw, &factors, &orders);
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "case {case}: n={n} c={c} hw={hw}");
        }
    }
}
