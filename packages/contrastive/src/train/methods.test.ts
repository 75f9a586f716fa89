import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, init, mlp, Sequential } from '../index.node.js';
import type { Module, Tensor } from '../nn/module.js';
import { embed, fit, type TrainData } from './fit.js';
import { EXTRA_METHODS, type ExtraMethod } from './methods.js';
import { Trainer, type TrainerOptions, type Views } from './trainer.js';

beforeAll(() => init());

const D = 16;
function noise(seed: number, i: number, j: number): number {
  let t = (Math.imul(seed + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35) ^ Math.imul(j + 7, 0x27d4eb2f)) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5) * 2;
}
/** 4 classes, each a direction in the first 4 dims; the other 12 dims and noise are nuisance. */
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

/** A trainer for `method` on an encoder 16-32-16 + head 16-16-8 (+ predictor 8-16-8 where needed). */
function setup(method: ExtraMethod, seed = 3, extra: Partial<TrainerOptions> = {}) {
  const encoder = mlp([D, 32, 16], { seed, batchNorm: true });
  const model = new Sequential(encoder, mlp([16, 16, 8], { seed: seed + 1, batchNorm: true }));
  const predictor = ['byol', 'simsiam', 'nnclr'].includes(method) ? mlp([8, 16, 8], { seed: seed + 2, batchNorm: true }) : undefined;
  const targetModel =
    method === 'byol' ? new Sequential(mlp([D, 32, 16], { seed: 99, batchNorm: true }), mlp([16, 16, 8], { seed: 98, batchNorm: true })) : undefined;
  const params = [...model.namedParameters(), ...(predictor ? predictor.namedParameters().map(([n, p]) => [`predictor.${n}`, p] as [string, typeof p]) : [])];
  const trainer = new Trainer({
    method,
    model,
    predictor,
    targetModel,
    optimizer: new AdamW(params, { lr: 3e-3 }),
    temperature: 0.2,
    supportSize: 64,
    totalSteps: 32,
    ...extra,
  });
  return { trainer, encoder, model };
}

const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/**
 * Mean over dimensions of the std over rows of the L2-normalized outputs (SimSiam's collapse
 * monitor, Chen & He 2021 sec. 4.1: 0 when collapsed, about 1/sqrt(d) when spread).
 */
function normalizedStd(m: Module, x: Float32Array): { std: number; d: number } {
  const e = embed(m, { data: x, shape: [x.length / D, D] });
  const n = e.rows;
  const d = e.cols;
  const u = new Float64Array(e.data.length);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += e.data[i * d + j] ** 2;
    for (let j = 0; j < d; j++) u[i * d + j] = e.data[i * d + j] / Math.sqrt(s);
  }
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += u[i * d + j] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (u[i * d + j] - m) ** 2 / n;
    total += Math.sqrt(v);
  }
  return { std: total / d, d };
}

describe('Trainer methods beyond InfoNCE', () => {
  for (const method of EXTRA_METHODS) {
    it(`${method}: a few epochs of steps lower the loss`, async () => {
      const { trainer } = setup(method);
      const r = await fit(trainer, synthetic(256), { epochs: 4, batchSize: 32 });
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(mean(r.losses.slice(-4))).toBeLessThan(mean(r.losses.slice(0, 4)));
    });
  }

  for (const method of ['byol', 'simsiam'] as const) {
    // measured on the projection the loss sees (a collapsed one gives 0; spread ones about 1/sqrt(d))
    it(`${method}: does not collapse on a small set within 64 steps (normalized projection std above 0.4 / sqrt(d))`, async () => {
      const data = synthetic(256);
      const { trainer, model } = setup(method, 5, { totalSteps: 64 });
      await fit(trainer, data, { epochs: 8, batchSize: 32 });
      const { std, d } = normalizedStd(model, data.x);
      expect(std).toBeGreaterThan(0.4 / Math.sqrt(d));
    });
  }

  for (const method of ['byol', 'nnclr'] as const) {
    it(`${method}: a run resumed from state() continues exactly as the uninterrupted one (target network, support queue)`, () => {
      const data = synthetic(64);
      const idx = Int32Array.from({ length: 32 }, (_, i) => (i * 5) % 64);
      const steps = (t: Trainer, from: number, to: number) => {
        const out: number[] = [];
        for (let s = from; s < to; s++)
          out.push(
            t.step(
              data.views(idx, s),
              Array.from(idx, (i) => data.labels![i]),
            ).loss,
          );
        return out;
      };
      const a = setup(method, 7);
      const whole = steps(a.trainer, 0, 6);
      const b = setup(method, 7);
      steps(b.trainer, 0, 3);
      const saved = b.trainer.state();
      const c = setup(method, 11);
      c.trainer.restore(saved);
      expect(steps(c.trainer, 3, 6)).toEqual(whole.slice(3));
    });
  }

  it('methods that need labels or heads say so', () => {
    const { trainer } = setup('triplet');
    const data = synthetic(64);
    const idx = Int32Array.from({ length: 8 }, (_, i) => i);
    expect(() => trainer.step(data.views(idx, 0))).toThrow(/triplet needs labels/);
    const model = new Sequential(mlp([D, 8]));
    expect(() => new Trainer({ method: 'byol', model, optimizer: new AdamW(model.namedParameters(), { lr: 1e-3 }), temperature: 1 })).toThrow(/predictor/);
  });
});
