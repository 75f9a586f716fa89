// NPY files written by numpy, JSONL, splits, vectors and pairs as training data, and the one
// input contract of fit / embed / Trainer.step.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../util/errors.js';
import {
  AdamW,
  embed,
  fit,
  fitStandardizer,
  init,
  jsonlPairs,
  jsonlVectors,
  mlp,
  pairTrainData,
  parseNpy,
  scarf,
  standardize,
  Trainer,
  trainValTestSplit,
  vectorTrainData,
  convNet,
  lenet,
  lenet28,
  toTensor,
} from '../../packages/contrastive/src/index.node.js';

const fixture = (name: string) => new URL(`../fixtures/npy/${name}`, import.meta.url);

beforeAll(() => init());

describe('NPY files written by numpy', () => {
  const base = Array.from({ length: 12 }, (_, i) => i * 1.5 - 4);
  const ints = Array.from({ length: 12 }, (_, i) => i - 5);
  for (const [file, want, ctor] of [
    ['m3x4-f4.npy', base, Float32Array],
    ['m3x4-f8.npy', base, Float64Array],
    ['m3x4-f4-v2.npy', base, Float32Array],
    ['m3x4-i4.npy', ints, Int32Array],
    ['m3x4-i8.npy', ints, Float64Array],
    ['m3x4-u1.npy', ints.map((_, i) => i * 20), Uint8Array],
  ] as const) {
    it(`${file} reads the same from a Node Buffer (a view into a shared pool) and from a Uint8Array`, () => {
      const buf = readFileSync(fixture(file));
      for (const bytes of [buf, new Uint8Array(buf), Buffer.concat([Buffer.alloc(3), buf]).subarray(3)]) {
        const a = parseNpy(bytes, file);
        expect(a.shape).toEqual([3, 4]);
        expect(a.data).toBeInstanceOf(ctor);
        expect(Array.from(a.data)).toEqual(want);
      }
    });
  }

  it('a 1-d float32 vector and a 4-d uint8 image batch keep their shapes', () => {
    expect(parseNpy(readFileSync(fixture('v5-f4.npy'))).shape).toEqual([5]);
    const img = parseNpy(readFileSync(fixture('images2x3x3x3-u1.npy')));
    expect(img.shape).toEqual([2, 3, 3, 3]);
    expect(img.data[53]).toBe(53);
  });
});

describe('JSONL', () => {
  it('vectors as arrays or objects, labels by key, errors with line numbers', () => {
    const a = jsonlVectors('[1,2]\n\n[3,4.5]\n');
    expect([a.x.rows, a.x.cols, ...a.x.data]).toEqual([2, 2, 1, 2, 3, 4.5]);
    const b = jsonlVectors('{"v":[1,2],"y":"cat"}\r\n{"v":[3,4],"y":"ant"}\n', { label: 'y' });
    expect(b.classes).toEqual(['ant', 'cat']);
    expect(Array.from(b.labels!)).toEqual([1, 0]);
    expectError(() => jsonlVectors('[1,2]\n[1]\n', { name: 'v.jsonl' }), 'SHAPE_MISMATCH', 'v.jsonl line 2');
    expectError(() => jsonlVectors('[1,2]\n{oops\n', { name: 'v.jsonl' }), 'INVALID_ARGUMENT', 'v.jsonl line 2', 'not JSON');
    expectError(() => jsonlVectors('[1,1e39]\n'), 'NON_FINITE', '[1]');
  });

  it('pairs and triplets by the sentence-transformers key names', () => {
    const p = jsonlPairs('{"anchor":[1,0],"positive":[0,1],"negative":[1,1]}\n{"anchor":[2,0],"positive":[0,2],"negative":[2,2]}\n');
    expect([p.anchor.rows, p.positive.cols, p.negative!.data[3]]).toEqual([2, 2, 2]);
    expectError(() => jsonlPairs('{"anchor":[1],"pos":[2]}\n', { name: 'p.jsonl' }), 'INVALID_ARGUMENT', 'p.jsonl line 1', '"positive"');
  });
});

