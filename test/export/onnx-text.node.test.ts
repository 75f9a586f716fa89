// ONNX export of text encoders: BERT-family encoders (post-LN, pre-LN, erf and tanh GELU, token
// types), SentenceTransformer pooling (CLS, masked mean, max) with normalization, and the static
// embedding model, run by onnxruntime-web (in Node) and onnxruntime-node at several batch and
// sequence sizes with padded rows, against the library's own forward; onnx.checker accepts them.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bertEncoder,
  type BertConfig,
  ContrastiveError,
  EmbeddingBag,
  exportOnnx,
  exportTextOnnx,
  init,
  mlp,
  type Module,
  SentenceTransformer,
  smallTransformer,
  staticEmbedding,
} from '../../packages/contrastive/src/index.node.js';
import { expectOnnxCheckerPasses, loadOrt, type Ort } from './ort.js';
import { asMatrix, perturb, type Tokens, tokens, worstRel } from './text-fixtures.js';

let ortWeb: Ort;
let ortNode: Ort;

beforeAll(async () => {
  await init();
  ({ web: ortWeb, node: ortNode } = await loadOrt());
});

const VOCAB = 50;
const bert = (over: Partial<BertConfig> = {}) =>
  bertEncoder({
    vocab_size: VOCAB,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 24,
    max_position_embeddings: 20,
    pad_token_id: 0,
    seed: 3,
    ...over,
  });

interface Case {
  name: string;
  make: () => Module;
  /** The library's output for a batch (what the graph's first output must equal). */
  want: (m: Module, t: Tokens, types: boolean) => Float32Array;
  output: string;
  types: boolean;
}

const libraryForward = (m: Module, t: Tokens, types: boolean) =>
  m.forward(asMatrix(t, t.ids), { attentionMask: asMatrix(t, t.mask), ...(types ? { tokenTypeIds: asMatrix(t, t.types) } : {}) } as never).data;

const cases: Case[] = [
  { name: 'a post-LN BERT (erf GELU) with token types', make: () => bert(), want: libraryForward, output: 'last_hidden_state', types: true },
  {
    name: 'a pre-LN BERT with tanh GELU',
    make: () => bert({ norm: 'pre', hidden_act: 'gelu_new', num_hidden_layers: 3 }),
    want: libraryForward,
    output: 'last_hidden_state',
    types: true,
  },
  {
    name: 'a BERT with ReLU and no token_type_ids input',
    make: () => bert({ hidden_act: 'relu' }),
    want: libraryForward,
    output: 'last_hidden_state',
    types: false,
  },
  {
    name: 'a SentenceTransformer with masked mean pooling and normalization',
    make: () => new SentenceTransformer(bert(), undefined, { pooling: 'mean', normalize: true }),
    want: libraryForward,
    output: 'sentence_embedding',
    types: true,
  },
  {
    name: 'a SentenceTransformer with CLS pooling',
    make: () => new SentenceTransformer(bert({ norm: 'pre' }), undefined, { pooling: 'cls' }),
    want: libraryForward,
    output: 'sentence_embedding',
    types: true,
  },
  {
    name: 'a SentenceTransformer with max pooling',
    make: () => new SentenceTransformer(bert({ hidden_act: 'gelu_pytorch_tanh' }), undefined, { pooling: 'max' }),
    want: libraryForward,
    output: 'sentence_embedding',
    types: true,
  },
  {
    name: 'the small transformer preset',
    make: () => smallTransformer({ vocabSize: VOCAB, layers: 2, hidden: 8, heads: 2, maxPositions: 16, seed: 4 }),
    want: libraryForward,
    output: 'sentence_embedding',
    types: true,
  },
  {
    name: 'the static embedding model (mean, padding id left out)',
    make: () => staticEmbedding({ vocabSize: VOCAB, dim: 12, seed: 5 }),
    want: (m, t) => (m as EmbeddingBag).forward(asMatrix(t, t.ids), { attentionMask: asMatrix(t, t.mask) }).data,
    output: 'sentence_embedding',
    types: false,
  },
  {
    name: 'a static EmbeddingBag in max mode',
    make: () => new EmbeddingBag(VOCAB, 6, { mode: 'max', paddingIdx: 0, seed: 6 }),
    want: (m, t) => (m as EmbeddingBag).forward(asMatrix(t, t.ids), { attentionMask: asMatrix(t, t.mask) }).data,
    output: 'sentence_embedding',
    types: false,
  },
];

