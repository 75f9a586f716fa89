import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { cosineMomentum, init, mlp, momentumUpdate } from '../index.node.js';

beforeAll(() => init());

describe('momentumUpdate', () => {
  it('equals the JavaScript formula m t + (1 - m) o bit for bit, for momenta with more digits than float32', () => {
    const online = mlp([7, 5, 3], { seed: 1 });
    const target = mlp([7, 5, 3], { seed: 2 });
    for (const mom of [0.996, 0.99, 0.5, 1 - 1e-9, 0]) {
      const expected = new Map<string, Float32Array>();
      const on = new Map(online.namedParameters());
      for (const [name, p] of target.namedParameters()) {
        const t = p.value();
        const o = on.get(name)!.value();
        expected.set(
          name,
          t.map((v, i) => mom * v + (1 - mom) * o[i]),
        );
      }
      momentumUpdate(target, online, mom);
      for (const [name, p] of target.namedParameters()) expect(p.value(), `${name} m=${mom}`).toEqual(expected.get(name));
    }
  });

  it('a momentum outside [0, 1] or a different architecture is rejected', () => {
    expectError(() => momentumUpdate(mlp([3, 2]), mlp([3, 2]), 1.5), 'INVALID_ARGUMENT', 'momentum', '1.5');
    expectError(() => momentumUpdate(mlp([3, 2]), mlp([4, 2]), 0.9), 'SHAPE_MISMATCH', '0.weight');
  });
});

describe('cosineMomentum', () => {
  it('starts at the base, rises along a half cosine and ends at 1 (lightly cosine_schedule)', () => {
    expect(cosineMomentum(0, 101)).toBeCloseTo(0.996, 15);
    expect(cosineMomentum(50, 101)).toBeCloseTo(0.998, 15);
    expect(cosineMomentum(100, 101)).toBe(1);
    expect(cosineMomentum(0, 1)).toBe(1);
  });
});
