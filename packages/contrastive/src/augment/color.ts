import { ContrastiveError } from '../errors.js';
import type { ImageBatch } from './image.js';
import { applyWith, checkStatus, num, pair, prob, viewF32, viewU32, type ImageOp } from './op.js';

/** One image's ColorJitter draw: factors and the order (op ids 0 brightness, 1 contrast, 2 saturation, 3 hue). */
export interface JitterParams {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  order: number[];
}

export interface ColorJitterOptions {
  /** b >= 0 means factors in [max(0, 1 - b), 1 + b]; or an explicit [min, max] with min >= 0. */
  brightness?: number | [number, number];
  contrast?: number | [number, number];
  saturation?: number | [number, number];
  /** h in [0, 0.5] means shifts in [-h, h]; or [min, max] inside [-0.5, 0.5]. */
  hue?: number | [number, number];
}

function factorRange(v: unknown, name: string, op: string): [number, number] | null {
  if (v === undefined) return null;
  let r: [number, number];
  if (typeof v === 'number') {
    num(v, name, op, 0, 1e6);
    r = [Math.max(0, 1 - v), 1 + v];
  } else r = pair(v, name, op, 0, 1e6);
  return r[0] === 1 && r[1] === 1 ? null : r; // torchvision: [1, 1] is None, its draw is not made
}

function hueRange(v: unknown, op: string): [number, number] | null {
  if (v === undefined) return null;
  const r: [number, number] = typeof v === 'number' ? [-num(v, 'hue', op, 0, 0.5), v] : pair(v, 'hue', op, -0.5, 0.5);
  return r[0] === 0 && r[1] === 0 ? null : r;
}

function encodeOrder(order: number[]): number {
  let o = 0xffff;
  order.forEach((id, step) => {
    o = (o & ~(0xf << (4 * step))) | ((id & 0xf) << (4 * step));
  });
  return o >>> 0;
}

function jitterOp(name: string, draw: ImageOp<JitterParams>['sample']): ImageOp<JitterParams> {
  return {
    name,
    outShape: (s) => s,
    sample: draw,
    identity: () => ({ brightness: 1, contrast: 1, saturation: 1, hue: 0, order: [] }),
    noopIdentity: true, // order [] = all steps SKIP: the kernel does nothing to the image
    paramBytes: (n) => [16 * n, 4 * n],
    run(k, b, n, s, params, op) {
      const f = viewF32(k, b.params[0], 4 * n);
      const o = viewU32(k, b.params[1], n);
      for (let i = 0; i < n; i++) {
        const p = params[i];
        f.set([p.brightness, p.contrast, p.saturation, p.hue], 4 * i);
        o[i] = encodeOrder(p.order);
      }
      checkStatus(op, k.ct_aug_color_jitter(b.src, n, s.channels, s.height, s.width, b.params[0], b.params[1]));
      return false;
    },
  };
}

/**
 * ColorJitter (torchvision 0.14): a uniformly random order of the four ops (randperm(4)), then the
 * factors drawn in the fixed order brightness, contrast, saturation, hue (ops whose range is the
 * identity are skipped and draw nothing). Each op clamps to [0, 1] before the next.
 */
export function colorJitter(opts: ColorJitterOptions): ImageOp<JitterParams> {
  const OP = 'colorJitter';
  const rb = factorRange(opts?.brightness, 'brightness', OP);
  const rc = factorRange(opts.contrast, 'contrast', OP);
  const rs = factorRange(opts.saturation, 'saturation', OP);
  const rh = hueRange(opts.hue, OP);
  const ranges = [rb, rc, rs, rh];
  return jitterOp(OP, (rng) => {
    const perm = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = rng.int(0, i);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const f = [1, 1, 1, 0];
    ranges.forEach((r, id) => {
      if (r) f[id] = rng.range(r[0], r[1]);
    });
    return { brightness: f[0], contrast: f[1], saturation: f[2], hue: f[3], order: perm.filter((id) => ranges[id] !== null) };
  });
}

/**
 * ColorJitter with fixed factors and order (deterministic; `color.json: color_jitter_fixed_*`).
 * Omitted factors are skipped.
 */
export function adjustColor(images: ImageBatch, p: Partial<JitterParams>): ImageBatch {
  const OP = 'adjustColor';
  const order = p?.order ?? [0, 1, 2, 3].filter((id) => [p.brightness, p.contrast, p.saturation, p.hue][id] !== undefined);
  if (!Array.isArray(order) || order.length > 4 || order.some((id) => !(id === 0 || id === 1 || id === 2 || id === 3))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: order must list op ids 0..3 (brightness, contrast, saturation, hue), got ${String(order)}`);
  }
  const q: JitterParams = {
    brightness: num(p.brightness, 'brightness', OP, 0, 1e6, 1),
    contrast: num(p.contrast, 'contrast', OP, 0, 1e6, 1),
    saturation: num(p.saturation, 'saturation', OP, 0, 1e6, 1),
    hue: num(p.hue, 'hue', OP, -0.5, 0.5, 0),
    order,
  };
  return applyWith(
    OP,
    jitterOp(OP, () => q),
    images,
    q,
  );
}

export const adjustBrightness = (images: ImageBatch, factor: number) => adjustColor(images, { brightness: factor, order: [0] });
export const adjustContrast = (images: ImageBatch, factor: number) => adjustColor(images, { contrast: factor, order: [1] });
export const adjustSaturation = (images: ImageBatch, factor: number) => adjustColor(images, { saturation: factor, order: [2] });
export const adjustHue = (images: ImageBatch, factor: number) => adjustColor(images, { hue: factor, order: [3] });

function grayOp(name: string, p: number): ImageOp<boolean> {
  return {
    name,
    outShape: (s) => s,
    sample: (rng) => rng.uniform() < p,
    identity: () => false,
    noopIdentity: true, // flag 0: the kernel passes the image by
    paramBytes: (n) => [4 * n],
    run(k, b, n, s, params, op) {
      const f = viewU32(k, b.params[0], n);
      for (let i = 0; i < n; i++) f[i] = params[i] ? 1 : 0;
      checkStatus(op, k.ct_aug_grayscale(b.src, n, s.channels, s.height, s.width, b.params[0]));
      return false;
    },
  };
}

/**
 * RandomGrayscale(p = 0.1): with probability p an RGB image becomes gray in all 3 channels, with
 * torchvision's tensor weights 0.2989 R + 0.587 G + 0.114 B (ITU-R 601-2 luma; torchvision's
 * tensor path writes 0.299 as 0.2989, so white maps to 0.9999). 1-channel images are unchanged.
 */
export function randomGrayscale(opts: { p?: number } = {}): ImageOp<boolean> {
  return grayOp('randomGrayscale', prob(opts.p, 'randomGrayscale', 0.1));
}

/** `F.rgb_to_grayscale(img, 3)`: every image gray, 3 channels kept. */
export function grayscale(images: ImageBatch): ImageBatch {
  return applyWith('grayscale', grayOp('grayscale', 1), images, true);
}
