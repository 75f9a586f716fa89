import { beforeAll, describe, expect, it } from 'vitest';
import samplers from '../../../../test/reference/augment/samplers.json';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { colorJitter, grayscale, randomGrayscale } from './color.js';
import { augment, randomApply } from './compose.js';
import { Rng } from '../rng.js';
import { testBatch } from './testutil.js';

beforeAll(() => init());

describe('colour', () => {
  it('color jitter keeps values in [0, 1] even at extreme factors', () => {
    const x = testBatch(16, 3, 9, 11);
    const y = augment(x, colorJitter({ brightness: [0, 5], contrast: [0, 5], saturation: [0, 5], hue: 0.5 }), { seed: 3 });
    expect(y.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('grayscale of grayscale is stable (up to the 0.9999 weight sum)', () => {
    const x = testBatch(2, 3, 6, 5);
    const g1 = grayscale(x);
    const g2 = grayscale(g1);
    for (let i = 0; i < g1.data.length; i++) expect(Math.abs(g2.data[i] - 0.9999 * g1.data[i])).toBeLessThan(1e-6);
    const hw = 30;
    for (let p = 0; p < hw; p++) expect(g1.data[p]).toBe(g1.data[hw + p]);
  });

  it('a 1-channel image: grayscale and saturation/hue are identity', () => {
    const x = testBatch(3, 1, 5, 5);
    expect(grayscale(x).data).toEqual(x.data);
    expect(augment(x, colorJitter({ saturation: 0.9, hue: 0.4 }), { seed: 1 }).data).toEqual(x.data);
  });

  it('zero-probability randomApply and randomGrayscale(0) are identity', () => {
    const x = testBatch(6, 3, 7, 7);
    expect(augment(x, randomApply(0, colorJitter({ brightness: 0.8 })), { seed: 2 }).data).toEqual(x.data);
    expect(augment(x, randomGrayscale({ p: 0 }), { seed: 2 }).data).toEqual(x.data);
  });

  it('factors are uniform on their ranges and the order is a uniform permutation (SimCLR s = 1)', () => {
    const op = colorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 });
    const ref = samplers.analytic.color_jitter_simclr_s1;
    const N = 24000;
    const sums = [0, 0, 0, 0];
    const orders = new Map<string, number>();
    const s = { channels: 3 as const, height: 4, width: 4 };
    for (let i = 0; i < N; i++) {
      const p = op.sample(new Rng(8, [i, 0, 0]), s);
      const f = [p.brightness, p.contrast, p.saturation, p.hue];
      const r = [ref.brightness_factor, ref.contrast_factor, ref.saturation_factor, ref.hue_factor];
      f.forEach((v, j) => {
        expect(v >= r[j].range[0] && v < r[j].range[1]).toBe(true);
        sums[j] += v;
      });
      orders.set(p.order.join(''), (orders.get(p.order.join('')) ?? 0) + 1);
    }
    const r = [ref.brightness_factor, ref.contrast_factor, ref.saturation_factor, ref.hue_factor];
    sums.forEach((v, j) => expect(Math.abs(v / N - r[j].mean)).toBeLessThan((5 * r[j].sd) / Math.sqrt(N)));
    expect(orders.size).toBe(24);
    for (const c of orders.values()) expect(Math.abs(c / N - 1 / 24)).toBeLessThan(5 * Math.sqrt(((1 / 24) * (23 / 24)) / N));
  });

  it('an identity range is skipped and draws nothing (torchvision: [1, 1] is None)', () => {
    const s = { channels: 3 as const, height: 2, width: 2 };
    const a = colorJitter({ brightness: 0.5 }).sample(new Rng(1), s);
    expect(a.order).toEqual([0]);
    expect([a.contrast, a.saturation, a.hue]).toEqual([1, 1, 0]);
  });

  it('out-of-range factors raise', () => {
    expectError(() => colorJitter({ hue: 0.6 }), 'INVALID_ARGUMENT', 'colorJitter', 'hue');
    expectError(() => colorJitter({ brightness: -1 }), 'INVALID_ARGUMENT', 'brightness');
    expectError(() => colorJitter({ contrast: [1.5, 0.5] }), 'INVALID_ARGUMENT', 'contrast', 'min <= max');
  });
});
