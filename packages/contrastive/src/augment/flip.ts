import type { ImageBatch } from './image.js';
import { applyWith, checkStatus, prob, viewU32, type ImageOp } from './op.js';

/** Bit 0: reverse columns (horizontal flip); bit 1: reverse rows (vertical flip). */
export type FlipFlags = number;

function flipOp(name: string, bit: number, p: number): ImageOp<FlipFlags> {
  return {
    name,
    outShape: (s) => s,
    // torchvision: `if torch.rand(1) < p: flip`
    sample: (rng) => (rng.uniform() < p ? bit : 0),
    identity: () => 0,
    paramBytes: (n) => [4 * n],
    run(k, b, n, s, params, op) {
      const f = viewU32(k, b.params[0], n);
      for (let i = 0; i < n; i++) f[i] = params[i] & 3;
      checkStatus(op, k.ct_aug_flip(b.src, n, s.channels, s.height, s.width, b.params[0]));
      return false;
    },
  };
}

/** RandomHorizontalFlip(p = 0.5). */
export function randomHorizontalFlip(opts: { p?: number } = {}): ImageOp<FlipFlags> {
  return flipOp('randomHorizontalFlip', 1, prob(opts.p, 'randomHorizontalFlip', 0.5));
}

/** RandomVerticalFlip(p = 0.5). */
export function randomVerticalFlip(opts: { p?: number } = {}): ImageOp<FlipFlags> {
  return flipOp('randomVerticalFlip', 2, prob(opts.p, 'randomVerticalFlip', 0.5));
}

/** `F.hflip`: reverses the columns of every image. */
export function hflip(images: ImageBatch): ImageBatch {
  return applyWith('hflip', flipOp('hflip', 1, 1), images, 1);
}

/** `F.vflip`: reverses the rows of every image. */
export function vflip(images: ImageBatch): ImageBatch {
  return applyWith('vflip', flipOp('vflip', 2, 1), images, 2);
}