// batch x sequence sizes, with padded rows (the last `pad[r]` positions of row r)
const batches: [number, number, number[]][] = [
  [1, 1, []],
  [3, 5, [0, 2, 4]],
  [4, 9, [8, 0, 3, 1]],
  [2, 16, [0, 11]],
];

async function run(rt: Ort, bytes: Uint8Array, t: Tokens, types: boolean, output: string): Promise<Float32Array> {
  const s = await rt.InferenceSession.create(bytes);
  const i64 = (a: Int32Array) =>
    new rt.Tensor(
      'int64',
      BigInt64Array.from(a, (v) => BigInt(v)),
      [t.rows, t.cols],
    );
  const feeds: Record<string, unknown> = { input_ids: i64(t.ids), attention_mask: i64(t.mask) };
  if (types) feeds.token_type_ids = i64(t.types);
  const out = await s.run(feeds);
  return out[output].data as Float32Array;
}

describe('ONNX export of text encoders', () => {
  for (const c of cases) {
    it(`${c.name}: onnxruntime-web and onnxruntime-node give the library's outputs within 1e-5 at dynamic batch and sequence sizes with padding`, async () => {
      const m = c.make();
      perturb(m, c.name.length);
      const bytes = exportOnnx(m, { tokenTypeIds: c.types });
      for (const [rows, cols, pad] of batches) {
        const t = tokens(rows, cols, VOCAB, pad, rows * 31 + cols);
        // the pooled rows come from the SentenceTransformer's own forward
        const want = c.want(m, t, c.types);
        expect(worstRel(await run(ortWeb, bytes, t, c.types, c.output), want)).toBeLessThanOrEqual(1e-5);
        expect(worstRel(await run(ortNode, bytes, t, c.types, c.output), want)).toBeLessThanOrEqual(1e-5);
      }
      m.free();
    });
  }

  it("a SentenceTransformer's graph also returns the encoder's last hidden state, and output 'tokens' returns only that", async () => {
    const m = new SentenceTransformer(bert(), undefined, { pooling: 'mean', normalize: true });
    perturb(m, 9);
    const t = tokens(3, 7, VOCAB, [0, 3, 5], 2);
    const want = m.encoder.forward(asMatrix(t, t.ids), { attentionMask: asMatrix(t, t.mask), tokenTypeIds: asMatrix(t, t.types) }).data;
    expect(worstRel(await run(ortNode, exportOnnx(m), t, true, 'last_hidden_state'), want)).toBeLessThanOrEqual(1e-5);
    const s = await ortNode.InferenceSession.create(exportTextOnnx(m, { output: 'tokens' }));
    expect(s.outputNames).toEqual(['last_hidden_state']);
    expect(s.inputNames).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    m.free();
  });

  it('the exported text graphs pass onnx.checker.check_model (python3-onnx)', (ctx) => {
    expectOnnxCheckerPasses(ctx, () =>
      cases.map((c) => {
        const m = c.make();
        const bytes = exportOnnx(m, { tokenTypeIds: c.types });
        m.free();
        return bytes;
      }),
    );
  });

  it('a model that is not a text encoder is a ContrastiveError naming its type', () => {
    const m = mlp([4, 2]);
    expect(() => exportTextOnnx(m)).toThrowError(ContrastiveError);
    expect(() => exportTextOnnx(m)).toThrowError(/the model is a Sequential; text export takes a BertModel/);
    expect(() => exportTextOnnx(null as never)).toThrowError(/expected a Module, got null/);
    expect(() => exportTextOnnx(bert(), null as never)).toThrowError(/opts must be an object/);
    m.free();
  });
});
