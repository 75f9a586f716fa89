// Hugging Face / sentence-transformers / transformers.js folders for text encoders. A BERT-family
// encoder becomes the folder sentence-transformers writes (config.json, model.safetensors under
// Hugging Face's names, the tokenizer files, modules.json, 1_Pooling, 2_Normalize,
// sentence_bert_config.json, config_sentence_transformers.json) plus onnx/model.onnx in
// transformers.js's layout (output last_hidden_state; the pipeline pools). A static embedding
// model becomes sentence-transformers' StaticEmbedding layout (0_StaticEmbedding/).
import { ContrastiveError } from '../errors.js';
import { saveSafetensors } from '../io/safetensors.js';
import { EmbeddingBag, type PoolingMode } from '../nn/embedding.js';
import type { Module } from '../nn/module.js';
import { BertModel } from '../nn/transformer.js';
import { SentenceTransformer } from '../text/sentence.js';
import { SentenceEncoder } from '../train/sentence.js';
import { VERSION } from '../version.js';
import { exportTextOnnx } from './onnx-text.js';

export interface HfExportOptions {
  /** tokenizer.json (text or parsed) when the model carries no tokenizer (a bare BertModel or EmbeddingBag). */
  tokenizer?: string | Record<string, unknown>;
  /** tokenizer_config.json to write (default: the one the model was loaded with, else one made from tokenizer.json). */
  tokenizerConfig?: Record<string, unknown>;
  /** Pooling of a BertModel or SentenceEncoder (default 'mean'); a SentenceTransformer uses its own. */
  pooling?: PoolingMode;
  /** Add sentence-transformers' Normalize module (default: what the model does; a SentenceEncoder or BertModel: false). */
  normalize?: boolean;
  /** Tokens per text, special tokens included (default: the model's; 256 for a bare BertModel, capped by its positions). */
  maxSeqLength?: number;
}

/** A model folder: relative paths ('config.json', '1_Pooling/config.json') to file contents. */
export type ModelFiles = Record<string, Uint8Array | string>;

const json = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
const SPECIAL_KEYS = ['unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'] as const;
const SPECIAL_TEXT: Record<(typeof SPECIAL_KEYS)[number], string> = {
  unk_token: '[UNK]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  cls_token: '[CLS]',
  mask_token: '[MASK]',
};

interface Resolved {
  bert?: BertModel;
  bag?: EmbeddingBag;
  tokenizer: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  pooling: PoolingMode;
  normalize: boolean;
  maxSeqLength: number;
  /** Whether the tokenizer wraps texts in special tokens (a static model's mean would then differ from sentence-transformers'). */
  specialTokens: boolean;
}

function parseTokenizer(t: unknown, op: string): Record<string, unknown> {
  let v = t;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (e) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts.tokenizer is not JSON (${(e as Error).message})`);
    }
  }
  if (!v || typeof v !== 'object' || !('model' in v))
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts.tokenizer must be a tokenizer.json (an object with a model)`);
  return v as Record<string, unknown>;
}

