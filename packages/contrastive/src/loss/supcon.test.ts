import { beforeAll, describe, expect, it } from 'vitest';
import { checkAgainstOracle, randn, supcon64 } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init, ntXent, supCon } from '../index.node.js';

beforeAll(() => init());

describe('supCon', () => {
  it('multi-positive labels with singletons match float64 finite differences', () => {
    const cases: [number[], number][] = [
      [[7, 7, -3, -3], 5],
      [[0, 1, 0, 2, 1, 9, 0], 17],
      [[4, 4, 4, 4, 4], 129],
      [[1, 2, 3, 1], 1],
    ];
    for (const [labels, d] of cases) {
      const z = randn(labels.length, d, labels.length * 7 + d);
      const r = supCon(m(z, labels.length, d), labels, { temperature: 0.1 });
      const problems = checkAgainstOracle(supcon64(d, labels), [z], 0.1, d, {
        loss: r.loss,
        dTemperature: r.dTemperature,
        grads: [r.grads.z.data],
      });
      expect(problems, `labels ${labels}`).toEqual([]);
    }
  });

  it('sample-id labels shared by two views equal NT-Xent', () => {
    const a = randn(5, 9, 1);
    const b = randn(5, 9, 2);
    const z = new Float32Array(90);
    z.set(a);
    z.set(b, 45);
    const s = supCon(m(z, 10, 9), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4], { temperature: 0.2 });
    const n = ntXent(m(a, 5, 9), m(b, 5, 9), { temperature: 0.2 });
    expect(s.loss).toBeCloseTo(n.loss, 5);
    expect(s.dTemperature).toBeCloseTo(n.dTemperature, 4);
    for (let i = 0; i < 45; i++) expect(s.grads.z.data[i]).toBeCloseTo(n.grads.a.data[i], 5);
  });

  it('every label unique: no anchor, loss 0 and zero gradient instead of NaN', () => {
    const r = supCon(m(randn(4, 3, 1), 4, 3), [10, 20, 30, 40], { temperature: 0.1 });
    expect(r.loss).toBe(0);
    expect(r.grads.z.data.every((v) => v === 0)).toBe(true);
  });

  it('labels of the wrong length or not integers are rejected', () => {
    const z = m(randn(4, 3, 1), 4, 3);
    expectError(() => supCon(z, [0, 1, 0], { temperature: 0.1 }), 'SHAPE_MISMATCH', 'labels', '3', '4');
    expectError(() => supCon(z, [0, 1, 0.5, 1], { temperature: 0.1 }), 'INVALID_ARGUMENT', 'labels[2]', '0.5');
    expectError(() => supCon(z, [0, 1, NaN, 1], { temperature: 0.1 }), 'INVALID_ARGUMENT', 'labels[2]');
    expectError(() => supCon(z, 'abcd' as never, { temperature: 0.1 }), 'INVALID_ARGUMENT', 'labels');
  });
});
