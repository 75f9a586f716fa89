import { beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { cosineSimilarity, init } from '../index.node.js';

beforeAll(() => init());

describe('cosineSimilarity', () => {
  it('matches the float64 definition on odd sizes, with and without b', () => {
    for (const [ra, rb, d] of [
      [1, 1, 1],
      [5, 3, 17],
      [9, 33, 129],
    ]) {
      const a = randn(ra, d, ra + d);
      const b = randn(rb, d, rb + d + 1);
      const c = cosineSimilarity(m(a, ra, d), m(b, rb, d));
      expect([c.rows, c.cols]).toEqual([ra, rb]);
      for (let i = 0; i < ra; i++) {
        for (let j = 0; j < rb; j++) {
          let ab = 0,
            aa = 0,
            bb = 0;
          for (let t = 0; t < d; t++) {
            ab += a[i * d + t] * b[j * d + t];
            aa += a[i * d + t] ** 2;
            bb += b[j * d + t] ** 2;
          }
          expect(c.data[i * rb + j]).toBeCloseTo(ab / Math.sqrt(aa * bb), 5);
        }
      }
      const self = cosineSimilarity(m(a, ra, d));
      for (let i = 0; i < ra; i++) expect(self.data[i * ra + i]).toBeCloseTo(1, 5);
    }
  });

  it('zero-norm row gives zero similarities, not NaN', () => {
    const c = cosineSimilarity(m([0, 0, 1, 0], 2, 2));
    expect(Array.from(c.data)).toEqual([0, 0, 0, 1]);
  });

  it('column mismatch is SHAPE_MISMATCH', () => {
    expectError(() => cosineSimilarity(m([1, 2], 1, 2), m([1, 2, 3], 1, 3)), 'SHAPE_MISMATCH', 'b', '3 columns');
  });
});
