// ONNX export of the text encoders: a BertModel (last hidden state), a SentenceTransformer
// (pooled, optionally normalized sentence embeddings) and the static embedding model
// (EmbeddingBag). Inputs are int64 `input_ids`, `attention_mask` (and `token_type_ids` for BERT)
// of shape [batch, sequence], both dimensions dynamic. Tensors inside are [batch, sequence,
// hidden]; the attention mask enters the scores additively (0 for tokens, -1e9 for padding,
// which Softmax turns into an exact 0).
import { ContrastiveError } from '../errors.js';
import type { MultiHeadSelfAttention } from '../nn/attention.js';
import type { EmbeddingBag, TokenPooling } from '../nn/embedding.js';
import type { LayerNorm } from '../nn/layernorm.js';
import type { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import type { BertModel, TransformerEncoderLayer } from '../nn/transformer.js';
import type { SentenceTransformer } from '../text/sentence.js';
import { convertModule, type OnnxExportOptions, OnnxGraph, type OnnxIo, onnxModel, registerOnnx, registerOnnxRoot } from './onnx.js';

/** The options of a text encoder's export (a subset of exportOnnx's). */
export type TextOnnxOptions = Pick<OnnxExportOptions, 'output' | 'tokenTypeIds' | 'batchName' | 'sequenceName' | 'normalize'>;

const NEG = -1e9;

/** The mask as float [B, S] and as the additive attention bias [B, 1, 1, S]. */
interface Masks {
  maskF: string;
  bias: string;
}

function masks(g: OnnxGraph, mask: string): Masks {
  const maskF = g.node('Cast', [mask], { to: 1 });
  const one = g.constant('one', [], [1]);
  const neg = g.constant('neg', [], [NEG]);
  const axes = g.constant('axes12', [2], [1, 2], 'int64');
  const bias = g.node('Mul', [g.node('Sub', [one, g.node('Unsqueeze', [maskF, axes])]), neg]);
  return { maskF, bias };
}

/** x [.., in] W^T + b with W stored transposed, [in, out], for MatMul. */
function linear(g: OnnxGraph, m: Linear, x: string, path: string): string {
  const w = m.weight.value();
  const [o, i] = [m.outFeatures, m.inFeatures];
  const t = new Float32Array(w.length);
  for (let r = 0; r < o; r++) for (let c = 0; c < i; c++) t[c * o + r] = w[r * i + c];
  const y = g.node('MatMul', [x, g.constant(`${path}.weight`, [i, o], t)]);
  return m.bias ? g.node('Add', [y, g.constant(`${path}.bias`, [o], m.bias.value())]) : y;
}

function layerNorm(g: OnnxGraph, m: LayerNorm, x: string, path: string): string {
  const d = m.normalizedShape;
  const scale = g.constant(`${path}.weight`, [d], m.weight?.value() ?? new Float32Array(d).fill(1));
  const bias = g.constant(`${path}.bias`, [d], m.bias?.value() ?? new Float32Array(d));
  return g.node('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: m.eps }, ['epsilon']);
}

/** softmax(q k^T / sqrt(d_head) + bias) v per head, heads concatenated: [B, S, H] -> [B, S, H]. */
function attention(g: OnnxGraph, m: MultiHeadSelfAttention, x: string, bias: string, path: string): string {
  const split = g.constant(`${path}.heads_shape`, [4], [0, 0, m.heads, m.headDim], 'int64');
  const heads = (v: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [v, split])], { perm });
  const q = heads(linear(g, m.query, x, `${path}.query`), [0, 2, 1, 3]);
  const kT = heads(linear(g, m.key, x, `${path}.key`), [0, 2, 3, 1]);
  const v = heads(linear(g, m.value, x, `${path}.value`), [0, 2, 1, 3]);
  const scale = g.constant(`${path}.scale`, [], [1 / Math.sqrt(m.headDim)]);
  const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, kT]), scale]), bias]);
  const ctx = g.node('MatMul', [g.node('Softmax', [scores], { axis: -1 }), v]);
  const merged = g.constant(`${path}.merged_shape`, [3], [0, 0, m.hidden], 'int64');
  return g.node('Reshape', [g.node('Transpose', [ctx], { perm: [0, 2, 1, 3] }), merged]);
}

