import { ContrastiveError } from '../errors.js';
import type { ImageBatch, ImageShape } from './image.js';
import { applyWith, checkStatus, int, num, pair, viewF32, type ImageOp } from './op.js';

/** SimCLR's kernel size: 10% of the image side, odd (google-research/simclr: 2 * ((side // 10) // 2) + 1; 23 for 224, 3 for 32). */
export function simclrKernelSize(side: number): number {
  return 2 * Math.floor(Math.floor(side / 10) / 2) + 1;
}

export interface GaussianBlurOptions {
  /** odd kernel size, or 'auto' for SimCLR's 10% rule on the image's smaller side (default). */
  kernelSize?: number | 'auto';
  /** sigma range; default [0.1, 2.0] (SimCLR, MoCo v2). */
  sigma?: [number, number];
}

function blurOp(name: string, kernel: number | 'auto', draw: (rng: import('../rng.js').Rng) => number): ImageOp<number> {
  const ksize = (s: ImageShape) => (kernel === 'auto' ? simclrKernelSize(Math.min(s.height, s.width)) : kernel);
  return {
    name,
    outShape: (s) => s,
    sample: draw,
    identity: () => 0,
    paramBytes: (n) => [4 * n],
    run(k, b, n, s, params, op) {
      const ks = ksize(s);
      if (ks === 1) return false; // a 1-tap kernel is the identity
      if (Math.floor(ks / 2) >= s.height || Math.floor(ks / 2) >= s.width) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${op}: kernelSize ${ks} needs reflect padding ${Math.floor(ks / 2)} < the image's height and width (${s.height}x${s.width})`,
        );
      }
      viewF32(k, b.params[0], n).set(params);
      checkStatus(op, k.ct_aug_gaussian_blur(b.src, n, s.channels, s.height, s.width, ks, b.params[0]));
      return false;
    },
  };
}

function kernelArg(v: unknown, op: string): number | 'auto' {
  if (v === undefined || v === 'auto') return 'auto';
  const k = int(v, 'kernelSize', op, 1, 4095);
  if (k % 2 === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: kernelSize must be odd, got ${k}`);
  return k;
}

/** GaussianBlur(kernelSize, sigma): sigma = U(sigma[0], sigma[1]) per image; torchvision's sampled kernel, reflect padding. */
export function gaussianBlur(opts: GaussianBlurOptions = {}): ImageOp<number> {
  const OP = 'gaussianBlur';
  const kernel = kernelArg(opts.kernelSize, OP);
  const [s0, s1] = pair(opts.sigma, 'sigma', OP, 1e-6, 1e3, [0.1, 2.0]);
  return blurOp(OP, kernel, (rng) => rng.range(s0, s1));
}

/** `F.gaussian_blur(img, [k, k], [sigma, sigma])`; sigma defaults to torchvision's 0.15 k + 0.35. */
export function blur(images: ImageBatch, kernelSize: number, sigma?: number): ImageBatch {
  const OP = 'blur';
  const k = kernelArg(kernelSize, OP) as number;
  const s = num(sigma, 'sigma', OP, 1e-6, 1e3, 0.15 * k + 0.35);
  return applyWith(
    OP,
    blurOp(OP, k, () => s),
    images,
    s,
  );
}
