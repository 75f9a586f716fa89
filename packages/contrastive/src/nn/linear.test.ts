import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init, Linear } from '../index.node.js';

beforeAll(() => init());

describe('Linear', () => {
  it('matches PyTorch float64 forward and backward on every reference case (bias on/off, in 1..129)', () => {
    const problems: string[] = [];
    for (const c of loadCases('linear.json')) {
      const [n, din] = c.shapes.x;
      const lin = new Linear(din, c.params.out_features, { bias: c.params.bias });
      lin.weight.set(f32a(c.inputs.weight));
      if (c.params.bias) lin.bias!.set(f32a(c.inputs.bias));
      const y = lin.forward(m(c.inputs.x, n, din));
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = lin.backward(m(c.dy, n, c.params.out_features));
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      problems.push(...within(c, 'grads.weight', lin.weight.grad(), c.grads.weight));
      if (c.params.bias) problems.push(...within(c, 'grads.bias', lin.bias!.grad(), c.grads.bias));
      lin.free();
    }
    expect(problems).toEqual([]);
  });

  it('parameter gradients accumulate across backward calls until zeroGrad', () => {
    const lin = new Linear(3, 2, { seed: 1 });
    lin.forward(m([1, 2, 3], 1, 3));
    lin.backward(m([1, 1], 1, 2));
    const g1 = lin.weight.grad();
    lin.backward(m([1, 1], 1, 2));
    expect(Array.from(lin.weight.grad())).toEqual(Array.from(g1).map((v) => 2 * v));
    lin.zeroGrad();
    expect(lin.weight.grad().every((v) => v === 0)).toBe(true);
    lin.free();
  });

  it('wrong input width names the op and the expected shape', () => {
    const lin = new Linear(4, 2);
    expectError(() => lin.forward(m([1, 2, 3], 1, 3)), 'SHAPE_MISMATCH', 'Linear.forward', '[1, 3]', '[N, 4]');
    expectError(() => lin.backward(m([1, 2], 1, 2)), 'INVALID_ARGUMENT', 'forward before backward');
    lin.free();
  });

  it('free() twice is safe and use after free is an error, not a crash', () => {
    const lin = new Linear(2, 2);
    lin.free();
    lin.free();
    lin[Symbol.dispose]();
    expectError(() => lin.forward(m([1, 2], 1, 2)), 'INVALID_ARGUMENT', 'freed');
  });

  it('init is PyTorch-shaped: U(-1/sqrt(in), 1/sqrt(in)), deterministic per seed', () => {
    const a = new Linear(100, 50, { seed: 7 });
    const b = new Linear(100, 50, { seed: 7 });
    const c = new Linear(100, 50, { seed: 8 });
    const w = a.weight.value();
    expect(Array.from(w)).toEqual(Array.from(b.weight.value()));
    expect(Array.from(w)).not.toEqual(Array.from(c.weight.value()));
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Math.max(...a.bias!.value().map(Math.abs))).toBeLessThanOrEqual(bound);
    [a, b, c].forEach((l) => l.free());
  });
});
