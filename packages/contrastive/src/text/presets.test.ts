import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { AdamW, infoNce, init, SGD, smallTransformer, SparseAdam, staticEmbedding, type Module } from '../index.node.js';

beforeAll(() => init());

// 8 "texts" of 6 ids and a second view of each (two ids swapped, one replaced): in-batch InfoNCE
// on [views 1; views 2] must fall as the encoder learns to tell the texts apart.
const n = 8;
const s = 6;
const base = Array.from({ length: n * s }, (_, i) => 1 + ((i * 37 + 11) % 50));
const view2 = base.map((v, i) => (i % s === 2 ? 1 + ((v + 7) % 50) : v));
const ids = { data: [...base, ...view2], rows: 2 * n, cols: s };
const mask = { data: new Array(2 * n * s).fill(1).map((v, i) => (i % s === 5 && i >= n * s ? 0 : v)), rows: 2 * n, cols: s };

function train(
  model: Module & { forward: (x: typeof ids, o: object) => { data: Float32Array; rows: number; cols: number } },
  opt: { step(): void; zeroGrad(): void },
  steps: number,
): number[] {
  const losses: number[] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    const z = model.forward(ids, { attentionMask: mask, training: true });
    const d = z.cols;
    const q = { data: z.data.slice(0, n * d), rows: n, cols: d };
    const k = { data: z.data.slice(n * d), rows: n, cols: d };
    const r = infoNce(q, k, { temperature: 0.1, symmetric: true });
    const g = new Float32Array(2 * n * d);
    g.set(r.grads.query.data, 0);
    g.set(r.grads.key.data, n * d);
    model.backward({ data: g, rows: 2 * n, cols: d }, { inputGrad: false });
    opt.step();
    losses.push(r.loss);
  }
  return losses;
}

describe('text presets', () => {
  it('smallTransformer (pre-LN BERT layout, mean pooling) learns: in-batch InfoNCE falls by half in 30 AdamW steps', () => {
    const model = smallTransformer({ vocabSize: 64, layers: 2, hidden: 32, heads: 4, maxPositions: 16, dropout: 0, seed: 1 });
    expect(model.namedParameters().map(([k]) => k)).toContain('encoder.layer.1.attention.self.query.weight');
    const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0 });
    const losses = train(model, opt, 30);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 2);
    opt.free();
    model.free();
  });

  it('staticEmbedding (EmbeddingBag mean) learns with SparseAdam and with SGD on the touched rows', () => {
    for (const mk of [(m: Module) => new SparseAdam(m.parameters(), { lr: 0.05 }), (m: Module) => new SGD(m.parameters(), { lr: 5 })]) {
      const model = staticEmbedding({ vocabSize: 64, dim: 16, seed: 2 });
      const opt = mk(model);
      const losses = train(model, opt, 30);
      expect(losses[losses.length - 1]).toBeLessThan(losses[0] / 2);
      expect(model.weight.touchedCount).toBeLessThanOrEqual(51);
      opt.free();
      model.free();
    }
  });

  it('bad sizes name the argument', () => {
    expectError(() => staticEmbedding({ vocabSize: 0 }), 'INVALID_ARGUMENT', 'vocabSize');
    expectError(() => smallTransformer({ vocabSize: 10, hidden: 30, heads: 4 }), 'INVALID_ARGUMENT', 'num_attention_heads');
  });
});
