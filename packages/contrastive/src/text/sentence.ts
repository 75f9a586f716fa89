// A sentence-transformers model folder in, sentence embeddings out: the transformer
// (config.json + model.safetensors), the tokenizer (tokenizer.json), the pooling
// (modules.json, 1_Pooling/config.json) and the optional normalization (2_Normalize).
import { ContrastiveError } from '../errors.js';
import { loadSafetensors } from '../io/safetensors.js';
import { TokenPooling, type PoolingMode } from '../nn/embedding.js';
import { f32, Module, numel, type WTensor } from '../nn/module.js';
import { L2Normalize } from '../nn/normalize.js';
import { BertModel, type BertConfig, type TextForwardOptions } from '../nn/transformer.js';
import type { Matrix, MatrixLike } from '../types.js';
import { loadHuggingFace, type HfLoadReport } from './hf.js';
import { loadTokenizer, type LoadTokenizerOptions, type TextTokenizer, type TokenBatch } from './tokenizer.js';

/** Reads one file of a model folder by its relative path ('config.json', '1_Pooling/config.json'); undefined when absent. */
export type FileReader = (path: string) => Promise<Uint8Array | undefined>;

/**
 * Where a model's files come from: a folder path (Node, Deno, Bun), a map of relative paths to
 * bytes or text (browsers: fetched or picked files), or a reader function.
 */
export type ModelSource = string | Record<string, Uint8Array | string> | FileReader;

let folderReader: ((dir: string) => FileReader) | undefined;

/** @internal Set by the Node entry: reads a folder from disk. */
export function setFolderReader(f: (dir: string) => FileReader): void {
  folderReader = f;
}

/** @internal The reader of a model source. */
export function readerOf(src: ModelSource, op: string): FileReader {
  if (typeof src === 'function') return src;
  if (typeof src === 'string') {
    if (!folderReader)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: a folder path needs the Node entry (or pass the files as { 'config.json': bytes, ... })`);
    return folderReader(src);
  }
  if (src && typeof src === 'object') {
    const enc = new TextEncoder();
    return async (p) => {
      const v = src[p];
      return v === undefined ? undefined : typeof v === 'string' ? enc.encode(v) : v;
    };
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `${op}: source must be a folder path, a map of files or a reader function`);
}

export interface SentenceTransformerOptions {
  pooling?: PoolingMode;
  /** L2-normalize the pooled embeddings (the folder's 2_Normalize). Default false. */
  normalize?: boolean;
  /** Tokens per text, special tokens included (sentence_bert_config.json's max_seq_length). Default 256 capped by the positions. */
  maxSeqLength?: number;
}

export interface EncodeOptions {
  /** Texts per forward pass (default 32). Texts are sorted by length first, as sentence-transformers does, so batches pad little. */
  batchSize?: number;
  /** Called after each batch with the texts done so far and the total (a progress bar). */
  onProgress?: (done: number, total: number) => void;
  /** L2-normalize each embedding, after truncation (default false; a folder's 2_Normalize applies either way). */
  normalize?: boolean;
  /** Keep the first `dims` columns (Matryoshka models; default all). */
  dims?: number;
}

/** @internal The `dims` of encode options, checked against the model's width. */
export function encodeDims(dims: number | undefined, width: number, op: string): number {
  const d = dims ?? width;
  if (!Number.isInteger(d) || d < 1 || d > width)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: dims must be an integer in 1..${width}, got ${String(d)}`);
  return d;
}

/** @internal Writes the first `dims` values of `row`, L2-normalized when asked, at `out[at..]`. */
export function putRow(row: Float32Array, dims: number, normalize: boolean, out: Float32Array, at: number): void {
  let s = 1;
  if (normalize) {
    let ss = 0;
    for (let j = 0; j < dims; j++) ss += row[j] * row[j];
    s = 1 / Math.max(Math.sqrt(ss), 1e-12);
  }
  for (let j = 0; j < dims; j++) out[at + j] = row[j] * s;
}

