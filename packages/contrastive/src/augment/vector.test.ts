import { describe, expect, it } from 'vitest';
import { expectError, m } from '../../../../test/util/errors.js';
import { augment, twoViews } from './compose.js';
import { composeVectors, featureDropout, scarf, vectorNoise } from './vector.js';

const table = (rows: number, cols: number) =>
  m(
    Array.from({ length: rows * cols }, (_, i) => (i % cols) * 100 + Math.floor(i / cols)),
    rows,
    cols,
  );

describe('vector augmentations', () => {
  it('SCARF replaces exactly floor(rate * cols) features per row, each with a value of the same column', () => {
    const x = table(50, 10);
    const y = augment(x, scarf({ rate: 0.6 }), { seed: 3 });
    for (let i = 0; i < 50; i++) {
      let changed = 0;
      for (let j = 0; j < 10; j++) {
        const v = y.data[i * 10 + j];
        expect(Math.floor(v / 100)).toBe(j); // still from column j's marginal
        if (v !== x.data[i * 10 + j]) changed++;
      }
      // a replacement may draw the row's own value: changed <= 6, and 6 chosen positions
      expect(changed).toBeLessThanOrEqual(6);
    }
    const total = Array.from(y.data).filter((v, k) => v !== x.data[k]).length;
    expect(total / 500).toBeGreaterThan(0.6 * 0.9);
  });

  it('zero-rate SCARF, zero-probability dropout and zero-sigma noise are identity', () => {
    const x = table(7, 5);
    for (const op of [scarf({ rate: 0 }), featureDropout({ p: 0 }), vectorNoise({ sigma: 0 })]) {
      expect(augment(x, op, { seed: 1 }).data).toEqual(x.data);
    }
  });

  it('feature dropout masks about p of the features; noise has the requested sigma', () => {
    const x = m(new Float32Array(20000).fill(1), 100, 200);
    const y = augment(x, featureDropout({ p: 0.3 }), { seed: 2 });
    const zeros = Array.from(y.data).filter((v) => v === 0).length / 20000;
    expect(Math.abs(zeros - 0.3)).toBeLessThan(5 * Math.sqrt(0.21 / 20000));
    const n = augment(m(new Float32Array(20000), 100, 200), vectorNoise({ sigma: 0.5 }), { seed: 2 });
    const sd = Math.sqrt(n.data.reduce((a, v) => a + v * v, 0) / 20000);
    expect(Math.abs(sd - 0.5)).toBeLessThan(0.02);
  });

  it('two views differ, and are reproducible from the seed', () => {
    const x = table(8, 6);
    const op = composeVectors(scarf(), vectorNoise({ sigma: 0.01 }));
    const [a, b] = twoViews(x, op, { seed: 9 });
    expect(a.data).not.toEqual(b.data);
    expect(twoViews(x, op, { seed: 9 })[0].data).toEqual(a.data);
  });

  it('out-of-range parameters raise', () => {
    expectError(() => scarf({ rate: 1.2 }), 'INVALID_ARGUMENT', 'scarf', 'rate');
    expectError(() => featureDropout({ p: -0.1 }), 'INVALID_ARGUMENT', 'featureDropout', 'p');
    expectError(() => augment(m([1, 2, 3], 1, 2), scarf(), { seed: 0 }), 'SHAPE_MISMATCH', 'x.data');
  });
});
