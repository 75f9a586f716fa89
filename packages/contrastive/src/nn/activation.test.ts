import { beforeAll, describe, expect, it } from 'vitest';
import { loadCases, within } from '../../../../test/layers.js';
import { GELU, init, ReLU } from '../index.node.js';

beforeAll(() => init());

describe('ReLU and GELU', () => {
  it('match PyTorch (relu with exact zeros, gelu erf and tanh, special values +-100)', () => {
    const problems: string[] = [];
    for (const c of loadCases('activations.json')) {
      const layer = c.op === 'relu' ? new ReLU() : new GELU(c.params.approximate);
      const shape = c.shapes.x;
      const y = layer.forwardTensor({ data: Float32Array.from(c.inputs.x), shape });
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = layer.backwardTensor({ data: Float32Array.from(c.dy), shape });
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      layer.free();
    }
    expect(problems).toEqual([]);
  });

  it('exact and tanh GELU are different functions', () => {
    const x = { data: Float32Array.of(-2.7), shape: [1, 1] };
    const a = new GELU('none').forwardTensor(x).data[0];
    const b = new GELU('tanh').forwardTensor(x).data[0];
    expect(Math.abs(a - b)).toBeGreaterThan(1e-4);
  });
});