/**
 * A sentence embedding model: a BERT-family encoder, token pooling and optional L2
 * normalization, with its tokenizer. `encode(texts)` returns one row per text; `forward(ids,
 * { attentionMask })` / `backward(grad)` are the trainable path on token ids. State_dict names
 * are the encoder's Hugging Face names (what model.safetensors holds).
 */
export class SentenceTransformer extends Module {
  readonly pooling: TokenPooling;
  readonly normalizer: L2Normalize | undefined;
  readonly maxSeqLength: number;
  constructor(
    readonly encoder: BertModel,
    readonly tokenizer: TextTokenizer | undefined,
    opts: SentenceTransformerOptions = {},
  ) {
    super('SentenceTransformer');
    this.pooling = new TokenPooling(opts.pooling ?? 'mean');
    this.normalizer = opts.normalize ? new L2Normalize() : undefined;
    const maxPos = encoder.config.max_position_embeddings ?? 512;
    const m = opts.maxSeqLength ?? Math.min(256, maxPos);
    if (!Number.isInteger(m) || m < 2 || m > maxPos) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `SentenceTransformer: maxSeqLength must be an integer in [2, ${maxPos}] (max_position_embeddings), got ${String(m)}`,
      );
    }
    this.maxSeqLength = m;
  }
  /** Embedding width. */
  get dimension(): number {
    return this.encoder.config.hidden_size;
  }
  _children(): [string, Module][] {
    return this.encoder._children();
  }
  /** Sentence embeddings [rows, hidden] of token ids (rows = texts, cols = positions). */
  forward(ids: MatrixLike, opts: TextForwardOptions = {}): Matrix {
    const op = 'SentenceTransformer.forward';
    this.check(op);
    const p = this.encoder._place(ids, opts, op);
    const y = this._forward({ ptr: p, shape: [ids.rows, ids.cols] }, opts.training ?? false);
    return { data: f32(this.k, y.ptr, numel(y.shape)).slice(), rows: y.shape[0], cols: y.shape[1] };
  }
  /** @internal x: u32 ids placed by encoder._place (which also set the mask). */
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastIn = x;
    this.lastTraining = training;
    const h = this.encoder._forward(x, training);
    this.pooling._setMask(this.encoder._mask!);
    const y = this.pooling._forward(h, training);
    return this.normalizer ? this.normalizer._forward(y, training) : y;
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const g = this.normalizer ? this.normalizer._backward(dy) : dy;
    return this.encoder._backward(this.pooling._backward(g, true)!, needInput);
  }
  outShape(): number[] | undefined {
    return (this.normalizer ?? this.pooling).outShape();
  }
  /** Token ids of texts, truncated to maxSeqLength and padded to the longest. */
  tokenize(texts: string[]): TokenBatch {
    if (!this.tokenizer) throw new ContrastiveError('INVALID_ARGUMENT', 'SentenceTransformer.tokenize: this model has no tokenizer');
    return this.tokenizer.batch(texts, { maxLength: this.maxSeqLength });
  }
  /** One embedding row per text, in the order given (eval mode). */
  encode(texts: string[], opts: EncodeOptions = {}): Matrix {
    const op = 'SentenceTransformer.encode';
    this.check(op);
    if (!Array.isArray(texts)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: texts must be an array of strings`);
    const bs = opts.batchSize ?? 32;
    if (!Number.isInteger(bs) || bs <= 0)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: batchSize must be a positive integer, got ${String(opts.batchSize)}`);
    if (!this.tokenizer) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: this model has no tokenizer; use forward(ids, { attentionMask })`);
    const d = this.dimension;
    const dims = encodeDims(opts.dims, d, op);
    const out = new Float32Array(texts.length * dims);
    const enc = texts.map((t, i) => {
      if (typeof t !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: texts[${i}] must be a string, got ${typeof t}`);
      return this.tokenizer!.encode(t, { maxLength: this.maxSeqLength });
    });
    const order = enc.map((_, i) => i).sort((a, b) => enc[b].length - enc[a].length || a - b);
    for (let s = 0; s < order.length; s += bs) {
      const idx = order.slice(s, s + bs);
      const cols = Math.max(...idx.map((i) => enc[i].length));
      const ids = new Int32Array(idx.length * cols).fill(this.tokenizer.padId);
      const mask = new Int32Array(idx.length * cols);
      idx.forEach((i, r) => {
        ids.set(enc[i], r * cols);
        mask.fill(1, r * cols, r * cols + enc[i].length);
      });
      const y = this.forward({ data: ids, rows: idx.length, cols }, { attentionMask: { data: mask, rows: idx.length, cols } });
      idx.forEach((i, r) => putRow(y.data.subarray(r * d, (r + 1) * d), dims, !!opts.normalize, out, i * dims));
      opts.onProgress?.(Math.min(s + bs, order.length), order.length);
    }
    return { data: out, rows: texts.length, cols: dims };
  }
  free(): void {
    super.free();
    this.encoder.free();
    this.pooling.free();
    this.normalizer?.free();
  }
}

