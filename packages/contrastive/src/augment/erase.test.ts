import { beforeAll, describe, expect, it } from 'vitest';
import samplers from '../../../../test/reference/augment/samplers.json';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { augment } from './compose.js';
import { cutout, erase, randomErasing, sampleErasing } from './erase.js';
import { addGaussianNoise, gaussianNoise } from './noise.js';
import { Rng } from '../rng.js';
import { randomSolarize, solarize } from './solarize.js';
import { testBatch, z } from './testutil.js';

beforeAll(() => init());

describe('erasing, cutout, noise, solarize', () => {
  it('erasing boxes match torchvision RandomErasing.get_params in distribution (samplers.json, z < 5)', () => {
    const N = 20000;
    for (const ref of samplers.random_erasing) {
      const { height: H, width: W, scale, ratio } = ref.config;
      const rng = new Rng(77, [H, W, 0]);
      let area = 0,
        hs = 0,
        ws = 0;
      for (let t = 0; t < N; t++) {
        const b = sampleErasing(rng, H, W, scale as [number, number], ratio as [number, number]);
        expect(b.top + b.height <= H && b.left + b.width <= W && b.height < H && b.width < W).toBe(true);
        area += (b.height * b.width) / (H * W);
        hs += b.height;
        ws += b.width;
      }
      const name = JSON.stringify(ref.config);
      expect(z(area / N, ref.area_fraction, N), `${name} area`).toBeLessThan(5);
      expect(z(hs / N, ref.h, N), `${name} h`).toBeLessThan(5);
      expect(z(ws / N, ref.w, N), `${name} w`).toBeLessThan(5);
    }
  });

  it('erase sets exactly the box; cutout clips at the border; p = 0 is identity', () => {
    const x = testBatch(1, 1, 4, 5);
    const y = erase(x, { top: 1, left: 2, height: 2, width: 9 }, 0.5);
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 5; c++) {
        const inside = r >= 1 && r < 3 && c >= 2;
        expect(y.data[r * 5 + c]).toBe(inside ? 0.5 : x.data[r * 5 + c]);
      }
    const big = testBatch(20, 3, 8, 8);
    expect(augment(big, randomErasing({ p: 0 }), { seed: 1 }).data).toEqual(big.data);
    const c = augment(big, cutout({ size: 4, value: -1 }), { seed: 1 });
    for (let i = 0; i < 20; i++) {
      const erased = c.data.slice(i * 192, (i + 1) * 192).filter((v) => v === -1).length / 3;
      expect(erased).toBeGreaterThanOrEqual(4);
      expect(erased).toBeLessThanOrEqual(16);
    }
  });

  it('gaussian noise: sigma 0 is identity, clip keeps [0, 1], unclipped residual has the right sd', () => {
    const x = testBatch(4, 3, 16, 16);
    expect(augment(x, gaussianNoise({ sigma: 0 }), { seed: 1 }).data).toEqual(x.data);
    expect(augment(x, gaussianNoise({ sigma: 0.5 }), { seed: 1 }).data.every((v) => v >= 0 && v <= 1)).toBe(true);
    const y = addGaussianNoise(x, 0.1, { seed: 4, clip: false });
    let s = 0,
      s2 = 0;
    for (let i = 0; i < x.data.length; i++) {
      const d = y.data[i] - x.data[i];
      s += d;
      s2 += d * d;
    }
    const n = x.data.length;
    expect(Math.abs(s / n)).toBeLessThan((5 * 0.1) / Math.sqrt(n));
    expect(Math.abs(Math.sqrt(s2 / n) - 0.1)).toBeLessThan(0.005);
  });

  it('solarize inverts at and above the threshold; p = 0 is identity', () => {
    const x = { data: Float32Array.from([0.2, 0.5, 0.9]), n: 1, channels: 1 as const, height: 1, width: 3 };
    expect(Array.from(solarize(x, 0.5).data)).toEqual(Array.from(Float32Array.from([0.2, 0.5, 1 - Math.fround(0.9)])));
    expect(augment(x, randomSolarize({ p: 0 }), { seed: 1 }).data).toEqual(x.data);
  });

  it('out-of-range parameters raise', () => {
    expectError(() => randomErasing({ scale: [0.5, 0.1] }), 'INVALID_ARGUMENT', 'randomErasing', 'scale');
    expectError(() => gaussianNoise({ sigma: -1 }), 'INVALID_ARGUMENT', 'gaussianNoise', 'sigma');
    expectError(() => randomSolarize({ threshold: 2 }), 'INVALID_ARGUMENT', 'threshold');
  });
});
