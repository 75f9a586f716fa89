// The views whose hashes pin down cross-runtime determinism: fixed synthetic images, fixed seeds,
// every preset and every random op. Shared by the fixture generator (make-determinism.mjs, Node),
// the Node test and the Chromium test, so all three compute exactly the same thing.

/** FNV-1a (32-bit) over the float32 bit patterns, as 8 hex digits. */
export function hashF32(data) {
  const words = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) {
    let w = words[i];
    for (let b = 0; b < 4; b++) {
      h ^= w & 0xff;
      h = Math.imul(h, 0x01000193) >>> 0;
      w >>>= 8;
    }
  }
  return h.toString(16).padStart(8, '0');
}

/** n HWC uint8 images of h x w x c: smooth gradients plus a xorshift texture. */
export function syntheticImages(n, h, w, c, seed) {
  const data = new Uint8Array(n * h * w * c);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const p = Math.floor(i / c) % (h * w);
    const y = Math.floor(p / w),
      x = p % w,
      ch = i % c;
    data[i] = (((x * 255) / w) * (ch === 0 ? 1 : 0.5) + ((y * 255) / h) * (ch === 2 ? 1 : 0.3) + (s & 63)) % 256;
  }
  return { data, n, height: h, width: w, channels: c };
}

/** name -> [hash of view 1, hash of view 2] */
export function computeViewHashes(lib) {
  const gray = lib.toImageBatch(syntheticImages(6, 28, 28, 1, 7));
  const rgb = lib.toImageBatch(syntheticImages(5, 32, 32, 3, 11));
  const big = lib.toImageBatch(syntheticImages(3, 72, 80, 4, 13)); // RGBA -> RGB
  const everything = lib.compose(
    lib.randomResizedCrop({ size: [30, 26], scale: [0.2, 1] }),
    lib.randomHorizontalFlip(),
    lib.randomVerticalFlip({ p: 0.3 }),
    lib.randomAffine({ degrees: 20, translate: [0.1, 0.2], scale: [0.8, 1.2], shear: [-5, 5, -3, 3], interpolation: 'bilinear' }),
    lib.randomRotation({ degrees: 15 }),
    lib.colorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2 }),
    lib.randomGrayscale({ p: 0.3 }),
    lib.gaussianBlur({ kernelSize: 5 }),
    lib.randomSolarize({ p: 0.4 }),
    lib.gaussianNoise({ sigma: [0.01, 0.1] }),
    lib.randomErasing({ p: 0.7 }),
    lib.cutout({ size: 6, p: 0.5 }),
    lib.normalizeOp({ mean: lib.IMAGENET_MEAN, std: lib.IMAGENET_STD }),
  );
  const cases = {
    'simclr-cifar10 rgb32': [rgb, lib.simclrCifar10(), { seed: 1 }],
    'small-gray gray28': [gray, lib.smallGrayscale(), { seed: 2, step: 5 }],
    'simclr-imagenet 64 rgba72x80': [big, lib.simclrImageNet({ size: 64 }), { seed: 3 }],
    'moco-v2 48 rgba72x80': [big, lib.mocoV2({ size: 48 }), { seed: 2 ** 40 + 17, offset: 1000 }],
    'every op rgb32': [rgb, everything, { seed: 4, step: 2 }],
  };
  // The kernels' vector loops and their tails: widths 4k and not, 1 and 3 planes, both
  // interpolations, fill / fill=None, negative inputs (after Normalize), crops up- and
  // downscaled; and small-gray on a batch of digits over several steps (issue #6's recipe).
  const odd = lib.toImageBatch(syntheticImages(4, 17, 23, 3, 17));
  const digits = lib.toImageBatch(syntheticImages(48, 28, 28, 1, 19));
  const warp = { degrees: 40, translate: [0.3, 0.2], scale: [0.6, 1.5], shear: [-10, 10, -5, 5] };
  const more = {
    'affine bilinear fill rgb17x23': [odd, lib.randomAffine({ ...warp, interpolation: 'bilinear', fill: [0.2, 0.5, 0.9] }), { seed: 5 }],
    'affine bilinear fill=None rgb17x23': [odd, lib.randomAffine({ ...warp, interpolation: 'bilinear', fill: null }), { seed: 6 }],
    'affine nearest fill rgb17x23': [odd, lib.randomAffine({ ...warp, fill: 0.7 }), { seed: 7 }],
    'normalize then affine rgb32': [
      rgb,
      lib.compose(lib.normalizeOp({ mean: lib.IMAGENET_MEAN, std: lib.IMAGENET_STD }), lib.randomAffine({ ...warp, interpolation: 'bilinear' })),
      { seed: 8 },
    ],
    'crop up rgb17x23 to 37x21': [odd, lib.randomResizedCrop({ size: [37, 21], scale: [0.05, 0.5] }), { seed: 9 }],
    'crop down rgba72x80 to 13': [big, lib.randomResizedCrop({ size: 13, scale: [0.5, 1] }), { seed: 10 }],
  };
  for (let step = 0; step < 4; step++) more[`small-gray digits48 step ${step}`] = [digits, lib.smallGrayscale(), { seed: 11, step, offset: 48 * step }];
  Object.assign(cases, more);
  const out = {};
  for (const [name, [x, p, opts]] of Object.entries(cases)) {
    const [a, b] = lib.twoViews(x, p, opts);
    out[name] = [hashF32(a.data), hashF32(b.data)];
  }
  return out;
}
