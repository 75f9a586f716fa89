// The architectures of the text modules as model-file specs (nn/spec.ts): Embedding,
// EmbeddingBag (the static embedding model), TokenPooling, LayerNorm, self-attention, encoder
// layers, BertModel and SentenceTransformer, so saveModel/loadModel carry text encoders too.
import { ContrastiveError } from '../errors.js';
import { Embedding, EmbeddingBag, type PoolingMode, TokenPooling } from '../nn/embedding.js';
import { LayerNorm } from '../nn/layernorm.js';
import { MultiHeadSelfAttention } from '../nn/attention.js';
import type { Module } from '../nn/module.js';
import { registerModule } from '../nn/spec.js';
import { BertModel, type BertConfig, type EncoderLayerOptions, TransformerEncoderLayer } from '../nn/transformer.js';
import { SentenceTransformer } from './sentence.js';

const fail = (msg: string): never => {
  throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ${msg}`);
};
const int = (a: Record<string, unknown>, k: string, fallback?: number): number => {
  const v = a[k] ?? fallback;
  if (!Number.isInteger(v) || (v as number) < 0) fail(`args.${k} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return v as number;
};
const optInt = (a: Record<string, unknown>, k: string): number | undefined => (a[k] === undefined || a[k] === null ? undefined : int(a, k));
const obj = (a: Record<string, unknown>, k: string): Record<string, unknown> => {
  const v = a[k];
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`args.${k} must be an object, got ${JSON.stringify(v)?.slice(0, 80)}`);
  return v as Record<string, unknown>;
};
const mode = (a: Record<string, unknown>, allowed: PoolingMode[]): PoolingMode => {
  const v = a.mode ?? 'mean';
  if (!allowed.includes(v as PoolingMode)) fail(`args.mode must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return v as PoolingMode;
};

/** Floats of one encoder layer: q, k, v, attention output (h x h + h each), 2 LayerNorms, the feed-forward pair. */
function layerSize(h: number, inter: number): number {
  return 4 * (h * h + h) + 4 * h + (h * inter + inter) + (inter * h + h);
}

/** Floats of a BertModel from its config (the defaults BertModel applies). */
function bertSize(c: Record<string, unknown>): number {
  const h = int(c, 'hidden_size');
  const inter = int(c, 'intermediate_size');
  const tables = int(c, 'vocab_size') + int(c, 'max_position_embeddings', 512) + int(c, 'type_vocab_size', 2);
  return tables * h + 2 * h + int(c, 'num_hidden_layers') * layerSize(h, inter) + (c.add_pooling_layer ? h * h + h : 0);
}

registerModule<Embedding>('Embedding', {
  args: (m) => ({ numEmbeddings: m.numEmbeddings, embeddingDim: m.embeddingDim, paddingIdx: m.paddingIdx ?? null }),
  build: (a) => new Embedding(int(a, 'numEmbeddings'), int(a, 'embeddingDim'), { paddingIdx: optInt(a, 'paddingIdx') }),
  stateSize: (a) => int(a, 'numEmbeddings') * int(a, 'embeddingDim'),
});
registerModule<EmbeddingBag>('EmbeddingBag', {
  args: (m) => ({ numEmbeddings: m.numEmbeddings, embeddingDim: m.embeddingDim, paddingIdx: m.embedding.paddingIdx ?? null, mode: m.pool.mode }),
  build: (a) =>
    new EmbeddingBag(int(a, 'numEmbeddings'), int(a, 'embeddingDim'), {
      paddingIdx: optInt(a, 'paddingIdx'),
      mode: mode(a, ['mean', 'max']) as 'mean' | 'max',
    }),
  stateSize: (a) => int(a, 'numEmbeddings') * int(a, 'embeddingDim'),
});
registerModule<TokenPooling>('TokenPooling', { args: (m) => ({ mode: m.mode }), build: (a) => new TokenPooling(mode(a, ['cls', 'mean', 'max'])) });
registerModule<LayerNorm>('LayerNorm', {
  args: (m) => ({ normalizedShape: m.normalizedShape, eps: m.eps, elementwiseAffine: m.weight !== undefined }),
  build: (a) => {
    if (a.eps !== undefined && typeof a.eps !== 'number') fail(`LayerNorm args.eps must be a number, got ${JSON.stringify(a.eps)}`);
    return new LayerNorm(int(a, 'normalizedShape'), { eps: a.eps as number | undefined, elementwiseAffine: a.elementwiseAffine !== false });
  },
  stateSize: (a) => (a.elementwiseAffine === false ? 0 : 2 * int(a, 'normalizedShape')),
});
registerModule<MultiHeadSelfAttention>('MultiHeadSelfAttention', {
  args: (m) => ({ hidden: m.hidden, heads: m.heads, bias: m.query.bias !== undefined, dropout: m.dropout, seed: m.seed }),
  build: (a) =>
    new MultiHeadSelfAttention(int(a, 'hidden'), int(a, 'heads'), {
      bias: a.bias !== false,
      dropout: (a.dropout as number | undefined) ?? 0,
      seed: int(a, 'seed', 0),
    }),
  stateSize: (a) => 3 * (int(a, 'hidden') ** 2 + (a.bias === false ? 0 : int(a, 'hidden'))),
});
registerModule<TransformerEncoderLayer>('TransformerEncoderLayer', {
  args: (m) => ({ ...m.options }),
  build: (a) => new TransformerEncoderLayer(a as unknown as EncoderLayerOptions),
  stateSize: (a) => layerSize(int(a, 'hidden'), int(a, 'intermediate')),
});
registerModule<BertModel>('BertModel', {
  args: (m) => ({ config: JSON.parse(JSON.stringify(m.config)) }),
  build: (a) => new BertModel(obj(a, 'config') as unknown as BertConfig),
  stateSize: (a) => bertSize(obj(a, 'config')),
});
registerModule<SentenceTransformer>('SentenceTransformer', {
  args: (m) => ({ pooling: m.pooling.mode, normalize: m.normalizer !== undefined, maxSeqLength: m.maxSeqLength }),
  children: (m) => [m.encoder],
  build: (a, children: Module[]) => {
    const enc = children[0];
    if (children.length !== 1 || !(enc instanceof BertModel)) fail('SentenceTransformer needs one child, a BertModel');
    return new SentenceTransformer(enc as BertModel, undefined, {
      pooling: mode({ mode: a.pooling }, ['cls', 'mean', 'max']),
      normalize: a.normalize === true,
      maxSeqLength: optInt(a, 'maxSeqLength'),
    });
  },
});