function encoderLayer(g: OnnxGraph, l: TransformerEncoderLayer, x: string, bias: string, path: string): string {
  const act = (v: string) => convertModule(g, l.act, { name: v, shape: [l.inter.outFeatures] }, `${path}.intermediate.act`).name;
  const attn = (v: string) => linear(g, l.attnOut, attention(g, l.attention, v, bias, `${path}.attention.self`), `${path}.attention.output.dense`);
  const ffn = (v: string) => linear(g, l.out, act(linear(g, l.inter, v, `${path}.intermediate.dense`)), `${path}.output.dense`);
  const ln1 = (v: string) => layerNorm(g, l.ln1, v, `${path}.attention.output.LayerNorm`);
  const ln2 = (v: string) => layerNorm(g, l.ln2, v, `${path}.output.LayerNorm`);
  if (l.norm === 'post') {
    const h = ln1(g.node('Add', [attn(x), x]));
    return ln2(g.node('Add', [ffn(h), h]));
  }
  const h = g.node('Add', [x, attn(ln1(x))]);
  return g.node('Add', [h, ffn(ln2(h))]);
}

/** The last hidden state [B, S, H] of a BertModel. */
function bert(g: OnnxGraph, m: BertModel, ids: string, types: string | undefined, bias: string): string {
  const e = m.embeddings;
  const h = m.config.hidden_size;
  const word = g.node('Gather', [g.constant('embeddings.word_embeddings.weight', [e.word.numEmbeddings, h], e.word.weight.value()), ids], { axis: 0 });
  // positions 0 .. S-1: the first S rows of the table, broadcast over the batch
  const seqLen = g.node('Shape', [ids], { start: 1, end: 2 });
  const pos = g.node('Slice', [
    g.constant('embeddings.position_embeddings.weight', [e.position.numEmbeddings, h], e.position.weight.value()),
    g.constant('zero', [1], [0], 'int64'),
    seqLen,
    g.constant('axis0', [1], [0], 'int64'),
  ]);
  const typeTable = e.tokenType.weight.value();
  const type = types
    ? g.node('Gather', [g.constant('embeddings.token_type_embeddings.weight', [e.tokenType.numEmbeddings, h], typeTable), types], { axis: 0 })
    : g.constant('embeddings.token_type_embeddings.row0', [h], typeTable.subarray(0, h));
  let x = layerNorm(g, e.norm, g.node('Add', [g.node('Add', [word, pos]), type]), 'embeddings.LayerNorm');
  m.layers.forEach((l, i) => {
    x = encoderLayer(g, l, x, bias, `encoder.layer.${i}`);
  });
  return x;
}

/** [B, S, D] tokens and the float mask [B, S] -> [B, D]. */
function pool(g: OnnxGraph, mode: TokenPooling['mode'], x: string, maskF: string): string {
  if (mode === 'cls') return g.node('Gather', [x, g.constant('first', [], [0], 'int64')], { axis: 1 });
  const m3 = g.node('Unsqueeze', [maskF, g.constant('axis2', [1], [2], 'int64')]);
  if (mode === 'mean') {
    const axis1 = g.constant('axis1', [1], [1], 'int64');
    const sum = g.node('ReduceSum', [g.node('Mul', [x, m3]), axis1], { keepdims: 0 });
    const count = g.node('Max', [g.node('ReduceSum', [m3, axis1], { keepdims: 0 }), g.constant('min_count', [], [1e-9])]);
    return g.node('Div', [sum, count]);
  }
  // max over the tokens: padding pushed to -1e9 first (tokens get + 0, exactly themselves)
  const pushed = g.node('Add', [x, g.node('Mul', [g.node('Sub', [g.constant('one', [], [1]), m3]), g.constant('neg', [], [NEG])])]);
  return g.node('ReduceMax', [pushed], { axes: [1], keepdims: 0 });
}

/** x / max(||x||_2, 1e-12) over the last axis of [B, D], as F.normalize (and L2Normalize). */
function normalize(g: OnnxGraph, x: string): string {
  const norm = g.node('ReduceL2', [x], { axes: [-1], keepdims: 1 });
  return g.node('Div', [x, g.node('Max', [norm, g.constant('norm_eps', [], [1e-12])])]);
}

