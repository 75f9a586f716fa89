import type { ImageBatch } from './image.js';
import { applyWith, checkStatus, imageLenOf, num, prob, viewF32, type ImageOp } from './op.js';

function solarizeOp(name: string, threshold: number, p: number): ImageOp<number> {
  return {
    name,
    outShape: (s) => s,
    sample: (rng) => (rng.uniform() < p ? threshold : Infinity),
    identity: () => Infinity,
    paramBytes: (n) => [4 * n],
    run(k, b, n, s, params, op) {
      viewF32(k, b.params[0], n).set(params);
      checkStatus(op, k.ct_aug_solarize(b.src, n, imageLenOf(s), b.params[0]));
      return false;
    },
  };
}

/** RandomSolarize(threshold, p = 0.5): x >= threshold ? 1 - x : x (BYOL: threshold 0.5, p 0.2 on view 2). */
export function randomSolarize(opts: { threshold?: number; p?: number } = {}): ImageOp<number> {
  const OP = 'randomSolarize';
  return solarizeOp(OP, num(opts.threshold, 'threshold', OP, 0, 1, 0.5), prob(opts.p, OP, 0.5));
}

/** `F.solarize(img, threshold)`: x >= threshold ? 1 - x : x (threshold <= 1, the bound of float images). */
export function solarize(images: ImageBatch, threshold: number): ImageBatch {
  const t = num(threshold, 'threshold', 'solarize', -1e6, 1);
  return applyWith('solarize', solarizeOp('solarize', t, 1), images, t);
}
