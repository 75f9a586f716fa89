// ONNX export of text encoders in the browser: a BERT-family SentenceTransformer and the static
// embedding model, exported in Chromium, run in onnxruntime-web there with the library's outputs
// (dynamic batch and sequence length, padded rows).
import * as ort from 'onnxruntime-web/wasm';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bertEncoder, exportOnnx, init, type Module, SentenceTransformer, staticEmbedding } from '../../packages/contrastive/src/index.browser.js';
import { asMatrix, perturb, tokens, worstRel } from './text-fixtures.js';

beforeAll(async () => {
  await init();
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
});

const VOCAB = 40;

describe('ONNX export of text encoders in Chromium', () => {
  for (const [name, make] of [
    [
      'a post-LN SentenceTransformer (mean pooling, normalized)',
      () =>
        new SentenceTransformer(
          bertEncoder({ vocab_size: VOCAB, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 32, seed: 2 }),
          undefined,
          { pooling: 'mean', normalize: true },
        ),
    ],
    ['the static embedding model', () => staticEmbedding({ vocabSize: VOCAB, dim: 8, seed: 3 })],
  ] as [string, () => Module][]) {
    it(`${name}: onnxruntime-web gives the library's embeddings within 1e-5`, async () => {
      const m = make();
      perturb(m, 7);
      const bert = m instanceof SentenceTransformer;
      const session = await ort.InferenceSession.create(exportOnnx(m));
      for (const [rows, cols, pad] of [
        [2, 3, [0, 1]],
        [5, 11, [0, 4, 10, 2, 7]],
      ] as [number, number, number[]][]) {
        const t = tokens(rows, cols, VOCAB, pad, rows + cols);
        const i64 = (a: Int32Array) =>
          new ort.Tensor(
            'int64',
            BigInt64Array.from(a, (v) => BigInt(v)),
            [rows, cols],
          );
        const feeds: Record<string, ort.Tensor> = { input_ids: i64(t.ids), attention_mask: i64(t.mask) };
        if (bert) feeds.token_type_ids = i64(t.types);
        const got = (await session.run(feeds)).sentence_embedding.data as Float32Array;
        const o = { attentionMask: asMatrix(t, t.mask), ...(bert ? { tokenTypeIds: asMatrix(t, t.types) } : {}) };
        const want = m.forward(asMatrix(t, t.ids), o as never).data;
        expect(worstRel(got, want)).toBeLessThanOrEqual(1e-5);
      }
      m.free();
    });
  }
});
