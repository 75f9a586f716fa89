import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, within } from '../../../../test/layers.js';
import { loadTextCases } from '../../../../test/text.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { Adam, Embedding, EmbeddingBag, init, Linear, SGD, SparseAdam, TokenPooling } from '../index.node.js';

beforeAll(() => init());

const ids = (data: number[], rows: number, cols: number) => ({ data, rows, cols });

describe('Embedding', () => {
  it('matches PyTorch float64 lookup and table gradient (padding_idx on and off, seq 1..129, dim 1..96)', () => {
    const problems: string[] = [];
    for (const c of loadTextCases('embedding.json').filter((c) => c.op === 'embedding')) {
      const [b, s] = c.shapes.ids;
      const { num_embeddings: v, embedding_dim: d, padding_idx: pad } = c.params;
      const e = new Embedding(v, d, { paddingIdx: pad ?? undefined });
      e.weight.set(f32a(c.inputs.weight));
      const y = e.forward(ids(c.inputs.ids, b, s));
      expect([y.rows, y.cols]).toEqual([b * s, d]);
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      e.backward(m(c.dy, b * s, d), { inputGrad: false });
      problems.push(...within(c, 'grads.weight', e.weight.grad(), c.grads.weight));
      e.free();
    }
    expect(problems).toEqual([]);
  });

  it('a token id out of range is a ContrastiveError naming the sequence and position', () => {
    const e = new Embedding(10, 4);
    expectError(() => e.forward(ids([1, 2, 3, 4, 10, 5], 2, 3)), 'INVALID_ARGUMENT', 'sequence 1, position 1', '[0, 10)');
    expectError(() => e.forward(ids([1, -1], 1, 2)), 'INVALID_ARGUMENT', 'position 1');
    expectError(() => e.forward(ids([1, 2.5], 1, 2)), 'INVALID_ARGUMENT', '2.5');
    expectError(() => new Embedding(10, 4, { paddingIdx: 10 }), 'INVALID_ARGUMENT', 'paddingIdx');
    e.free();
  });

  it('backward touches only the rows of the batch, and zeroGrad clears exactly those', () => {
    const e = new Embedding(1000, 8, { paddingIdx: 0 });
    e.forward(ids([5, 7, 5, 0], 1, 4));
    e.backward(m(new Float32Array(32).fill(1), 4, 8), { inputGrad: false });
    expect(Array.from(e.weight.touchedRows())).toEqual([5, 7]);
    const g = e.weight.grad();
    expect(g[5 * 8]).toBe(2);
    expect(g[7 * 8]).toBe(1);
    expect(g.slice(0, 8).every((v) => v === 0)).toBe(true);
    e.forward(ids([9, 7], 1, 2));
    e.backward(m(new Float32Array(16).fill(1), 2, 8), { inputGrad: false });
    expect(Array.from(e.weight.touchedRows())).toEqual([5, 7, 9]);
    e.zeroGrad();
    expect(e.weight.touchedCount).toBe(0);
    expect(e.weight.grad().every((v) => v === 0)).toBe(true);
    e.free();
  });

  it('SGD and SparseAdam on the table follow torch.optim over 3 steps; untouched rows do not move', () => {
    const problems: string[] = [];
    for (const c of loadTextCases('embedding.json').filter((c) => c.op !== 'embedding')) {
      const p = c.params;
      const e = new Embedding(p.num_embeddings, p.embedding_dim, { paddingIdx: p.padding_idx });
      e.weight.set(f32a(c.inputs.weight));
      const opt = c.op === 'sgd' ? new SGD(e.parameters(), { lr: p.lr }) : new SparseAdam(e.parameters(), { lr: p.lr, betas: p.betas, eps: p.eps });
      for (const [k, st] of c.steps.entries()) {
        opt.zeroGrad();
        e.forward(ids(st.ids, p.batch, p.seq));
        e.backward(m(st.dy, p.batch * p.seq, p.embedding_dim), { inputGrad: false });
        opt.step();
        problems.push(...within({ ...c, name: `${c.name} step ${k + 1}` }, 'weight', e.weight.value(), st.weight));
      }
      const w0 = f32a(c.inputs.weight);
      const w = e.weight.value();
      expect(Array.from(w.slice(7 * p.embedding_dim))).toEqual(Array.from(w0.slice(7 * p.embedding_dim)));
      opt.free();
      e.free();
    }
    expect(problems).toEqual([]);
  });

  it('dense Adam on the table behaves as torch Adam with sparse=False: every row moves once it has moments', () => {
    const e = new Embedding(6, 2, { seed: 3 });
    const opt = new Adam(e.parameters(), { lr: 0.1 });
    const w0 = e.weight.value();
    e.forward(ids([1], 1, 1));
    e.backward(m([1, 1], 1, 2), { inputGrad: false });
    opt.step();
    expect(e.weight.value()[0]).toBe(w0[0]); // row 0: zero gradient, zero moments: no move yet
    expect(e.weight.value()[2]).not.toBe(w0[2]);
    opt.zeroGrad();
    e.forward(ids([3], 1, 1));
    e.backward(m([1, 1], 1, 2), { inputGrad: false });
    const before = e.weight.value()[2];
    opt.step();
    expect(e.weight.value()[2]).not.toBe(before); // row 1 keeps moving on its momentum
    opt.free();
    e.free();
  });

  it('SparseAdam refuses parameters that are not embedding tables', () => {
    const e = new Embedding(5, 3);
    const lin = new Linear(3, 2);
    expectError(() => new SparseAdam([...e.parameters(), ...lin.parameters()]), 'INVALID_ARGUMENT', 'not an Embedding weight');
    lin.free();
    e.free();
  });

  it('a 250k x 256 table: a step touches its rows without copying the table', () => {
    const e = new Embedding(250_000, 256, { seed: 1 });
    const opt = new SGD(e.parameters(), { lr: 0.5 });
    const mem = () => (e.k.memory.buffer as ArrayBuffer).byteLength;
    const batch = ids(
      Array.from({ length: 32 * 64 }, (_, i) => (i * 7919) % 250_000),
      32,
      64,
    );
    e.forward(batch);
    e.backward(m(new Float32Array(32 * 64 * 256).fill(1), 32 * 64, 256), { inputGrad: false });
    opt.step();
    opt.zeroGrad();
    const before = mem();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) {
      e.forward(batch);
      e.backward(m(new Float32Array(32 * 64 * 256).fill(1), 32 * 64, 256), { inputGrad: false });
      opt.step();
      opt.zeroGrad();
    }
    expect(mem()).toBe(before);
    // dense work on the 64M-float table would take seconds; the touched rows take milliseconds
    expect((performance.now() - t0) / 3).toBeLessThan(400);
    opt.free();
    e.free();
  });
});