/**
 * Exports a text encoder to ONNX (opset 17): BertModel -> `last_hidden_state` [batch, sequence,
 * hidden]; SentenceTransformer -> `sentence_embedding` [batch, hidden] (and `last_hidden_state`);
 * EmbeddingBag (the static model) -> `sentence_embedding`. Inputs: `input_ids`,
 * `attention_mask` (int64 [batch, sequence]) and, for BERT, `token_type_ids`. `exportOnnx`
 * calls this for these models.
 */
export function exportTextOnnx(model: Module, opts: TextOnnxOptions = {}): Uint8Array {
  if (!(model instanceof Module))
    throw new ContrastiveError('INVALID_ARGUMENT', `exportTextOnnx: expected a Module, got ${model === null ? 'null' : typeof model}`);
  if (opts === null || typeof opts !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `exportTextOnnx: opts must be an object, got ${String(opts)}`);
  const B = opts.batchName ?? 'batch';
  const S = opts.sequenceName ?? 'sequence';
  const io = (name: string): OnnxIo => ({ name, dims: [B, S], type: 'int64' });
  const g = new OnnxGraph();
  const inputs = [io('input_ids'), io('attention_mask')];
  const { maskF, bias } = masks(g, 'attention_mask');
  if (model.type === 'EmbeddingBag') {
    const bag = model as EmbeddingBag;
    const d = bag.embeddingDim;
    const x = g.node('Gather', [g.constant('weight', [bag.numEmbeddings, d], bag.weight.value()), 'input_ids'], { axis: 0 });
    let m = maskF;
    const pad = bag.embedding.paddingIdx;
    if (pad !== undefined) {
      // the padding id is left out of the bag wherever it appears
      const notPad = g.node('Cast', [g.node('Not', [g.node('Equal', ['input_ids', g.constant('pad_id', [], [pad], 'int64')])])], { to: 1 });
      m = g.node('Mul', [maskF, notPad]);
    }
    let y = pool(g, bag.pool.mode, x, m);
    if (opts.normalize) y = normalize(g, y);
    return onnxModel(g, inputs, [{ name: 'sentence_embedding', from: y, dims: [B, d] }]);
  }
  if (model.type !== 'BertModel' && model.type !== 'SentenceTransformer') {
    throw new ContrastiveError(
      'UNSUPPORTED',
      `exportTextOnnx: the model is a ${model.type}; text export takes a BertModel, a SentenceTransformer or an EmbeddingBag`,
    );
  }
  const st = model.type === 'SentenceTransformer' ? (model as SentenceTransformer) : undefined;
  const enc = st ? st.encoder : (model as BertModel);
  const withTypes = opts.tokenTypeIds !== false;
  if (withTypes) inputs.push(io('token_type_ids'));
  const h = enc.config.hidden_size;
  const tokens = bert(g, enc, 'input_ids', withTypes ? 'token_type_ids' : undefined, bias);
  const hidden: OnnxIo = { name: 'last_hidden_state', from: tokens, dims: [B, S, h] };
  if (!st || opts.output === 'tokens') return onnxModel(g, inputs, [hidden]);
  let y = pool(g, st.pooling.mode, tokens, maskF);
  if (st.normalizer) y = normalize(g, y);
  return onnxModel(g, inputs, [{ name: 'sentence_embedding', from: y, dims: [B, h] }, hidden]);
}

for (const type of ['BertModel', 'SentenceTransformer', 'EmbeddingBag']) registerOnnxRoot(type, exportTextOnnx);

// a LayerNorm inside a float model (e.g. an MLP block): over the last dimension of each sample
registerOnnx<LayerNorm>('LayerNorm', (g, m, x, path) => {
  if (x.shape[x.shape.length - 1] !== m.normalizedShape) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `exportOnnx: ${path || '(root)'} (LayerNorm) expects [..., ${m.normalizedShape}] per sample, got [${x.shape.join(', ')}]`,
    );
  }
  return { name: layerNorm(g, m, x.name, path), shape: x.shape };
});
