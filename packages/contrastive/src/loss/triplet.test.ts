import { beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init, multiSimilarity, triplet } from '../index.node.js';

beforeAll(() => init());

describe('triplet', () => {
  it('a batch of two distinct labels has no triplet: loss 0 and a zero gradient, not NaN', () => {
    for (const mining of ['all', 'batchHard', 'batchSemiHard', 'semihard'] as const) {
      const r = triplet(m(randn(2, 4, 1), 2, 4), [0, 1], { mining });
      expect(r.loss).toBe(0);
      expect(r.grads.z.data.every((v) => v === 0)).toBe(true);
    }
  });

  it('all-same labels have no negative: loss 0 for every miner', () => {
    for (const mining of ['all', 'hard', 'easy', 'batchHard', 'batchSemiHard'] as const) {
      expect(triplet(m(randn(5, 3, 2), 5, 3), [7, 7, 7, 7, 7], { mining, grad: false }).loss).toBe(0);
    }
  });

  it('labels are compared for equality only: any integers give the same loss as dense ids', () => {
    const z = m(randn(6, 3, 3), 6, 3);
    const a = triplet(z, [0, 1, 0, 1, 2, 2], { mining: 'batchHard', margin: 0.5 });
    const b = triplet(z, [-40, 9, -40, 9, 1e6, 1e6], { mining: 'batchHard', margin: 0.5 });
    expect(a.loss).toBeGreaterThan(0);
    expect(b.loss).toBe(a.loss);
  });

  it('bad options are rejected with the option named', () => {
    const z = m(randn(4, 3, 1), 4, 3);
    expectError(() => triplet(z, [0, 0, 1, 1], { mining: 'hardest' as never }), 'INVALID_ARGUMENT', 'mining', 'hardest');
    expectError(() => triplet(z, [0, 0, 1, 1], { margin: NaN }), 'INVALID_ARGUMENT', 'margin');
    expectError(() => triplet(z, [0, 0, 1], {}), 'SHAPE_MISMATCH', 'labels');
    expectError(() => triplet(z, [0, 0, 1, 1], { distance: 'l1' as never }), 'INVALID_ARGUMENT', 'distance');
  });
});

describe('multiSimilarity', () => {
  it('a large beta does not overflow', () => {
    const r = multiSimilarity(m(randn(6, 3, 4), 6, 3), [0, 1, 0, 1, 2, 2], { beta: 5000, base: -1 });
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(r.grads.z.data.every(Number.isFinite)).toBe(true);
  });

  it('bad alpha is rejected', () => {
    expectError(() => multiSimilarity(m(randn(4, 3, 1), 4, 3), [0, 0, 1, 1], { alpha: 0 }), 'INVALID_ARGUMENT', 'alpha', '0');
  });
});
