import { beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstOracle, infonce64, maxAbs, negatives64, randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { infoNce, init } from '../index.node.js';

beforeAll(() => init());

describe('infoNce', () => {
  it('in-batch and symmetric (CLIP) match float64 finite differences on odd sizes', () => {
    for (const d of [1, 5, 17, 129]) {
      for (const n of [1, 4, 9]) {
        for (const symmetric of [false, true]) {
          const q = randn(n, d, d + n * 3);
          const k = randn(n, d, d + n * 3 + 1);
          const r = infoNce(m(q, n, d), m(k, n, d), { temperature: 0.1, symmetric });
          const problems = checkAgainstOracle(infonce64(d, symmetric), [q, k], 0.1, d, {
            loss: r.loss,
            dTemperature: r.dTemperature,
            grads: [r.grads.query.data, r.grads.key.data],
          });
          expect(problems, `n=${n} d=${d} symmetric=${symmetric}`).toEqual([]);
        }
      }
    }
  });

  it('explicit negatives (MoCo queue) give gradients to queries, keys and negatives', () => {
    for (const [n, mm, d] of [
      [1, 1, 3],
      [4, 9, 17],
      [3, 40, 129],
    ]) {
      const q = randn(n, d, 11 * n);
      const p = randn(n, d, 13 * n);
      const neg = randn(mm, d, 17 * mm);
      const r = infoNce(m(q, n, d), m(p, n, d), { temperature: 0.07, negatives: m(neg, mm, d) });
      expect(r.grads.negatives!.rows).toBe(mm);
      const problems = checkAgainstOracle(negatives64(d), [q, p, neg], 0.07, d, {
        loss: r.loss,
        dTemperature: r.dTemperature,
        grads: [r.grads.query.data, r.grads.key.data, r.grads.negatives!.data],
      });
      expect(problems, `n=${n} m=${mm} d=${d}`).toEqual([]);
    }
  });

  it('zero negatives: the positive is the only candidate, loss 0', () => {
    const r = infoNce(m(randn(3, 4, 1), 3, 4), m(randn(3, 4, 2), 3, 4), { temperature: 0.1, negatives: m([], 0, 4) });
    expect(r.loss).toBe(0);
    expect(r.grads.negatives!.data.length).toBe(0);
    expect(maxAbs(r.grads.query.data)).toBe(0);
  });

  it('tau = 0.01 with aligned positives does not overflow', () => {
    const q = randn(6, 8, 5);
    const r = infoNce(
      m(q, 6, 8),
      m(
        q.map((v) => v * 3),
        6,
        8,
      ),
      { temperature: 0.01, symmetric: true },
    );
    expect(Number.isFinite(r.loss) && Number.isFinite(r.dTemperature)).toBe(true);
    const want = infonce64(8, true)([Float64Array.from(q), Float64Array.from(q.map((v) => v * 3))], 0.01);
    expect(Math.abs(r.loss - want)).toBeLessThan(1e-3 * (1 + want));
  });

  it('grad: false gives the same loss and dTemperature in every mode', () => {
    const q = m(randn(5, 6, 1), 5, 6);
    const k = m(randn(5, 6, 2), 5, 6);
    const negatives = m(randn(7, 6, 3), 7, 6);
    for (const opts of [{}, { symmetric: true }, { negatives }]) {
      const full = infoNce(q, k, { temperature: 0.2, ...opts });
      expect(infoNce(q, k, { temperature: 0.2, ...opts, grad: false })).toEqual({ loss: full.loss, dTemperature: full.dTemperature });
    }
  });

  it('bad arguments are ContrastiveErrors naming them', () => {
    const q = m(randn(2, 3, 1), 2, 3);
    expectError(() => infoNce(q, m(randn(3, 3, 1), 3, 3), { temperature: 0.1 }), 'SHAPE_MISMATCH', 'key', '[3, 3]', '[2, 3]');
    expectError(() => infoNce(q, q, { temperature: 0.1, negatives: m(randn(4, 2, 1), 4, 2) }), 'SHAPE_MISMATCH', 'negatives', '2 columns', '3');
    expectError(() => infoNce(q, q, { temperature: 0.1, negatives: q, symmetric: true }), 'INVALID_ARGUMENT', 'symmetric');
    expectError(() => infoNce(q, q, { temperature: -1 }), 'INVALID_ARGUMENT', 'temperature', '-1');
    const bad = randn(2, 3, 1);
    bad[0] = NaN;
    expectError(() => infoNce(q, q, { temperature: 0.1, negatives: m(bad, 2, 3) }), 'NON_FINITE', 'negatives', 'row 0');
  });
});
