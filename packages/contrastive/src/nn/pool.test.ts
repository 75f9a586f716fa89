import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { AvgPool2d, GlobalAvgPool2d, init, MaxPool2d } from '../index.node.js';

beforeAll(() => init());

describe('MaxPool2d, AvgPool2d, GlobalAvgPool2d', () => {
  it('match PyTorch (-inf padding, count_include_pad both ways, adaptive 1x1)', () => {
    const problems: string[] = [];
    for (const c of loadCases('pool.json')) {
      const p = c.params;
      const layer = c.op === 'max_pool2d'
        ? new MaxPool2d(p.kernel_size, { stride: p.stride, padding: p.padding })
        : c.op === 'avg_pool2d'
          ? new AvgPool2d(p.kernel_size, { stride: p.stride, padding: p.padding, countIncludePad: p.count_include_pad })
          : new GlobalAvgPool2d();
      const y = layer.forwardTensor({ data: f32a(c.inputs.x), shape: c.shapes.x });
      expect(y.shape, c.name).toEqual(c.shapes.y);
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = layer.backwardTensor({ data: f32a(c.dy), shape: c.shapes.y });
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      layer.free();
    }
    expect(problems).toEqual([]);
  });
});
