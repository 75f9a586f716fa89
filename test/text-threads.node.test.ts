// The text layers on the threads builds: attention's (sequence, head) items and LayerNorm's rows
// are split over the pool, and the results must be bit-identical to one thread.
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { bits, rand } from './util/bits.js';

const { init, runtimeInfo } = lib;
const variants = lib.relaxedSimdSupported() ? (['simd128', 'relaxed'] as const) : (['simd128'] as const);

/** A 2-layer BERT (hidden 64, 4 heads) on 8 padded sequences of 65 tokens, forward and backward, then an AdamW step. */
function bertRun(): Float32Array[] {
  const [b, s] = [8, 65];
  const bert = lib.bertEncoder({ vocab_size: 500, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, seed: 3 });
  const ids = { data: Array.from({ length: b * s }, (_, i) => (i * 7919) % 500), rows: b, cols: s };
  const attentionMask = { data: Array.from({ length: b * s }, (_, i) => (i % s < s - Math.floor(i / s) * 7 ? 1 : 0)), rows: b, cols: s };
  const h = bert.forward(ids, { attentionMask, training: true });
  bert.backward({ data: rand(h.data.length, 9), rows: h.rows, cols: h.cols }, { inputGrad: false });
  const opt = new lib.AdamW(bert.parameters(), { lr: 1e-3 });
  opt.step();
  const out = [h.data.slice(), ...bert.parameters().map((p) => p.grad()), ...bert.parameters().map((p) => p.value())];
  opt.free();
  bert.free();
  return out;
}

afterAll(() => init({ threads: 1, variant: 'simd128' }));

describe('text layers on threads', () => {
  for (const variant of variants) {
    it(`BERT forward/backward (attention, LayerNorm, embeddings): 2 and 3 threads give bit-identical results to the single-threaded ${variant} build`, async () => {
      await init({ threads: 1, variant });
      const one = bits(bertRun());
      await init({ threads: 2, variant });
      expect(runtimeInfo()).toMatchObject({ variant, threads: 2 });
      const two = bits(bertRun());
      await init({ threads: 3, variant });
      const three = bits(bertRun());
      expect(two).toEqual(one);
      expect(three).toEqual(one);
    });
  }
});
