import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { init, L2Normalize } from '../index.node.js';

beforeAll(() => init());

describe('L2Normalize', () => {
  it('matches F.normalize including rows below eps (dx = dy / eps) and D = 1', () => {
    const problems: string[] = [];
    for (const c of loadCases('normalize.json')) {
      const layer = new L2Normalize();
      const y = layer.forwardTensor({ data: f32a(c.inputs.x), shape: c.shapes.x });
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = layer.backwardTensor({ data: f32a(c.dy), shape: c.shapes.x });
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      layer.free();
    }
    expect(problems).toEqual([]);
  });
});
