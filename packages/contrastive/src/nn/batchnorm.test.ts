import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { BatchNorm1d, BatchNorm2d, init } from '../index.node.js';

beforeAll(() => init());

describe('BatchNorm1d / BatchNorm2d', () => {
  it('match PyTorch in train and eval mode: y, dx, dgamma, dbeta, running stats (large means, constant channel, n = 2)', () => {
    const problems: string[] = [];
    const cases = loadCases('batchnorm.json');
    expect(cases.length).toBe(17);
    for (const c of cases) {
      const p = c.params;
      const bn = c.op === 'batch_norm2d' ? new BatchNorm2d(p.num_features, p) : new BatchNorm1d(p.num_features, p);
      if (p.affine) {
        bn.weight!.set(f32a(c.inputs.weight));
        bn.bias!.set(f32a(c.inputs.bias));
      }
      bn.runningMean.set(f32a(c.state_before.running_mean));
      bn.runningVar.set(f32a(c.state_before.running_var));
      bn.numBatchesTracked = c.state_before.num_batches_tracked;
      const y = bn.forwardTensor({ data: f32a(c.inputs.x), shape: c.shapes.x }, { training: p.training });
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = bn.backwardTensor({ data: f32a(c.dy), shape: c.shapes.x });
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      if (p.affine) {
        problems.push(...within(c, 'grads.weight', bn.weight!.grad(), c.grads.weight));
        problems.push(...within(c, 'grads.bias', bn.bias!.grad(), c.grads.bias));
      }
      const rmKey = 'state_after.running_mean';
      if (c.tol.atol[rmKey] !== undefined) {
        problems.push(...within(c, rmKey, bn.runningMean.value(), c.state_after.running_mean));
        problems.push(...within(c, 'state_after.running_var', bn.runningVar.value(), c.state_after.running_var));
      } else {
        expect(Array.from(bn.runningMean.value())).toEqual(Array.from(f32a(c.state_after.running_mean)));
      }
      expect(bn.numBatchesTracked, c.name).toBe(c.state_after.num_batches_tracked);
      bn.free();
    }
    expect(problems).toEqual([]);
  });

  it('train mode with one value per channel is an error, as in PyTorch', () => {
    const bn = new BatchNorm1d(3);
    expectError(() => bn.forward(m([1, 2, 3], 1, 3), { training: true }), 'INVALID_ARGUMENT', 'more than 1 value per channel');
    expect(bn.forward(m([1, 2, 3], 1, 3)).data.length).toBe(3); // eval is fine
    bn.free();
  });

  it('train vs eval: eval uses running stats and changes nothing', () => {
    const bn = new BatchNorm1d(2);
    const x = m([1, 10, 3, 20, 5, 30], 3, 2);
    const train = bn.forward(x, { training: true });
    const sd = bn.stateDict();
    const evalOut = bn.forward(x);
    expect(Array.from(train.data)).not.toEqual(Array.from(evalOut.data));
    expect(bn.stateDict()).toEqual(sd);
    expect(sd['num_batches_tracked']).toEqual({ shape: [], data: Float32Array.of(1), dtype: 'I64' });
    bn.free();
  });
});
