import type { ImageBatch } from './image.js';
import { applyWith, checkStatus, imageLenOf, num, pair, prob, viewF32, viewU32, type ImageOp } from './op.js';

/** One image's noise: sigma and the 64-bit Philox key of its normals. */
export interface NoiseParams {
  sigma: number;
  key: [number, number];
}

export interface GaussianNoiseOptions {
  /** standard deviation, or a [min, max] range drawn per image; default 0.1 */
  sigma?: number | [number, number];
  /** clamp to [0, 1] afterwards (torchvision.transforms.v2.GaussianNoise's default: true) */
  clip?: boolean;
  p?: number;
}

function noiseOp(name: string, clip: boolean, draw: ImageOp<NoiseParams>['sample']): ImageOp<NoiseParams> {
  return {
    name,
    outShape: (s) => s,
    sample: draw,
    identity: () => ({ sigma: 0, key: [0, 0] }),
    paramBytes: (n) => [8 * n, 4 * n],
    run(k, b, n, s, params, op) {
      const keys = viewU32(k, b.params[0], 2 * n);
      const sig = viewF32(k, b.params[1], n);
      for (let i = 0; i < n; i++) {
        keys[2 * i] = params[i].key[0];
        keys[2 * i + 1] = params[i].key[1];
        sig[i] = params[i].sigma;
      }
      checkStatus(op, k.ct_aug_noise(b.src, n, imageLenOf(s), b.params[0], b.params[1], clip ? 1 : 0));
      return false;
    },
  };
}

/** Additive Gaussian pixel noise; the normals come from Philox in the kernel, keyed by two draws of the image's Rng. */
export function gaussianNoise(opts: GaussianNoiseOptions = {}): ImageOp<NoiseParams> {
  const OP = 'gaussianNoise';
  const range: [number, number] =
    typeof opts.sigma === 'number' || opts.sigma === undefined
      ? [num(opts.sigma, 'sigma', OP, 0, 1e3, 0.1), opts.sigma ?? 0.1]
      : pair(opts.sigma, 'sigma', OP, 0, 1e3);
  const p = prob(opts.p, OP, 1);
  return noiseOp(OP, opts.clip ?? true, (rng) => {
    if (!(rng.uniform() < p)) return { sigma: 0, key: [0, 0] };
    const sigma = range[0] === range[1] ? range[0] : rng.range(range[0], range[1]);
    return { sigma, key: [rng.nextU32(), rng.nextU32()] };
  });
}

/** Adds sigma * N(0, 1) noise with an explicit seed (image i uses key [seed, i]). */
export function addGaussianNoise(images: ImageBatch, sigma: number, opts: { seed?: number; clip?: boolean } = {}): ImageBatch {
  const s = num(sigma, 'sigma', 'addGaussianNoise', 0, 1e3);
  const seed = (opts.seed ?? 0) >>> 0;
  const params = Array.from({ length: images?.n ?? 0 }, (_, i): NoiseParams => ({ sigma: s, key: [seed, i] }));
  return applyWith(
    'addGaussianNoise',
    noiseOp('addGaussianNoise', opts.clip ?? true, () => params[0]),
    images,
    params,
  );
}
