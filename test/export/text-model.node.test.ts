// saveModel / loadModel for text encoders: static embedding models, BERT-family encoders (post-LN
// and pre-LN, every activation) and SentenceTransformer (pooling, normalization) come back with
// the same architecture and the same outputs, bit for bit.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bertEncoder,
  ContrastiveError,
  Embedding,
  EmbeddingBag,
  init,
  LayerNorm,
  loadModel,
  loadSentenceTransformer,
  type Module,
  moduleSpec,
  MultiHeadSelfAttention,
  readSafetensors,
  SentenceTransformer,
  saveModel,
  smallTransformer,
  SPEC_KEY,
  saveSafetensors,
  staticEmbedding,
  TokenPooling,
  TransformerEncoderLayer,
} from '../../packages/contrastive/src/index.node.js';
import { perturb } from './text-fixtures.js';

beforeAll(() => init());

/** Ids [rows, cols] in [1, vocab) with the last `pad[r]` positions of row r padded (id 0, mask 0). */
function batch(rows: number, cols: number, vocab: number, pad: number[]) {
  const ids = new Int32Array(rows * cols);
  const mask = new Int32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const on = c < cols - (pad[r] ?? 0);
      ids[r * cols + c] = on ? 1 + ((r * 7 + c * 13) % (vocab - 1)) : 0;
      mask[r * cols + c] = on ? 1 : 0;
    }
  }
  const types = mask.map((m, i) => (m && i % cols >= 2 ? 1 : 0));
  return {
    ids: { data: ids, rows, cols },
    attentionMask: { data: mask, rows, cols },
    tokenTypeIds: { data: types, rows, cols },
  };
}

type Fwd = (m: Module) => Float32Array;
const tokensOf = (b: ReturnType<typeof batch>) => ({
  data: Float32Array.from({ length: b.ids.rows * b.ids.cols * 8 }, (_, i) => Math.sin(i * 0.3)),
  rows: b.ids.rows * b.ids.cols,
  cols: 8,
});

const b = batch(3, 6, 40, [0, 2, 4]);
const cases: [string, () => Module, Fwd][] = [
  ['Embedding with a padding row', () => new Embedding(40, 5, { paddingIdx: 0, seed: 3 }), (m) => (m as Embedding).forward(b.ids).data],
  [
    'the static embedding preset (EmbeddingBag, mean)',
    () => staticEmbedding({ vocabSize: 40, dim: 6, seed: 2 }),
    (m) => (m as EmbeddingBag).forward(b.ids, { attentionMask: b.attentionMask }).data,
  ],
  [
    'an EmbeddingBag in max mode',
    () => new EmbeddingBag(40, 4, { mode: 'max', paddingIdx: 1 }),
    (m) => (m as EmbeddingBag).forward(b.ids, { attentionMask: b.attentionMask }).data,
  ],
  ['TokenPooling (cls)', () => new TokenPooling('cls'), (m) => (m as TokenPooling).forward(tokensOf(b), { attentionMask: b.attentionMask }).data],
  ['LayerNorm without affine parameters', () => new LayerNorm(8, { eps: 1e-3, elementwiseAffine: false }), (m) => m.forward(tokensOf(b)).data],
  [
    'multi-head self-attention without biases',
    () => new MultiHeadSelfAttention(8, 2, { bias: false, seed: 4 }),
    (m) => (m as MultiHeadSelfAttention).forward(tokensOf(b), { attentionMask: b.attentionMask }).data,
  ],
  [
    'a pre-LN encoder layer with tanh GELU',
    () => new TransformerEncoderLayer({ hidden: 8, heads: 4, intermediate: 12, norm: 'pre', activation: 'gelu_new', seed: 5 }),
    (m) => (m as TransformerEncoderLayer).forward(tokensOf(b), { attentionMask: b.attentionMask }).data,
  ],
  [
    'a post-LN BERT with token types, ReLU and a pooler',
    () =>
      bertEncoder({
        vocab_size: 40,
        hidden_size: 8,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 16,
        max_position_embeddings: 10,
        hidden_act: 'relu',
        add_pooling_layer: true,
        pad_token_id: 0,
        seed: 6,
      }),
    (m) => m.forward(b.ids, { attentionMask: b.attentionMask, tokenTypeIds: b.tokenTypeIds } as never).data,
  ],
  [
    'the small transformer preset (pre-LN, mean pooling)',
    () => smallTransformer({ vocabSize: 40, layers: 2, hidden: 8, heads: 2, maxPositions: 12, seed: 7 }),
    (m) => m.forward(b.ids, { attentionMask: b.attentionMask } as never).data,
  ],
  [
    'a SentenceTransformer with max pooling and normalization',
    () =>
      new SentenceTransformer(
        bertEncoder({ vocab_size: 40, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 4, intermediate_size: 8, hidden_act: 'gelu' }),
        undefined,
        { pooling: 'max', normalize: true, maxSeqLength: 9 },
      ),
    (m) => m.forward(b.ids, { attentionMask: b.attentionMask } as never).data,
  ],
];

