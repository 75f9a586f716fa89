// Seeing the views: original | view 1 | view 2, one row per sample, as ImageData-compatible RGBA.
import { ContrastiveError } from '../errors.js';
import { augment, type Pipeline, type ViewOptions } from './compose.js';
import { checkBatch, type ImageBatch } from './image.js';
import type { ImageOp } from './op.js';

const GAP = 2;
const BG = 48;

/** An RGBA image: the layout of canvas ImageData (`new ImageData(data, width, height)`). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

function paint(out: RgbaImage, x: ImageBatch, i: number, ox: number, oy: number): void {
  const { channels: c, height: h, width: w } = x;
  const img = x.data.subarray(i * c * h * w, (i + 1) * c * h * w);
  // views after Normalize leave [0, 1]: stretch those to the displayable range
  let lo = 0,
    hi = 1;
  let mn = Infinity,
    mx = -Infinity;
  for (const v of img) {
    mn = Math.min(mn, v);
    mx = Math.max(mx, v);
  }
  if (mn < 0 || mx > 1) [lo, hi] = [mn, mx > mn ? mx : mn + 1];
  const s = 255 / (hi - lo);
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const o = ((oy + y) * out.width + ox + xx) * 4;
      for (let ch = 0; ch < 3; ch++) out.data[o + ch] = (img[(c === 3 ? ch : 0) * h * w + y * w + xx] - lo) * s + 0.5;
      out.data[o + 3] = 255;
    }
  }
}

/**
 * A grid of up to 16 samples: each row shows the original, view 1 and view 2 of `pipeline`
 * (`twoViews` with the same options), 2 px apart on a dark background.
 */
export function augmentationGrid(images: ImageBatch, pipeline: Pipeline | ImageOp, opts: ViewOptions & { max?: number } = {}): RgbaImage {
  const OP = 'augmentationGrid';
  checkBatch(images, 'images', OP);
  const max = opts.max ?? 16;
  if (!Number.isInteger(max) || max < 1 || max > 16)
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: max must be an integer in [1, 16], got ${String(max)}`);
  const n = Math.min(images.n, max);
  const x: ImageBatch = { ...images, n, data: images.data.subarray(0, n * images.channels * images.height * images.width) };
  const v1 = augment(x, pipeline, { ...opts, view: 0 });
  const v2 = augment(x, pipeline, { ...opts, view: 1 });
  const cellH = Math.max(x.height, v1.height);
  const width = GAP + (x.width + GAP) + 2 * (v1.width + GAP);
  const height = GAP + n * (cellH + GAP);
  const out: RgbaImage = { width, height, data: new Uint8ClampedArray(width * height * 4) };
  for (let p = 0; p < width * height; p++) out.data.set([BG, BG, BG, 255], 4 * p);
  for (let i = 0; i < n; i++) {
    const oy = GAP + i * (cellH + GAP);
    paint(out, x, i, GAP, oy);
    paint(out, v1, i, GAP + x.width + GAP, oy);
    paint(out, v2, i, GAP + x.width + GAP + v1.width + GAP, oy);
  }
  return out;
}