function resolve(model: Module | SentenceEncoder, opts: HfExportOptions, op: string): Resolved {
  const base = { pooling: opts.pooling ?? 'mean', normalize: opts.normalize ?? false };
  const need = (t: unknown) => {
    if (t === undefined)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the model carries no tokenizer; pass opts.tokenizer (the tokenizer.json it was trained with)`);
    return parseTokenizer(t, op);
  };
  let r: Resolved;
  if (model instanceof SentenceEncoder) {
    r = {
      ...base,
      bert: model.bert,
      bag: model.bag,
      tokenizer: parseTokenizer(opts.tokenizer ?? model.tokenizer.toJSON(), op),
      tokenizerConfig: opts.tokenizerConfig,
      maxSeqLength: opts.maxSeqLength ?? model.config.maxLength,
      specialTokens: model.tokenizer.specialTokens,
    };
  } else if (model instanceof SentenceTransformer) {
    const src = model.tokenizer?.source;
    r = {
      bert: model.encoder,
      tokenizer: need(opts.tokenizer ?? src?.tokenizer),
      tokenizerConfig: opts.tokenizerConfig ?? (src?.config as Record<string, unknown> | undefined),
      pooling: model.pooling.mode,
      normalize: opts.normalize ?? model.normalizer !== undefined,
      maxSeqLength: opts.maxSeqLength ?? model.maxSeqLength,
      specialTokens: true,
    };
  } else if (model instanceof BertModel) {
    const maxPos = model.config.max_position_embeddings ?? 512;
    r = {
      ...base,
      bert: model,
      tokenizer: need(opts.tokenizer),
      tokenizerConfig: opts.tokenizerConfig,
      maxSeqLength: opts.maxSeqLength ?? Math.min(256, maxPos),
      specialTokens: true,
    };
  } else if (model instanceof EmbeddingBag) {
    const tok = need(opts.tokenizer);
    r = {
      ...base,
      bag: model,
      tokenizer: tok,
      tokenizerConfig: opts.tokenizerConfig,
      maxSeqLength: opts.maxSeqLength ?? 128,
      specialTokens: tok.post_processor != null,
    };
  } else {
    const type = model === null ? 'null' : ((model as Module | undefined)?.type ?? typeof model);
    throw new ContrastiveError(
      'UNSUPPORTED',
      `${op}: the model is a ${type}; Hugging Face folders hold text encoders (SentenceEncoder, SentenceTransformer, BertModel, EmbeddingBag): export it with exportOnnx or saveModel`,
    );
  }
  if (!['cls', 'mean', 'max'].includes(r.pooling))
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: pooling must be 'cls', 'mean' or 'max', got ${String(r.pooling)}`);
  if (!Number.isInteger(r.maxSeqLength) || r.maxSeqLength < 1)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: maxSeqLength must be a positive integer, got ${String(r.maxSeqLength)}`);
  return r;
}

/** tokenizer_config.json for a tokenizer.json written here: loaded verbatim (PreTrainedTokenizerFast), special tokens named. */
function tokenizerConfigOf(tok: Record<string, unknown>, maxSeqLength: number): Record<string, unknown> {
  const model = tok.model as { vocab?: Record<string, number>; unk_token?: string };
  const norm = tok.normalizer as { lowercase?: boolean } | null;
  const vocab = model.vocab ?? {};
  const cfg: Record<string, unknown> = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    do_lower_case: norm?.lowercase ?? false,
    model_max_length: maxSeqLength,
    clean_up_tokenization_spaces: true,
  };
  for (const k of SPECIAL_KEYS) {
    const t = k === 'unk_token' ? (model.unk_token ?? SPECIAL_TEXT[k]) : SPECIAL_TEXT[k];
    if (t in vocab) cfg[k] = t;
  }
  return cfg;
}

/** vocab.txt of a WordPiece tokenizer.json (one token per line, in id order), as BERT folders carry it. */
function vocabTxt(tok: Record<string, unknown>): string | undefined {
  const model = tok.model as { type?: string; vocab?: Record<string, number> };
  if (model.type !== 'WordPiece' || !model.vocab) return undefined;
  const tokens: string[] = [];
  for (const [t, i] of Object.entries(model.vocab)) tokens[i] = t;
  return `${tokens.join('\n')}\n`;
}

function stConfig(): Record<string, unknown> {
  return { __version__: { contrastive: VERSION }, model_type: 'SentenceTransformer', prompts: {}, default_prompt_name: null, similarity_fn_name: 'cosine' };
}

/**
 * A Hugging Face / sentence-transformers / transformers.js model folder of a text encoder, as a
 * map of relative paths to contents (write them with your file API, or `contrastive export
 * --format hf`). A BERT-family encoder (SentenceEncoder, SentenceTransformer or BertModel):
 * config.json (BertModel), model.safetensors (Hugging Face names: `transformers.AutoModel`
 * loads it), tokenizer.json, tokenizer_config.json, special_tokens_map.json, modules.json,
 * 1_Pooling/config.json, 2_Normalize when normalized, sentence_bert_config.json,
 * config_sentence_transformers.json and onnx/model.onnx (inputs input_ids, attention_mask,
 * token_type_ids; output last_hidden_state), so `SentenceTransformer(path)` in Python and
 * `pipeline('feature-extraction', path)` in transformers.js (with `{ pooling, normalize }`) give
 * this library's embeddings. A static embedding model (mean EmbeddingBag) becomes
 * sentence-transformers' StaticEmbedding layout: 0_StaticEmbedding/{model.safetensors,
 * tokenizer.json}, and onnx/model.onnx with a `sentence_embedding` output. Pre-LN encoders have
 * no Hugging Face BertModel equivalent: a ContrastiveError (export them with exportOnnx).
 */
export function exportHuggingFace(model: Module | SentenceEncoder, opts: HfExportOptions = {}): ModelFiles {
  const op = 'exportHuggingFace';
  if (opts === null || typeof opts !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts must be an object, got ${String(opts)}`);
  const r = resolve(model, opts, op);
  const files: ModelFiles = {};
  const modules: Record<string, unknown>[] = [];
  const add = (path: string, type: string) =>
    modules.push({ idx: modules.length, name: String(modules.length), path, type: `sentence_transformers.models.${type}` });
  if (r.bag) {
    const bag = r.bag;
    if (bag.pool.mode !== 'mean')
      throw new ContrastiveError(
        'UNSUPPORTED',
        `${op}: sentence-transformers' StaticEmbedding averages tokens; this EmbeddingBag pools by ${bag.pool.mode} (export it with exportOnnx)`,
      );
    if (r.specialTokens)
      throw new ContrastiveError(
        'UNSUPPORTED',
        `${op}: the tokenizer adds special tokens, which this static model averages in and sentence-transformers' StaticEmbedding leaves out (export it with exportOnnx)`,
      );
    add('0_StaticEmbedding', 'StaticEmbedding');
    files['0_StaticEmbedding/model.safetensors'] = saveSafetensors({ 'embedding.weight': bag.stateDict().weight }, { format: 'pt' });
    files['0_StaticEmbedding/tokenizer.json'] = JSON.stringify(r.tokenizer);
    if (r.normalize) {
      add('1_Normalize', 'Normalize');
      files['1_Normalize/config.json'] = json({});
    }
    files['modules.json'] = json(modules);
    files['config_sentence_transformers.json'] = json(stConfig());
    files['onnx/model.onnx'] = exportTextOnnx(bag, { normalize: r.normalize });
    return files;
  }
  const bert = r.bert!;
  const pre = bert.layers.findIndex((l) => l.norm === 'pre');
  if (pre >= 0)
    throw new ContrastiveError(
      'UNSUPPORTED',
      `${op}: encoder layer ${pre} is pre-LN; Hugging Face's BertModel is post-LN, so the folder would compute something else (export it with exportOnnx)`,
    );
  const c = bert.config;
  const maxPos = c.max_position_embeddings ?? 512;
  if (r.maxSeqLength > maxPos) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: maxSeqLength ${r.maxSeqLength} is more than the ${maxPos} positions`);
  const hidden = c.hidden_dropout_prob ?? 0.1;
  files['config.json'] = json({
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: c.vocab_size,
    hidden_size: c.hidden_size,
    num_hidden_layers: c.num_hidden_layers,
    num_attention_heads: c.num_attention_heads,
    intermediate_size: c.intermediate_size,
    hidden_act: c.hidden_act ?? 'gelu',
    hidden_dropout_prob: hidden,
    attention_probs_dropout_prob: c.attention_probs_dropout_prob ?? hidden,
    max_position_embeddings: maxPos,
    type_vocab_size: c.type_vocab_size ?? 2,
    initializer_range: 0.02,
    layer_norm_eps: c.layer_norm_eps ?? 1e-12,
    pad_token_id: c.pad_token_id ?? 0,
    position_embedding_type: 'absolute',
    torch_dtype: 'float32',
  });
  files['model.safetensors'] = saveSafetensors(bert.stateDict(), { format: 'pt' });
  files['tokenizer.json'] = JSON.stringify(r.tokenizer);
  // transformers.js and Python truncate at model_max_length: the model's maximum length
  const tc: Record<string, unknown> = { ...(r.tokenizerConfig ?? tokenizerConfigOf(r.tokenizer, r.maxSeqLength)), model_max_length: r.maxSeqLength };
  files['tokenizer_config.json'] = json(tc);
  files['special_tokens_map.json'] = json(Object.fromEntries(SPECIAL_KEYS.filter((k) => typeof tc[k] === 'string').map((k) => [k, tc[k]])));
  const vocab = vocabTxt(r.tokenizer);
  if (vocab) files['vocab.txt'] = vocab;
  add('', 'Transformer');
  add('1_Pooling', 'Pooling');
  files['1_Pooling/config.json'] = json({
    word_embedding_dimension: c.hidden_size,
    pooling_mode_cls_token: r.pooling === 'cls',
    pooling_mode_mean_tokens: r.pooling === 'mean',
    pooling_mode_max_tokens: r.pooling === 'max',
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: false,
    include_prompt: true,
  });
  if (r.normalize) {
    add('2_Normalize', 'Normalize');
    files['2_Normalize/config.json'] = json({});
  }
  files['modules.json'] = json(modules);
  files['sentence_bert_config.json'] = json({ max_seq_length: r.maxSeqLength, do_lower_case: false });
  files['config_sentence_transformers.json'] = json(stConfig());
  files['onnx/model.onnx'] = exportTextOnnx(bert);
  return files;
}
