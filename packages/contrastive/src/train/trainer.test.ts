import { beforeAll, describe, expect, it } from 'vitest';
import { init, mlp, runtimeInfo, Sequential, SGD, AdamW, LearnableTemperature } from '../index.node.js';
import type { Tensor } from '../nn/module.js';
import { fit, type TrainData } from './fit.js';
import { Trainer, type Views } from './trainer.js';

beforeAll(() => init());

const D = 16;
/** Hash noise: the same (seed, i, j) gives the same value in every run. */
function noise(seed: number, i: number, j: number): number {
  let t = (Math.imul(seed + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(j + 7, 0x27d4eb2f)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5) * 2;
}
/** 4 classes, each a direction in the first 4 dims; the other 12 dims and small noise are nuisance. */
function synthetic(n: number): TrainData & { x: Float32Array } {
  const labels = Int32Array.from({ length: n }, (_, i) => i % 4);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) x[i * D + j] = (j === labels[i] ? 2 : 0) + 0.3 * noise(1, i, j);
  const view = (idx: Int32Array, step: number, v: number): Tensor => {
    const out = new Float32Array(idx.length * D);
    idx.forEach((s, r) => {
      for (let j = 0; j < D; j++) out[r * D + j] = x[s * D + j] + (j < 4 ? 0.2 : 1.5) * noise(step * 2 + v + 100, s, j);
    });
    return { data: out, shape: [idx.length, D] };
  };
  return { n, x, labels, views: (idx, step): Views => [view(idx, step, 0), view(idx, step, 1)] };
}

const model = (seed = 3, batchNorm = true) => new Sequential(mlp([D, 32, 16], { seed, batchNorm }), mlp([16, 16, 8], { seed: seed + 1 }));

