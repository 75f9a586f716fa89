import { beforeAll, describe, expect, it } from 'vitest';
import samplers from '../../../../test/reference/augment/samplers.json';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { augment } from './compose.js';
import { randomResizedCrop, resize, resizedCrop, sampleResizedCrop } from './crop.js';
import { Rng } from '../rng.js';
import { testBatch, z } from './testutil.js';

beforeAll(() => init());

describe('randomResizedCrop', () => {
  it('crop stays inside the image and its area fraction lies in the requested scale range', () => {
    for (const [H, W] of [
      [28, 28],
      [7, 9],
      [200, 300],
      [8, 48],
    ]) {
      const rng = new Rng(3, [H, W, 0]);
      for (let t = 0; t < 3000; t++) {
        const b = sampleResizedCrop(rng, H, W, [0.3, 0.9], [3 / 4, 4 / 3]);
        expect(b.top >= 0 && b.left >= 0 && b.height >= 1 && b.width >= 1).toBe(true);
        expect(b.top + b.height <= H && b.left + b.width <= W).toBe(true);
        if (b.attempts <= 10) {
          // rounding h and w moves the area by at most (h + w + 1) / 2 pixels around the drawn target
          const slack = (b.height + b.width + 1) / 2 / (H * W);
          const f = (b.height * b.width) / (H * W);
          expect(f).toBeGreaterThanOrEqual(0.3 - slack);
          expect(f).toBeLessThanOrEqual(0.9 + slack);
        }
      }
    }
  });

  it('sampled boxes match torchvision get_params in distribution (samplers.json, 7 configs, z < 5)', () => {
    const N = 20000;
    for (const ref of samplers.random_resized_crop) {
      const { height: H, width: W, scale, ratio } = ref.config;
      const rng = new Rng(42, [H, W, Math.round(scale[0] * 100)]);
      let area = 0,
        hs = 0,
        ws = 0,
        lr = 0,
        fallback = 0;
      for (let t = 0; t < N; t++) {
        const b = sampleResizedCrop(rng, H, W, scale as [number, number], ratio as [number, number]);
        area += (b.height * b.width) / (H * W);
        hs += b.height;
        ws += b.width;
        lr += Math.log(b.width / b.height);
        if (b.attempts > 10) fallback++;
      }
      const name = JSON.stringify(ref.config);
      expect(z(area / N, ref.area_fraction, N), `${name} area`).toBeLessThan(5);
      expect(z(hs / N, ref.h, N), `${name} h`).toBeLessThan(5);
      expect(z(ws / N, ref.w, N), `${name} w`).toBeLessThan(5);
      expect(z(lr / N, ref.log_w_over_h, N), `${name} log(w/h)`).toBeLessThan(5);
      const p = ref.p_fallback;
      expect(Math.abs(fallback / N - p), `${name} fallback rate`).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p) + 1e-4) / N));
    }
  });

  it('fallback is the central crop with the aspect ratio clamped (8 x 48 with scale 1)', () => {
    // scale [1, 1] on 8 x 48 never fits with aspect <= 4/3: straight to the fallback
    const b = sampleResizedCrop(new Rng(1), 8, 48, [1, 1], [3 / 4, 4 / 3]);
    expect(b).toEqual({ top: 0, left: Math.floor((48 - 11) / 2), height: 8, width: 11, attempts: 11 });
  });

  it('output has the requested size and stays in [0, 1]', () => {
    const x = testBatch(4, 3, 20, 30);
    const y = augment(x, randomResizedCrop({ size: [12, 16] }), { seed: 5 });
    expect([y.n, y.channels, y.height, y.width]).toEqual([4, 3, 12, 16]);
    expect(y.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('resize to the same size is the identity; a crop outside the image raises', () => {
    const x = testBatch(2, 1, 5, 7);
    expect(resize(x, [5, 7]).data).toEqual(x.data);
    expectError(() => resizedCrop(x, { top: 1, left: 0, height: 5, width: 7 }, 4), 'INVALID_ARGUMENT', 'resizedCrop', 'not inside');
  });

  it('out-of-range parameters raise ContrastiveError naming the argument', () => {
    expectError(() => randomResizedCrop({ size: 0 }), 'INVALID_ARGUMENT', 'randomResizedCrop', 'size');
    expectError(() => randomResizedCrop({ size: 8, scale: [0.5, 0.2] }), 'INVALID_ARGUMENT', 'scale', 'min <= max');
    expectError(() => randomResizedCrop({ size: 8, scale: [0.1, 1.5] }), 'INVALID_ARGUMENT', 'scale[1]');
    expectError(() => randomResizedCrop({ size: 8, ratio: [0, 1] }), 'INVALID_ARGUMENT', 'ratio[0]');
  });
});
