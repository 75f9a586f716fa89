// A refused step has no side effects; divergence is named as such.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { AdamW, init, mlp, ntXent, SGD } from '../index.node.js';
import { fit } from './fit.js';
import { Trainer, type Views } from './trainer.js';

beforeAll(() => init());

const views = (b: number, d: number, s = 0): Views => [
  { data: Float32Array.from({ length: b * d }, (_, i) => Math.sin(i * 0.37 + s)), shape: [b, d] },
  { data: Float32Array.from({ length: b * d }, (_, i) => Math.cos(i * 0.21 + s)), shape: [b, d] },
];
const bnState = (t: Trainer) => JSON.stringify(Object.entries(t.model.stateDict()).map(([k, v]) => [k, Array.from(v.data)]));

describe('Trainer.step validates before the forward pass', () => {
  it('a SupCon step without labels changes no BatchNorm running statistics', () => {
    const model = mlp([6, 8, 4], { batchNorm: true });
    const t = new Trainer({ method: 'supcon', model, optimizer: new AdamW(model.namedParameters()), temperature: 0.1 });
    const before = bnState(t);
    expectError(() => t.step(views(4, 6)), 'INVALID_ARGUMENT', 'labels');
    expectError(() => t.step(views(4, 6), [0, 1, 0]), 'SHAPE_MISMATCH', 'labels');
    expectError(() => t.step(views(4, 6), [0, 1, 0.5, 1]), 'INVALID_ARGUMENT', 'labels[2]');
    expect(bnState(t)).toBe(before);
    expect(t.stepCount).toBe(0);
    expect(t.step(views(4, 6), [0, 1, 0, 1]).loss).toBeGreaterThan(0);
  });

  it('a schedule that returns a bad learning rate is refused before BatchNorm statistics move', () => {
    const model = mlp([6, 8, 4], { batchNorm: true });
    const t = new Trainer({ method: 'simclr', model, optimizer: new SGD(model.namedParameters(), { lr: 0.1 }), temperature: 0.1, schedule: () => NaN });
    const before = bnState(t);
    expectError(() => t.step(views(4, 6)), 'INVALID_ARGUMENT', 'lr');
    expect(bnState(t)).toBe(before);
  });

  it('views of different shapes or null views are typed errors with no side effect', () => {
    const model = mlp([6, 8, 4], { batchNorm: true });
    const t = new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters()), temperature: 0.1 });
    const before = bnState(t);
    expectError(() => t.step(null as never), 'INVALID_ARGUMENT', 'views');
    expectError(() => t.step([views(4, 6)[0], views(3, 6)[1]]), 'SHAPE_MISMATCH');
    expectError(() => t.step([{ data: ['1', 2] as never, shape: [1, 2] }, views(1, 2)[1]]), 'INVALID_ARGUMENT', 'views[0]');
    expect(bnState(t)).toBe(before);
  });

  it("a temperature given as the string '0.1' is refused when the Trainer is made, not at step time", () => {
    const model = mlp([6, 4]);
    const optimizer = new AdamW(model.namedParameters());
    expectError(() => new Trainer({ method: 'simclr', model, optimizer, temperature: '0.1' as never }), 'INVALID_ARGUMENT', 'temperature');
    expectError(() => new Trainer({ method: 'simclr', model, optimizer, temperature: Number.MAX_VALUE }), 'INVALID_ARGUMENT', 'temperature');
    expectError(() => new Trainer(null as never), 'INVALID_ARGUMENT', 'options');
  });

  it('temperature Number.MAX_VALUE is refused at the edge of ntXent, not reported as a validation gap', () => {
    const a = { data: new Float32Array([1, 0, 0, 1]), rows: 2, cols: 2 };
    expectError(() => ntXent(a, a, { temperature: Number.MAX_VALUE }), 'INVALID_ARGUMENT', 'temperature', 'float32');
  });

  it('divergence is reported as "loss diverged at step N; lower the learning rate"', () => {
    const model = mlp([6, 16, 4]);
    const t = new Trainer({ method: 'simclr', model, optimizer: new SGD(model.namedParameters(), { lr: 1e36 }), temperature: 0.1 });
    let err: Error | undefined;
    for (let s = 0; s < 20 && !err; s++) {
      try {
        t.step(views(8, 6, s));
      } catch (e) {
        err = e as Error;
      }
    }
    expect(err?.message).toMatch(/loss diverged at step \d+.*lower the learning rate/);
    expect((err as { code?: string }).code).toBe('NON_FINITE');
  });

  it('fit with n = NaN or a missing views function is a typed error, not 0 steps', async () => {
    const model = mlp([6, 4]);
    const t = new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters()), temperature: 0.1 });
    await expect(fit(t, { n: NaN, views: () => views(2, 6) }, { epochs: 1, batchSize: 2 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('data.n'),
    });
    await expect(fit(t, { n: 8 } as never, { epochs: 1, batchSize: 2 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(fit(t, { n: 8, views: () => views(2, 6) }, null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
