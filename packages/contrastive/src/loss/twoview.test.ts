import { beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { barlowTwins, dcl, dclw, init, negativeCosineSimilarity, vicReg } from '../index.node.js';

beforeAll(() => init());

describe('two-view losses', () => {
  it('a batch of one row is rejected where the loss needs two (no NaN from an empty denominator or n - 1 = 0)', () => {
    const a = m(randn(1, 4, 1), 1, 4);
    const b = m(randn(1, 4, 2), 1, 4);
    expectError(() => dcl(a, b, { temperature: 0.1 }), 'INVALID_ARGUMENT', 'at least 2 rows', '1');
    expectError(() => barlowTwins(a, b), 'INVALID_ARGUMENT', 'at least 2 rows');
    expectError(() => vicReg(a, b), 'INVALID_ARGUMENT', 'at least 2 rows');
    expect(negativeCosineSimilarity(a, b).loss).toBeGreaterThanOrEqual(-1);
  });

  it('views of different shapes are rejected naming both', () => {
    expectError(() => vicReg(m(randn(3, 4, 1), 3, 4), m(randn(3, 5, 2), 3, 5)), 'SHAPE_MISMATCH', 'b', '[3, 5]', '[3, 4]');
  });

  it('a constant dimension in both views stays finite (Barlow Twins standardization, VICReg variance hinge)', () => {
    const a = randn(6, 3, 3);
    const b = randn(6, 3, 4);
    for (let i = 0; i < 6; i++) a[i * 3] = b[i * 3] = 0.25;
    for (const r of [barlowTwins(m(a, 6, 3), m(b, 6, 3)), vicReg(m(a, 6, 3), m(b, 6, 3))]) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect([...r.grads.a.data, ...r.grads.b.data].every(Number.isFinite)).toBe(true);
    }
  });

  it('grad: false returns the same loss without gradients', () => {
    const a = m(randn(4, 3, 5), 4, 3);
    const b = m(randn(4, 3, 6), 4, 3);
    const full = dclw(a, b, { temperature: 0.2 });
    const only = dclw(a, b, { temperature: 0.2, grad: false });
    expect(only.loss).toBe(full.loss);
    expect('grads' in only).toBe(false);
  });

  it('bad weights are rejected with the option named', () => {
    const a = m(randn(4, 3, 5), 4, 3);
    expectError(() => dclw(a, a, { temperature: 0.1, sigma: 0 }), 'INVALID_ARGUMENT', 'sigma');
    expectError(() => barlowTwins(a, a, { lambda: -1 }), 'INVALID_ARGUMENT', 'lambda');
    expectError(() => vicReg(a, a, { mu: Infinity }), 'INVALID_ARGUMENT', 'mu');
    expectError(() => dcl(a, a, { temperature: 0 }), 'INVALID_ARGUMENT', 'temperature');
  });
});