export interface LoadSentenceTransformerOptions extends Pick<LoadTokenizerOptions, 'module'> {
  /** Overrides the folder's max_seq_length. */
  maxSeqLength?: number;
}

export interface LoadedSentenceTransformer {
  model: SentenceTransformer;
  /** What the weights file held beyond the model (an unused pooler, a pretraining head). */
  report: HfLoadReport;
}

async function json(read: FileReader, path: string, op: string, required: boolean): Promise<any> {
  const b = await read(path);
  if (!b) {
    if (required) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the model has no ${path}`);
    return undefined;
  }
  try {
    return JSON.parse(new TextDecoder().decode(b));
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${path} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Loads a sentence-transformers (or plain Hugging Face BERT) model: config.json,
 * model.safetensors, tokenizer.json (+ tokenizer_config.json), and when present modules.json,
 * the pooling folder's config.json, a Normalize module and sentence_bert_config.json. Without
 * modules.json: mean pooling, no normalization. The tokenizer needs the optional peer
 * @huggingface/tokenizers.
 */
export async function loadSentenceTransformer(source: ModelSource, opts: LoadSentenceTransformerOptions = {}): Promise<LoadedSentenceTransformer> {
  const op = 'loadSentenceTransformer';
  const read = readerOf(source, op);
  const config = (await json(read, 'config.json', op, true)) as BertConfig;
  const type = String(config.model_type ?? 'bert');
  if (!['bert'].includes(type))
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: config.json has model_type '${type}'; BERT-family encoders (model_type 'bert') are supported`);
  let pooling: PoolingMode = 'mean';
  let normalize = false;
  const modules = (await json(read, 'modules.json', op, false)) as { type: string; path: string }[] | undefined;
  if (modules) {
    for (const m of modules) {
      if (m.type.endsWith('.Pooling')) {
        const pc = await json(read, `${m.path}/config.json`, op, true);
        if (pc.pooling_mode_cls_token) pooling = 'cls';
        else if (pc.pooling_mode_max_tokens) pooling = 'max';
        else if (pc.pooling_mode_mean_tokens) pooling = 'mean';
        else throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${m.path}/config.json asks for a pooling other than CLS, mean or max`);
      } else if (m.type.endsWith('.Normalize')) {
        normalize = true;
      } else if (!m.type.endsWith('.Transformer')) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: modules.json has a ${m.type} module; Transformer, Pooling and Normalize are supported`);
      }
    }
  }
  const sbc = await json(read, 'sentence_bert_config.json', op, false);
  const weights = await read('model.safetensors');
  if (!weights) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the model has no model.safetensors`);
  const tj = await json(read, 'tokenizer.json', op, true);
  const tc = await json(read, 'tokenizer_config.json', op, false);
  const tokenizer = await loadTokenizer(tj, { config: tc, module: opts.module });
  const encoder = new BertModel(config);
  let report: HfLoadReport;
  try {
    report = loadHuggingFace(encoder, loadSafetensors(weights));
  } catch (e) {
    encoder.free();
    throw e;
  }
  const model = new SentenceTransformer(encoder, tokenizer, { pooling, normalize, maxSeqLength: opts.maxSeqLength ?? sbc?.max_seq_length });
  return { model, report };
}