describe('trainValTestSplit', () => {
  it('is seeded, disjoint, covers every sample and keeps class proportions', () => {
    const labels = Int32Array.from({ length: 200 }, (_, i) => (i < 150 ? 0 : 1));
    const s = trainValTestSplit(labels, { val: 0.1, test: 0.2, seed: 4 });
    expect([s.train.length, s.val.length, s.test.length]).toEqual([140, 20, 40]);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(200);
    expect(Array.from(s.test).filter((i) => labels[i] === 1).length).toBe(10);
    expect(trainValTestSplit(labels, { val: 0.1, test: 0.2, seed: 4 })).toEqual(s);
    expect(trainValTestSplit(labels, { val: 0.1, test: 0.2, seed: 5 }).test).not.toEqual(s.test);
  });

  it('a class of one sample stays in train; bad fractions are refused', () => {
    const s = trainValTestSplit([0, 0, 0, 0, 1], { test: 0.5 });
    expect(Array.from(s.train)).toContain(4);
    expect(trainValTestSplit(10, { val: 0.3 }).val.length).toBe(3);
    expectError(() => trainValTestSplit(10, { val: 0.5, test: 0.5 }), 'INVALID_ARGUMENT', 'below 1');
    expectError(() => trainValTestSplit(10, { test: -0.1 }), 'INVALID_ARGUMENT', 'test');
  });
});

describe('vectors and pairs as training data', () => {
  it('standardization has zero mean and unit variance, and leaves a constant column finite', () => {
    const x = { data: Float32Array.from([1, 5, 3, 5, 5, 5]), rows: 3, cols: 2 };
    const s = fitStandardizer(x);
    const z = standardize(x, s);
    expect(Array.from(z.data).every(Number.isFinite)).toBe(true);
    expect(z.data[0] + z.data[2] + z.data[4]).toBeCloseTo(0, 6);
    expect(z.data[1]).toBe(0);
  });

  it('vectorTrainData trains an MLP with SCARF views: the loss goes down, same seed same views', async () => {
    const rows = 64,
      cols = 6;
    const data = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.7) + (Math.floor(i / cols) % 2) * 2);
    const td = vectorTrainData({ data, rows, cols }, scarf({ rate: 0.4 }), { seed: 1 });
    expect(Array.from(td.views(Int32Array.of(3, 1), 2)[0].data)).toEqual(Array.from(td.views(Int32Array.of(3, 1), 2)[0].data));
    const model = mlp([cols, 32, 16], { seed: 0, batchNorm: true });
    const trainer = new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters(), { lr: 3e-3 }), temperature: 0.5 });
    const r = await fit(trainer, td, { epochs: 15, batchSize: 32 });
    expect(r.losses.slice(-4).reduce((a, b) => a + b) / 4).toBeLessThan(r.losses.slice(0, 4).reduce((a, b) => a + b) / 4);
  });

  it('pairTrainData trains two towers with the clip method on aligned rows', async () => {
    const n = 64;
    const a = Float32Array.from({ length: n * 4 }, (_, i) => Math.cos(i * 1.3));
    const b = Float32Array.from({ length: n * 3 }, (_, i) => a[Math.floor(i / 3) * 4 + (i % 3)] * 2 + 0.1);
    const ta = mlp([4, 16, 8], { seed: 1 });
    const tb = mlp([3, 16, 8], { seed: 2 });
    const trainer = new Trainer({
      method: 'clip',
      model: ta,
      modelB: tb,
      optimizer: new AdamW(
        [
          ...ta.namedParameters().map(([k, p]) => [`a.${k}`, p] as [string, typeof p]),
          ...tb.namedParameters().map(([k, p]) => [`b.${k}`, p] as [string, typeof p]),
        ],
        { lr: 1e-2 },
      ),
      temperature: 0.1,
    });
    const r = await fit(trainer, pairTrainData({ data: a, rows: n, cols: 4 }, { data: b, rows: n, cols: 3 }), { epochs: 20, batchSize: 32 });
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0] * 0.7);
    expectError(() => pairTrainData({ data: a, rows: n, cols: 4 }, { data: b.subarray(0, 9), rows: 3, cols: 3 }), 'SHAPE_MISMATCH', '64 rows', '3');
  });
});

