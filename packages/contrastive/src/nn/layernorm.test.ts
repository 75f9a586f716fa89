import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, within } from '../../../../test/layers.js';
import { loadTextCases } from '../../../../test/text.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init, LayerNorm, Linear, Residual, Sequential } from '../index.node.js';

beforeAll(() => init());

describe('LayerNorm', () => {
  it('matches PyTorch float64 forward and backward (d 1..384, eps 1e-5 and 1e-12, affine on/off)', () => {
    const problems: string[] = [];
    for (const c of loadTextCases('layernorm.json')) {
      const [n, d] = c.shapes.x;
      const ln = new LayerNorm(d, { eps: c.params.eps, elementwiseAffine: c.params.elementwise_affine });
      if (ln.weight) {
        ln.weight.set(f32a(c.inputs.weight));
        ln.bias!.set(f32a(c.inputs.bias));
      }
      problems.push(...within(c, 'outputs.y', ln.forward(m(c.inputs.x, n, d)).data, c.outputs.y));
      problems.push(...within(c, 'grads.x', ln.backward(m(c.dy, n, d)).data, c.grads.x));
      if (ln.weight) {
        problems.push(...within(c, 'grads.weight', ln.weight.grad(), c.grads.weight));
        problems.push(...within(c, 'grads.bias', ln.bias!.grad(), c.grads.bias));
      }
      expect(Object.keys(ln.stateDict())).toEqual(c.params.elementwise_affine ? ['weight', 'bias'] : []);
      ln.free();
    }
    expect(problems).toEqual([]);
  });

  it('a constant row does not produce NaN (variance 0: y = bias)', () => {
    const ln = new LayerNorm(4, { eps: 1e-12 });
    const y = ln.forward(m([3, 3, 3, 3], 1, 4));
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0]);
    expect(Array.from(ln.backward(m([1, 2, 3, 4], 1, 4)).data).every(Number.isFinite)).toBe(true);
    ln.free();
  });

  it('bad sizes and eps name the argument', () => {
    expectError(() => new LayerNorm(0), 'INVALID_ARGUMENT', 'normalizedShape');
    expectError(() => new LayerNorm(4, { eps: 0 }), 'INVALID_ARGUMENT', 'eps');
    const ln = new LayerNorm(4);
    expectError(() => ln.forward(m([1, 2, 3], 1, 3)), 'SHAPE_MISMATCH', '[..., 4]');
    ln.free();
  });
});

describe('LayerNorm inside a residual block', () => {
  it('y = x + LN(Wx), and its gradient is dy plus the inner gradient (central differences)', () => {
    const r = new Sequential(
      new Residual(
        [
          ['lin', new Linear(3, 3, { seed: 1 })],
          ['norm', new LayerNorm(3)],
        ],
        undefined,
        { relu: false },
      ),
      new Linear(3, 2, { seed: 2 }),
    );
    const x = [0.3, -1.2, 0.8, 1.5, 0.1, -0.4];
    const dy = [0.7, -0.2, 0.4, 1.1];
    const f = (v: number[]) => {
      const y = r.forward(m(v, 2, 3)).data;
      return y.reduce((s, a, i) => s + a * dy[i], 0);
    };
    r.forward(m(x, 2, 3));
    const g = r.backward(m(dy, 2, 2)).data;
    for (let i = 0; i < x.length; i++) {
      const h = 1e-2;
      const up = x.slice();
      up[i] += h;
      const dn = x.slice();
      dn[i] -= h;
      expect(Math.abs((f(up) - f(dn)) / (2 * h) - g[i])).toBeLessThan(2e-3);
    }
    expect(Object.keys(r.stateDict())).toEqual(['0.lin.weight', '0.lin.bias', '0.norm.weight', '0.norm.bias', '1.weight', '1.bias']);
    r.free();
  });
});
