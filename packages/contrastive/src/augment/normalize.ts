import { ContrastiveError } from '../errors.js';
import type { ImageBatch, ImageShape } from './image.js';
import { applyWith, checkStatus, viewF32, type ImageOp } from './op.js';

/** ImageNet statistics (torchvision's models), the MoCo v2 Normalize. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
export const IMAGENET_STD = [0.229, 0.224, 0.225];

function perChannel(v: unknown, name: string, c: number, op: string, positive: boolean): number[] {
  const a = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(a) || (a.length !== 1 && a.length !== c) || !a.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be 1 or ${c} finite numbers${positive ? ' > 0' : ''}, got ${String(v)}`);
  }
  return a.length === 1 ? new Array<number>(c).fill(a[0]) : a;
}

/** Normalize(mean, std): (x - mean[c]) / std[c], no clamp. Deterministic; draws nothing. */
export function normalizeOp(opts: { mean: number | number[]; std: number | number[] }): ImageOp<null> {
  const OP = 'normalize';
  perChannel(opts?.mean, 'mean', Array.isArray(opts?.mean) ? opts.mean.length : 1, OP, false);
  perChannel(opts.std, 'std', Array.isArray(opts.std) ? opts.std.length : 1, OP, true);
  return {
    name: OP,
    outShape: (s) => s,
    sample: () => null,
    identity: () => null,
    paramBytes: (_n, s: ImageShape) => [4 * s.channels, 4 * s.channels],
    run(k, b, n, s, _params, op) {
      const m = perChannel(opts.mean, 'mean', s.channels, op, false);
      const d = perChannel(opts.std, 'std', s.channels, op, true);
      viewF32(k, b.params[0], s.channels).set(m);
      viewF32(k, b.params[1], s.channels).set(d);
      checkStatus(op, k.ct_aug_normalize(b.src, n, s.channels, s.height * s.width, b.params[0], b.params[1]));
      return false;
    },
  };
}

/** `F.normalize(img, mean, std)` on a batch. */
export function normalize(images: ImageBatch, mean: number | number[], std: number | number[]): ImageBatch {
  return applyWith('normalize', normalizeOp({ mean, std }), images, null);
}
