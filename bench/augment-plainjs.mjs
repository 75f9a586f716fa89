// The SimCLR CIFAR-10 two-view pipeline in plain JavaScript, the way one writes it without the
// library: per image, the same torchvision definitions (RandomResizedCrop with bilinear,
// antialias=False; horizontal flip; ColorJitter(0.4, 0.4, 0.4, 0.1) in random order with p 0.8;
// grayscale p 0.2), float32 NCHW in [0, 1], Math.random for the draws. A baseline, not a reference.

const WR = 0.2989,
  WG = 0.587,
  WB = 0.114;
const clamp = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);

function sampleCrop(H, W) {
  const area = H * W,
    lr0 = Math.log(3 / 4),
    lr1 = Math.log(4 / 3);
  for (let a = 0; a < 10; a++) {
    const t = area * (0.08 + 0.92 * Math.random());
    const ar = Math.exp(lr0 + (lr1 - lr0) * Math.random());
    const w = Math.round(Math.sqrt(t * ar)),
      h = Math.round(Math.sqrt(t / ar));
    if (w > 0 && w <= W && h > 0 && h <= H) return [Math.floor(Math.random() * (H - h + 1)), Math.floor(Math.random() * (W - w + 1)), h, w];
  }
  return [0, 0, H, W];
}

function cropResize(src, c, H, W, [top, left, bh, bw], size, flip, dst) {
  const sy = bh / size,
    sx = bw / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.max(sy * (y + 0.5) - 0.5, 0),
      y0 = Math.min(Math.floor(fy), bh - 1),
      y1 = Math.min(y0 + 1, bh - 1),
      ly = fy - y0;
    for (let x = 0; x < size; x++) {
      const xo = flip ? size - 1 - x : x;
      const fx = Math.max(sx * (x + 0.5) - 0.5, 0),
        x0 = Math.min(Math.floor(fx), bw - 1),
        x1 = Math.min(x0 + 1, bw - 1),
        lx = fx - x0;
      for (let ch = 0; ch < c; ch++) {
        const p = ch * H * W;
        const r0 = p + (top + y0) * W + left,
          r1 = p + (top + y1) * W + left;
        dst[ch * size * size + y * size + xo] = (1 - ly) * ((1 - lx) * src[r0 + x0] + lx * src[r0 + x1]) + ly * ((1 - lx) * src[r1 + x0] + lx * src[r1 + x1]);
      }
    }
  }
}

function jitter(img, c, hw) {
  const order = [0, 1, 2, 3];
  for (let i = 3; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const f = [0.6 + 0.8 * Math.random(), 0.6 + 0.8 * Math.random(), 0.6 + 0.8 * Math.random(), -0.1 + 0.2 * Math.random()];
  for (const op of order) {
    if (op === 0) for (let i = 0; i < img.length; i++) img[i] = clamp(f[0] * img[i]);
    else if (op === 1) {
      let m = 0;
      if (c === 3) for (let p = 0; p < hw; p++) m += WR * img[p] + WG * img[hw + p] + WB * img[2 * hw + p];
      else for (let p = 0; p < hw; p++) m += img[p];
      m /= hw;
      for (let i = 0; i < img.length; i++) img[i] = clamp(f[1] * img[i] + (1 - f[1]) * m);
    } else if (op === 2 && c === 3) {
      for (let p = 0; p < hw; p++) {
        const g = WR * img[p] + WG * img[hw + p] + WB * img[2 * hw + p];
        for (let ch = 0; ch < 3; ch++) img[ch * hw + p] = clamp(f[2] * img[ch * hw + p] + (1 - f[2]) * g);
      }
    } else if (op === 3 && c === 3) {
      for (let p = 0; p < hw; p++) {
        const r = img[p],
          g = img[hw + p],
          b = img[2 * hw + p];
        const mx = Math.max(r, g, b),
          mn = Math.min(r, g, b),
          cr = mx - mn;
        const s = mx === mn ? 0 : cr / mx,
          d = mx === mn ? 1 : cr;
        const rc = (mx - r) / d,
          gc = (mx - g) / d,
          bc = (mx - b) / d;
        let h = mx === r ? bc - gc : mx === g ? 2 + rc - bc : 4 + gc - rc;
        h = (((h / 6 + 1) % 1) + f[3] + 1) % 1;
        const i6 = Math.floor(h * 6),
          fr = h * 6 - i6,
          v = mx;
        const pp = clamp(v * (1 - s)),
          q = clamp(v * (1 - s * fr)),
          t = clamp(v * (1 - s * (1 - fr)));
        const rgb = [
          [v, t, pp],
          [q, v, pp],
          [pp, v, t],
          [pp, q, v],
          [t, pp, v],
          [v, pp, q],
        ][((i6 % 6) + 6) % 6];
        img[p] = rgb[0];
        img[hw + p] = rgb[1];
        img[2 * hw + p] = rgb[2];
      }
    }
  }
}

/** One view of every image of an NCHW batch. */
export function plainView(x, n, c, H, W, size) {
  const out = new Float32Array(n * c * size * size);
  const hw = size * size;
  for (let i = 0; i < n; i++) {
    const img = out.subarray(i * c * hw, (i + 1) * c * hw);
    cropResize(x.subarray(i * c * H * W, (i + 1) * c * H * W), c, H, W, sampleCrop(H, W), size, Math.random() < 0.5, img);
    if (Math.random() <= 0.8) jitter(img, c, hw);
    if (c === 3 && Math.random() < 0.2) {
      for (let p = 0; p < hw; p++) {
        const g = WR * img[p] + WG * img[hw + p] + WB * img[2 * hw + p];
        img[p] = g;
        img[hw + p] = g;
        img[2 * hw + p] = g;
      }
    }
  }
  return out;
}
