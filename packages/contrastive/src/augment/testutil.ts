// Helpers for the augment tests (not exported from the package).
import type { ImageBatch } from './image.js';

/** A deterministic batch in [0, 1] with structure (gradients + texture). */
export function testBatch(n: number, channels: 1 | 3, height: number, width: number, seed = 1): ImageBatch {
  const data = new Float32Array(n * channels * height * width);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const x = i % width,
      y = Math.floor(i / width) % height;
    data[i] = Math.fround((0.4 * x) / width + (0.3 * y) / height + 0.3 * ((s & 1023) / 1023));
  }
  return { data, n, channels, height, width };
}

/** z-score of an observed mean against a reference mean with its standard error. */
export function z(mean: number, ref: { mean: number; sd: number; se_mean: number }, n: number): number {
  return Math.abs(mean - ref.mean) / Math.sqrt(ref.se_mean ** 2 + ref.sd ** 2 / n);
}