describe('saveModel and loadModel for text encoders', () => {
  for (const [name, make, fwd] of cases) {
    it(`${name}: the reloaded model has the same spec and gives the same outputs bit for bit`, () => {
      const m = make();
      perturb(m, name.length);
      const again = loadModel(saveModel(m));
      expect(again.type).toBe(m.type);
      expect(moduleSpec(again)).toEqual(moduleSpec(m));
      expect(Array.from(fwd(again))).toEqual(Array.from(fwd(m)));
      m.free();
      again.free();
    });
  }

  it('a SentenceTransformer keeps its pooling, normalization and maximum length', () => {
    const m = new SentenceTransformer(
      bertEncoder({ vocab_size: 20, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4 }),
      undefined,
      {
        pooling: 'cls',
        normalize: true,
        maxSeqLength: 7,
      },
    );
    const again = loadModel(saveModel(m)) as SentenceTransformer;
    expect(again).toBeInstanceOf(SentenceTransformer);
    expect([again.pooling.mode, again.normalizer !== undefined, again.maxSeqLength]).toEqual(['cls', true, 7]);
    m.free();
    again.free();
  });

  it('an edited BERT spec that asks for a larger vocabulary than the file holds is refused before allocating', () => {
    const m = bertEncoder({ vocab_size: 30, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4 });
    const { tensors, metadata } = readSafetensors(saveModel(m));
    const spec = JSON.parse(metadata[SPEC_KEY]);
    spec.args.config.vocab_size = 3_000_000_000;
    const edited = saveSafetensors(tensors, { ...metadata, [SPEC_KEY]: JSON.stringify(spec) });
    expect(() => loadModel(edited)).toThrowError(ContrastiveError);
    expect(() => loadModel(edited)).toThrowError(/needs at least .* floats of weights/);
    m.free();
  });

  it('a SentenceTransformer spec whose child is not a BertModel is a ContrastiveError naming it', () => {
    const bad = saveSafetensors(new LayerNorm(4).stateDict(), {
      [SPEC_KEY]: JSON.stringify({ type: 'SentenceTransformer', args: { pooling: 'mean' }, children: [{ type: 'LayerNorm', args: { normalizedShape: 4 } }] }),
    });
    expect(() => loadModel(bad)).toThrowError(/SentenceTransformer needs one child, a BertModel/);
  });

  const minilm = fileURLToPath(new URL('../../.cache/models/all-MiniLM-L6-v2/', import.meta.url));
  it.skipIf(!existsSync(`${minilm}model.safetensors`))('all-MiniLM-L6-v2 loaded from its folder round-trips through one model file', async () => {
    const { model } = await loadSentenceTransformer(minilm);
    const again = loadModel(saveModel(model)) as SentenceTransformer;
    expect(moduleSpec(again)).toEqual(moduleSpec(model));
    const t = model.tokenize(['a round trip', 'of the whole model, with padding']);
    const o = { attentionMask: t.attentionMask };
    expect(Array.from(again.forward(t.inputIds, o).data)).toEqual(Array.from(model.forward(t.inputIds, o).data));
    model.free();
    again.free();
  });
});