describe('TokenPooling', () => {
  it('matches PyTorch float64 CLS / mean / max pooling forward and backward (seq 1, 7, 129; all-but-one masked rows)', () => {
    const problems: string[] = [];
    for (const c of loadTextCases('pooling.json')) {
      const [b, s] = c.shapes.mask;
      const d = c.shapes.x[1];
      const pool = new TokenPooling(c.params.mode);
      const y = pool.forward(m(c.inputs.x, b * s, d), { attentionMask: m(c.inputs.mask, b, s) });
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = pool.backward(m(c.dy, b, d));
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      pool.free();
    }
    expect(problems).toEqual([]);
  });

  it('a fully masked row does not produce NaN: it pools to zeros', () => {
    for (const mode of ['mean', 'max', 'cls'] as const) {
      const pool = new TokenPooling(mode);
      const y = pool.forward(m([1, 2, 3, 4, 5, 6, 7, 8], 4, 2), { attentionMask: m([1, 1, 0, 0], 2, 2) });
      expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
      if (mode !== 'cls') expect(Array.from(y.data.slice(2))).toEqual([0, 0]);
      const dx = pool.backward(m([1, 1, 1, 1], 2, 2));
      expect(Array.from(dx.data).every(Number.isFinite)).toBe(true);
      pool.free();
    }
  });

  it('a mask of the wrong shape names the argument', () => {
    const pool = new TokenPooling('mean');
    expectError(() => pool.forward(m([1, 2, 3, 4], 2, 2), { attentionMask: m([1, 1, 1], 1, 3) }), 'SHAPE_MISMATCH', 'tokens has 2 rows');
    expectError(() => pool.forward(m([1, 2, 3, 4], 2, 2)), 'INVALID_ARGUMENT', 'attentionMask');
    pool.free();
  });
});

describe('EmbeddingBag', () => {
  it('is the masked mean of its tokens, padding ids left out, and its gradient reaches only those rows', () => {
    const bag = new EmbeddingBag(6, 2, { paddingIdx: 0, seed: 2 });
    const w = bag.weight.value();
    const y = bag.forward(ids([1, 2, 0, 3, 4, 5], 2, 3), { attentionMask: m([1, 1, 1, 1, 1, 0], 2, 3) });
    const row = (r: number) => [w[2 * r], w[2 * r + 1]];
    const mean = (rs: number[]) => [0, 1].map((j) => rs.reduce((s, r) => s + row(r)[j], 0) / rs.length);
    expect(Array.from(y.data).map((v) => +v.toFixed(5))).toEqual([...mean([1, 2]), ...mean([3, 4])].map((v) => +v.toFixed(5)));
    bag.backward(m([1, 1, 1, 1], 2, 2), { inputGrad: false });
    expect(Array.from(bag.weight.touchedRows()).sort()).toEqual([1, 2, 3, 4]);
    expect(Object.keys(bag.stateDict())).toEqual(['weight']);
    bag.free();
  });
});