describe('the input contract of fit, embed and Trainer.step', () => {
  let model: ReturnType<typeof mlp>;
  beforeAll(() => void (model = mlp([4, 8], { seed: 0 })));
  const rows = { data: new Float32Array(8), rows: 2, cols: 4 };

  it('Matrix, Tensor and ImageBatch inputs give the same embeddings', () => {
    const a = embed(model, rows);
    const b = embed(model, { data: rows.data, shape: [2, 4] });
    const c = embed(model, { data: rows.data, n: 2, channels: 1, height: 2, width: 2 });
    expect([a.rows, a.cols]).toEqual([2, 8]);
    expect(b.data).toEqual(a.data);
    expect(c.data).toEqual(a.data);
    expect(toTensor({ data: [1, 2, 3, 4, 5, 6], rows: 3, cols: 2 }, 'x', 'op').data).toBeInstanceOf(Float32Array);
  });

  it('a bare Float32Array, a wrong length or a missing shape is a ContrastiveError saying what is expected', () => {
    expectError(() => embed(model, new Float32Array(8) as never), 'INVALID_ARGUMENT', 'embed', 'bare Float32Array', '{ data, rows, cols }');
    expectError(() => embed(model, { data: new Float32Array(7), rows: 2, cols: 4 }), 'SHAPE_MISMATCH', '7 values', '[2, 4]');
    expectError(() => embed(model, { data: new Float32Array(8) } as never), 'INVALID_ARGUMENT', 'keys data');
    expectError(() => embed(model, { data: new Uint8Array(8), n: 2, channels: 1, height: 2, width: 2 } as never), 'INVALID_ARGUMENT', 'toImageBatch');
    expectError(() => embed(null as never, rows), 'INVALID_ARGUMENT', 'encoder must be a Module');
  });

  it('Trainer.step and fit reject wrong inputs with ContrastiveErrors, not TypeErrors', async () => {
    const trainer = new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters(), { lr: 1e-3 }), temperature: 0.5 });
    expectError(() => trainer.step(rows as never), 'INVALID_ARGUMENT', 'Trainer.step', 'views');
    expectError(() => trainer.step([{ data: [1, 2, 3, 4] as never, shape: [2, 2] }, rows]), 'INVALID_ARGUMENT', 'views[0]', 'Float32Array');
    expectError(() => trainer.step([rows, new Float32Array(8)] as never), 'INVALID_ARGUMENT', 'views[1]');
    await expect(fit(trainer, { n: 4 } as never, { epochs: 1, batchSize: 2 })).rejects.toThrow(/data.views must be a function/);
    await expect(
      fit(
        trainer,
        {
          n: 4,
          views: () => [
            { data: rows.data, shape: [2, 4] },
            { data: rows.data, shape: [2, 4] },
          ],
        },
        undefined as never,
      ),
    ).rejects.toThrow(/options \{ epochs, batchSize \}/);
  });
});

describe('image encoders for any size and channel count', () => {
  it('convNet takes 32x32 and 64x64 RGB rows (and grayscale); lenet any size; lenet28 is lenet at 1x28x28', () => {
    for (const input of [
      [3, 32, 32],
      [3, 64, 64],
      [1, 20, 36],
    ] as [number, number, number][]) {
      const net = convNet({ input, widths: [4, 8], seed: 0 });
      const y = embed(net, { data: new Float32Array(2 * input[0] * input[1] * input[2]).fill(0.5), rows: 2, cols: input[0] * input[1] * input[2] });
      expect(y.cols).toBe(8);
      const l = lenet({ input, widths: [4, 8], dim: 16 });
      expect(l.stateDict()['10.weight'].shape).toEqual([16, 8 * Math.floor(input[1] / 4) * Math.floor(input[2] / 4)]);
    }
    expect(Object.keys(lenet28({ bnRelu: true }).stateDict())).toEqual(Object.keys(lenet({ input: [1, 28, 28], bnRelu: true }).stateDict()));
    expectError(() => convNet({ input: [3, 32] as never }), 'INVALID_ARGUMENT', '[channels, height, width]');
    expectError(() => convNet({ input: [3, 4, 4], widths: [4, 4, 4, 4] }), 'INVALID_ARGUMENT', 'too small');
  });
});