describe('Trainer', () => {
  it('views consecutive in one buffer (taken without a concat) give the same steps as separate arrays', () => {
    const data = synthetic(64);
    const idx = Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 64);
    const run = (joined: boolean) => {
      const m = model(5);
      const t = new Trainer({ method: 'simclr', model: m, optimizer: new AdamW(m.namedParameters(), { lr: 3e-3 }), temperature: 0.2 });
      const losses = [0, 1, 2].map((step) => {
        const [a, b] = data.views(idx, step);
        if (!joined) return t.step([a, b]).loss;
        const both = new Float32Array(a.data.length + b.data.length);
        both.set(a.data);
        both.set(b.data, a.data.length);
        const views: Views = [
          { data: both.subarray(0, a.data.length), shape: a.shape },
          { data: both.subarray(a.data.length), shape: b.shape },
        ];
        const r = t.step(views).loss;
        expect(views[1].data).toEqual(b.data); // the views are read, not written
        return r;
      });
      return { losses, state: m.stateDict() };
    };
    expect(run(true)).toEqual(run(false));
  });

  it('SimCLR: the loss goes down over two epochs', async () => {
    const m = model();
    const t = new Trainer({ method: 'simclr', model: m, optimizer: new AdamW(m.namedParameters(), { lr: 3e-3 }), temperature: 0.2 });
    const r = await fit(t, synthetic(256), { epochs: 4, batchSize: 32 });
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(r.steps).toBe(32);
    expect(mean(r.losses.slice(-8))).toBeLessThan(mean(r.losses.slice(0, 8)) - 0.1);
  });

  it('resume from a checkpoint equals the uninterrupted run, bit for bit', async () => {
    const data = synthetic(96);
    const run = () => {
      const m = model(5);
      const opt = new AdamW(m.namedParameters(), { lr: 1e-3, weightDecay: 0.1 });
      return new Trainer({ method: 'simclr', model: m, optimizer: opt, temperature: 0.3, schedule: (s) => 1e-3 * (1 - s / 30) });
    };
    const full = run();
    await fit(full, data, { epochs: 4, batchSize: 16, seed: 9 });
    const first = run();
    let saved: ReturnType<Trainer['state']> | undefined;
    await fit(first, data, { epochs: 2, batchSize: 16, seed: 9, checkpoint: { every: 4, write: (s) => void (saved = s) } });
    const resumed = run();
    resumed.restore(saved!);
    expect(resumed.stepCount).toBe(12);
    await fit(resumed, data, { epochs: 4, batchSize: 16, seed: 9 });
    expect(resumed.model.stateDict()).toEqual(full.model.stateDict());
  });

  it('GradCache (chunks of 8) gives the same update as the whole-batch step', () => {
    const data = synthetic(32);
    const idx = Int32Array.from({ length: 16 }, (_, i) => i);
    const after = (chunk?: number) => {
      const m = model(7, false);
      const t = new Trainer({ method: 'simclr', model: m, optimizer: new SGD(m.namedParameters(), { lr: 0.5 }), temperature: 0.2, gradCacheChunk: chunk });
      const r = t.step(data.views(idx, 0));
      return { loss: r.loss, sd: m.stateDict() };
    };
    const plain = after();
    const cached = after(8);
    expect(cached.loss).toBeCloseTo(plain.loss, 6);
    for (const [k, v] of Object.entries(plain.sd)) {
      const w = cached.sd[k].data;
      let worst = 0;
      for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(w[i] - v.data[i]));
      expect(worst, k).toBeLessThan(1e-6);
    }
  });

  it('MoCo: the queue supplies negatives, the key encoder trails the query encoder', async () => {
    const m = model(11);
    const key = model(12);
    const t = new Trainer({
      method: 'moco',
      model: m,
      keyModel: key,
      optimizer: new AdamW(m.namedParameters(), { lr: 3e-3 }),
      temperature: 0.2,
      queueSize: 64,
      momentum: 0.9,
    });
    expect(key.stateDict()).toEqual(m.stateDict()); // starts as a copy
    const r = await fit(t, synthetic(256), { epochs: 3, batchSize: 32 });
    expect(r.losses[0]).toBe(0); // first step: empty queue, the positive is the only candidate
    expect(r.losses[1]).toBeGreaterThan(0);
    const q = m.namedParameters()[0][1].value();
    const k = key.namedParameters()[0][1].value();
    expect(k).not.toEqual(q);
    const s = t.state();
    expect(s.tensors['moco.queue'].shape).toEqual([64, 8]);
  });

  it('CLIP: two towers and a learnable temperature that moves', async () => {
    const a = model(13);
    const b = model(14);
    const temp = new LearnableTemperature(0.1);
    const params = [
      ...a.namedParameters().map(([n, p]) => [`a.${n}`, p] as [string, typeof p]),
      ...b.namedParameters().map(([n, p]) => [`b.${n}`, p] as [string, typeof p]),
      ['t', temp.logitScale] as [string, typeof temp.logitScale],
    ];
    const t = new Trainer({ method: 'clip', model: a, modelB: b, optimizer: new AdamW(params, { lr: 3e-3, weightDecay: 0 }), temperature: temp });
    const r = await fit(t, synthetic(256), { epochs: 2, batchSize: 32 });
    expect(temp.tau).not.toBeCloseTo(0.1, 4);
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]);
  });

  it('SupCon: same-label rows pull together, the monitor sees it', async () => {
    const m = model(15);
    const data = synthetic(256);
    const t = new Trainer({ method: 'supcon', model: m, optimizer: new AdamW(m.namedParameters(), { lr: 3e-3 }), temperature: 0.2 });
    const enc = m.layers[0];
    const x = { data: data.x, shape: [256, D] };
    const r = await fit(t, data, {
      epochs: 3,
      batchSize: 32,
      monitor: { encoder: enc, train: { x, labels: data.labels! }, test: { x, labels: data.labels! } },
    });
    expect(r.knnAccuracy).toBeGreaterThan(0.9);
  });

  it('an AbortSignal stops the run between steps', async () => {
    const m = model(17);
    const t = new Trainer({ method: 'simclr', model: m, optimizer: new SGD(m.namedParameters(), { lr: 0.01 }), temperature: 0.5 });
    const ctl = new AbortController();
    const r = await fit(t, synthetic(128), { epochs: 5, batchSize: 16, signal: ctl.signal, onStep: (e) => e.step === 3 && ctl.abort() });
    expect(r.aborted).toBe(true);
    expect(r.steps).toBe(3);
  });

  it('bad options are rejected before any work', async () => {
    const m = model();
    const opt = new SGD(m.namedParameters(), { lr: 0.01 });
    expect(() => new Trainer({ method: 'moco', model: m, optimizer: opt, temperature: 0.1 })).toThrow(/keyModel/);
    expect(() => new Trainer({ method: 'simclr', model: m, optimizer: opt, temperature: 0 })).toThrow(/temperature/);
    const t = new Trainer({ method: 'simclr', model: m, optimizer: opt, temperature: 0.1 });
    await expect(fit(t, synthetic(8), { epochs: 1, batchSize: 16 })).rejects.toThrow(/larger than the 8 samples/);
  });
});

describe('Trainer memory', () => {
  it('a SimCLR step allocates nothing after the first: wasm memory is flat from step 1 (MLP 784-512-256 + head, batch 128)', () => {
    const m = new Sequential(mlp([784, 512, 256], { batchNorm: true }), mlp([256, 256, 128], { batchNorm: true }));
    const t = new Trainer({ method: 'simclr', model: m, optimizer: new AdamW(m.namedParameters(), { lr: 1e-3 }), temperature: 0.2 });
    const x = (s: number): Tensor => ({ data: Float32Array.from({ length: 128 * 784 }, (_, i) => noise(s, i, 0)), shape: [128, 784] });
    const mem: number[] = [];
    for (let s = 0; s < 40; s++) {
      t.step([x(2 * s), x(2 * s + 1)]);
      mem.push(runtimeInfo().memoryBytes);
    }
    expect(new Set(mem).size, `memory by step: ${mem.slice(0, 4).join(', ')} ...`).toBe(1);
  });
});
