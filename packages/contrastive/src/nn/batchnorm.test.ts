import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { BatchNorm1d, BatchNorm2d, ContrastiveError, init } from '../index.node.js';
import { STATUS_INVALID_ARGUMENT, STATUS_OK } from '../runtime/abi.js';
import { getRuntime } from '../runtime/init.js';

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

  // momentum, eps, accepted: the one rule (momentum in [0, 1], eps finite and > 0 as a float32)
  const rule: [number, number, boolean][] = [
    [0.1, 1e-5, true],
    [0, 1e-5, true],
    [1, 1e-5, true],
    [0.1, 1e-38, true],
    [0.1, 3e38, true],
    [-0.01, 1e-5, false],
    [1.01, 1e-5, false],
    [5, 1e-5, false],
    [Number.NaN, 1e-5, false],
    [Number.POSITIVE_INFINITY, 1e-5, false],
    [0.1, 0, false],
    [0.1, -1e-5, false],
    [0.1, 1e-50, false], // 0 as a float32
    [0.1, 1e39, false], // infinite as a float32
    [0.1, Number.POSITIVE_INFINITY, false],
    [0.1, Number.NaN, false],
  ];

  it('the layer and the kernel accept exactly the same momentum and eps (one rule, no drift)', () => {
    const { k } = getRuntime('test');
    const c = 2;
    const n = 4;
    const x = k.ct_alloc(n * c * 4);
    const y = k.ct_alloc(n * c * 4);
    const stats = k.ct_alloc(4 * c * 4);
    new Float32Array(k.memory.buffer, x, n * c).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const problems: string[] = [];
    for (const [momentum, eps, ok] of rule) {
      let layer = true;
      try {
        new BatchNorm1d(c, { momentum, eps }).free();
      } catch (e) {
        if (!(e instanceof ContrastiveError) || e.code !== 'INVALID_ARGUMENT') throw e;
        layer = false;
      }
      new Float32Array(k.memory.buffer, stats, 4 * c).fill(0);
      const status = k.ct_batchnorm_forward(x, n, c, 1, 0, 0, stats, stats + 8, momentum, eps, 1, y, stats + 16, stats + 24);
      const kernel = status === STATUS_OK;
      if (!kernel && status !== STATUS_INVALID_ARGUMENT) problems.push(`momentum ${momentum}, eps ${eps}: status ${status}`);
      if (layer !== ok || kernel !== ok) problems.push(`momentum ${momentum}, eps ${eps}: layer ${layer}, kernel ${kernel}, rule ${ok}`);
    }
    k.ct_free(x, n * c * 4);
    k.ct_free(y, n * c * 4);
    k.ct_free(stats, 4 * c * 4);
    expect(problems).toEqual([]);
  });

  it('a bad momentum or eps is an INVALID_ARGUMENT naming the layer and the value', () => {
    expectError(() => new BatchNorm2d(3, { momentum: 1.5 }), 'INVALID_ARGUMENT', 'BatchNorm2d', 'momentum', '1.5');
    expectError(() => new BatchNorm1d(3, { eps: 1e-50 }), 'INVALID_ARGUMENT', 'BatchNorm1d', 'eps', 'float32');
    expectError(() => new BatchNorm1d(3, { momentum: '0.1' as unknown as number }), 'INVALID_ARGUMENT', 'momentum', 'string');
  });
});
