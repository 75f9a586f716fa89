import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, init, mlp, Sequential } from '../index.node.js';
import type { Module, Tensor } from '../nn/module.js';
import { embed, fit, type TrainData } from './fit.js';
import { EXTRA_METHODS, type ExtraMethod, nearestSupport } from './methods.js';
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

describe('NNCLR neighbour search (nearestSupport, the exact search kernel)', () => {
  /** The float64 brute force the Trainer used to run in JavaScript: argmax_k z_i . s_k, first index on ties. */
  const brute = (z: Float32Array, n: number, s: Float32Array, m: number, d: number) => {
    const best = new Float64Array(n).fill(-Infinity);
    const second = new Float64Array(n).fill(-Infinity);
    const arg = new Uint32Array(n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < m; k++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += z[i * d + j] * s[k * d + j];
        if (dot > best[i]) {
          second[i] = best[i];
          best[i] = dot;
          arg[i] = k;
        } else if (dot > second[i]) second[i] = dot;
      }
    return { arg, best, second };
  };
  const unitRows = (m: number, d: number, seed: number) => {
    const s = Float32Array.from({ length: m * d }, (_, i) => noise(seed, Math.floor(i / d), i % d));
    for (let k = 0; k < m; k++) {
      let n = 0;
      for (let j = 0; j < d; j++) n += s[k * d + j] ** 2;
      for (let j = 0; j < d; j++) s[k * d + j] /= Math.sqrt(n);
    }
    return s;
  };

  it('picks the float64 brute force neighbour of every row (512 rows, a full 4096-row queue, d = 128)', () => {
    const [n, m, d] = [512, 4096, 128];
    const z = Float32Array.from({ length: n * d }, (_, i) => 3 * noise(5, Math.floor(i / d), i % d));
    const s = unitRows(m, d, 6);
    const got = nearestSupport({ data: z, rows: n, cols: d }, { data: s, rows: m, cols: d });
    const want = brute(z, n, s, m, d);
    let clear = 0;
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += z[i * d + j] * s[got[i] * d + j];
      // float32 products may swap two neighbours closer than their rounding; never a worse one
      expect(dot).toBeGreaterThanOrEqual(want.best[i] - 1e-4);
      if (want.best[i] - want.second[i] > 1e-4) {
        expect(got[i]).toBe(want.arg[i]);
        clear++;
      }
    }
    expect(clear).toBeGreaterThan(n * 0.95);
  });

  it('ties go to the lower queue slot; a zero row gets slot 0; a partly filled queue is searched only where filled', () => {
    const d = 8;
    const s = unitRows(6, d, 9);
    s.copyWithin(4 * d, 1 * d, 2 * d); // slot 4 = slot 1
    const z = new Float32Array(3 * d);
    z.set(s.subarray(1 * d, 2 * d), 0); // row 0 = slot 1 = slot 4
    z.set(s.subarray(5 * d, 6 * d), 2 * d); // row 2 = slot 5, outside a 5-row queue
    const got = nearestSupport({ data: z, rows: 3, cols: d }, { data: s.subarray(0, 5 * d), rows: 5, cols: d });
    expect(got[0]).toBe(1);
    expect(got[1]).toBe(0);
    expect(got[2]).toBe(brute(z.subarray(2 * d), 1, s, 5, d).arg[0]);
    expect(got[2]).toBeLessThan(5);
  });
});
