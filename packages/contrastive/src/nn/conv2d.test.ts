import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { expectError } from '../../../../test/util/errors.js';
import { Conv2d, init } from '../index.node.js';

beforeAll(() => init());

describe('Conv2d', () => {
  it('matches PyTorch (k 1/3/5, stride 1/2, padding 0..2, uncovered inputs, 28x28)', () => {
    const problems: string[] = [];
    for (const c of loadCases('conv2d.json')) {
      const p = c.params;
      const conv = new Conv2d(p.in_channels, p.out_channels, p.kernel_size, { stride: p.stride, padding: p.padding, bias: p.bias });
      conv.weight.set(f32a(c.inputs.weight));
      if (p.bias) conv.bias!.set(f32a(c.inputs.bias));
      const y = conv.forwardTensor({ data: f32a(c.inputs.x), shape: c.shapes.x });
      expect(y.shape, c.name).toEqual(c.shapes.y);
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = conv.backwardTensor({ data: f32a(c.dy), shape: c.shapes.y });
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      problems.push(...within(c, 'grads.weight', conv.weight.grad(), c.grads.weight));
      if (p.bias) problems.push(...within(c, 'grads.bias', conv.bias!.grad(), c.grads.bias));
      conv.free();
    }
    expect(problems).toEqual([]);
  });

  it('a kernel larger than the padded input is a shape error', () => {
    const conv = new Conv2d(1, 1, 5);
    expectError(() => conv.forwardTensor({ data: new Float32Array(9), shape: [1, 1, 3, 3] }), 'SHAPE_MISMATCH', 'Conv2d.forward', '5x5');
    conv.free();
  });
});
