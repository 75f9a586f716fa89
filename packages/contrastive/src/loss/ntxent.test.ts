import { beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstOracle, maxAbs, ntxent64, randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init, ntXent } from '../index.node.js';

beforeAll(() => init());

describe('ntXent', () => {
  it('matches float64 finite differences on odd sizes (D = 1, 3, 17, 129; N = 1, 3, 8)', () => {
    for (const d of [1, 3, 17, 129]) {
      for (const n of [1, 3, 8]) {
        const a = randn(n, d, d * 100 + n);
        const b = randn(n, d, d * 100 + n + 50);
        const r = ntXent(m(a, n, d), m(b, n, d), { temperature: 0.2 });
        const problems = checkAgainstOracle(ntxent64(d), [a, b], 0.2, d, {
          loss: r.loss,
          dTemperature: r.dTemperature,
          grads: [r.grads.a.data, r.grads.b.data],
        });
        expect(problems, `n=${n} d=${d}`).toEqual([]);
      }
    }
  });

  it('tau = 0.01 with aligned vectors does not overflow', () => {
    // every logit is 1/tau = 100; e^100 overflows float32
    const n = 5;
    const a = new Float32Array(n * 4).fill(1);
    const r = ntXent(m(a, n, 4), m(a, n, 4), { temperature: 0.01 });
    expect(r.loss).toBeCloseTo(Math.log(2 * n - 1), 4);
    expect(Number.isFinite(r.dTemperature)).toBe(true);
    expect(maxAbs(r.grads.a.data)).toBeLessThan(1e-2);
  });

  it('zero-norm row: finite loss and gradients, the row counts as the zero vector', () => {
    const a = randn(3, 6, 1);
    a.fill(0, 0, 6);
    const b = randn(3, 6, 2);
    const r = ntXent(m(a, 3, 6), m(b, 3, 6), { temperature: 0.5 });
    expect(Number.isFinite(r.loss) && Number.isFinite(r.dTemperature)).toBe(true);
    expect(r.loss).toBeCloseTo(ntxent64(6)([Float64Array.from(a), Float64Array.from(b)], 0.5), 5);
    for (const v of [...r.grads.a.data, ...r.grads.b.data]) expect(Number.isFinite(v)).toBe(true);
  });

  it('identical rows: loss is ln(2N - 1) and the gradient vanishes', () => {
    const row = [0.3, -1.2, 2.5, 0.7, 0.1];
    const a = Array.from({ length: 4 }, () => row).flat();
    const r = ntXent(m(a, 4, 5), m(a, 4, 5), { temperature: 0.1 });
    expect(r.loss).toBeCloseTo(Math.log(7), 5);
    expect(maxAbs(r.grads.a.data)).toBeLessThan(1e-4);
  });

  it('N = 1: the only candidate is the positive, loss and gradients 0 up to one rounding', () => {
    // tau 0.07 runs the fixed-shift statistics, tau 0.01 the online ones (docs/math.md)
    for (const temperature of [0.07, 0.01]) {
      const r = ntXent(m([1, 2, 3], 1, 3), m([-1, 0.5, 2], 1, 3), { temperature });
      expect(Math.abs(r.loss)).toBeLessThan(1e-6);
      expect([...r.grads.a.data, ...r.grads.b.data].every((v) => Math.abs(v) < 1e-6)).toBe(true);
    }
  });

  it('huge (1e30) and tiny (1e-3) norms: the loss ignores scale, the gradient scales as 1/norm', () => {
    const a = randn(4, 8, 3);
    const b = randn(4, 8, 4);
    const base = ntXent(m(a, 4, 8), m(b, 4, 8), { temperature: 0.1 });
    for (const s of [1e30, 1e-3]) {
      const as = a.map((v, i) => (i < 8 ? v * s : v));
      const r = ntXent(m(as, 4, 8), m(b, 4, 8), { temperature: 0.1 });
      expect(r.loss).toBeCloseTo(base.loss, 5);
      for (let j = 0; j < 8; j++) {
        expect(r.grads.a.data[j] * s).toBeCloseTo(base.grads.a.data[j], 4);
      }
    }
  });

  it('grad: false skips the backward pass but gives the same loss and dTemperature', () => {
    const a = randn(6, 7, 5);
    const b = randn(6, 7, 6);
    const full = ntXent(m(a, 6, 7), m(b, 6, 7), { temperature: 0.3 });
    const only = ntXent(m(a, 6, 7), m(b, 6, 7), { temperature: 0.3, grad: false });
    expect(only).toEqual({ loss: full.loss, dTemperature: full.dTemperature });
  });

  it('does not mutate its inputs, accepts number[] data, and returns copies', () => {
    const a = randn(3, 4, 7);
    const copy = a.slice();
    const r1 = ntXent(m(a, 3, 4), { data: Array.from(randn(3, 4, 8)), rows: 3, cols: 4 }, { temperature: 0.5 });
    const g1 = r1.grads.a.data.slice();
    ntXent(m(randn(3, 4, 9), 3, 4), m(randn(3, 4, 10), 3, 4), { temperature: 0.5 });
    expect(a).toEqual(copy);
    expect(r1.grads.a.data).toEqual(g1); // a later call must not overwrite an earlier result
  });

  it('NaN input is rejected with NON_FINITE naming the argument, row and column', () => {
    const b = randn(2, 3, 1);
    b[4] = NaN;
    expectError(() => ntXent(m(randn(2, 3, 2), 2, 3), m(b, 2, 3), { temperature: 0.1 }), 'NON_FINITE', 'ntXent', 'b', 'row 1', 'column 1');
    b[4] = Infinity;
    expectError(() => ntXent(m(randn(2, 3, 2), 2, 3), m(b, 2, 3), { temperature: 0.1 }), 'NON_FINITE', 'Infinity');
  });

  it('mismatched shapes throw SHAPE_MISMATCH with both shapes', () => {
    expectError(() => ntXent(m(randn(2, 3, 1), 2, 3), m(randn(2, 4, 1), 2, 4), { temperature: 0.1 }), 'SHAPE_MISMATCH', 'b', '[2, 4]', '[2, 3]');
    expectError(
      () => ntXent({ data: new Float32Array(5), rows: 2, cols: 3 }, m(randn(2, 3, 1), 2, 3), { temperature: 0.1 }),
      'SHAPE_MISMATCH',
      'a.data',
      '5',
      '6',
    );
  });

  it('temperature <= 0, NaN, Infinity or missing is INVALID_ARGUMENT', () => {
    for (const t of [0, -0.1, NaN, Infinity, undefined, '0.1', 1e-40]) {
      expectError(() => ntXent(m([1, 2], 1, 2), m([2, 1], 1, 2), { temperature: t as number }), 'INVALID_ARGUMENT', 'temperature');
    }
  });

  it('empty and malformed matrices are INVALID_ARGUMENT, never a wasm trap', () => {
    expectError(() => ntXent(m([], 0, 3), m([], 0, 3), { temperature: 0.1 }), 'INVALID_ARGUMENT', 'empty');
    expectError(() => ntXent(m([], 2, 0), m([], 2, 0), { temperature: 0.1 }), 'INVALID_ARGUMENT', 'empty');
    expectError(() => ntXent({ data: [1], rows: 0.5, cols: 2 }, m([1, 2], 1, 2), { temperature: 0.1 }), 'INVALID_ARGUMENT', 'a.rows');
    expectError(() => ntXent(null as never, m([1, 2], 1, 2), { temperature: 0.1 }), 'INVALID_ARGUMENT', 'a must be a Matrix');
    expectError(() => ntXent(m([1, 2], 1, 2), m([2, 1], 1, 2), { temperature: 0.1, grad: 1 as never }), 'INVALID_ARGUMENT', 'grad');
  });
});
