// Text encoders to train from scratch.
import { ContrastiveError } from '../errors.js';
import { EmbeddingBag } from '../nn/embedding.js';
import { bertEncoder } from '../nn/transformer.js';
import { SentenceTransformer } from './sentence.js';
import type { TextTokenizer } from './tokenizer.js';

export interface StaticEmbeddingOptions {
  vocabSize: number;
  /** Embedding width (default 256). */
  dim?: number;
  /** The padding token's id, left out of the mean (default 0, BERT's [PAD]). */
  paddingIdx?: number;
  seed?: number;
}

/**
 * A static embedding model: one vector per token, averaged over the text's tokens
 * (sentence-transformers' StaticEmbedding, an EmbeddingBag in mean mode). Orders of magnitude
 * faster than a transformer on CPU; trained with MNRL (and Matryoshka) it makes a retrieval model.
 * `forward(ids, { attentionMask })` -> [texts, dim]; the table trains sparsely (touched rows).
 */
export function staticEmbedding(opts: StaticEmbeddingOptions): EmbeddingBag {
  if (!opts || !Number.isInteger(opts.vocabSize) || opts.vocabSize <= 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `staticEmbedding: vocabSize must be a positive integer, got ${String(opts?.vocabSize)}`);
  }
  return new EmbeddingBag(opts.vocabSize, opts.dim ?? 256, { paddingIdx: opts.paddingIdx ?? 0, seed: opts.seed ?? 0, mode: 'mean' });
}

export interface SmallTransformerOptions {
  vocabSize: number;
  /** Encoder layers (default 4). */
  layers?: number;
  /** Hidden width (default 256). */
  hidden?: number;
  /** Attention heads (default 4). */
  heads?: number;
  /** Feed-forward width (default 4 x hidden). */
  intermediate?: number;
  /** Longest sequence (default 256). */
  maxPositions?: number;
  /** 'post' (BERT) or 'pre' LayerNorm (default 'pre': steadier from scratch). */
  norm?: 'post' | 'pre';
  dropout?: number;
  /** Tokenizer for encode(texts); without one, train on ids. */
  tokenizer?: TextTokenizer;
  seed?: number;
}

/**
 * A small transformer sentence encoder to train from scratch: a BERT-layout encoder (default 4
 * layers x 256 wide, 4 heads) with mean pooling. State_dict names are BERT's (Hugging Face's
 * BertModel layout).
 */
export function smallTransformer(opts: SmallTransformerOptions): SentenceTransformer {
  if (!opts || !Number.isInteger(opts.vocabSize) || opts.vocabSize <= 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `smallTransformer: vocabSize must be a positive integer, got ${String(opts?.vocabSize)}`);
  }
  const hidden = opts.hidden ?? 256;
  const enc = bertEncoder({
    vocab_size: opts.vocabSize,
    hidden_size: hidden,
    num_hidden_layers: opts.layers ?? 4,
    num_attention_heads: opts.heads ?? 4,
    intermediate_size: opts.intermediate ?? 4 * hidden,
    max_position_embeddings: opts.maxPositions ?? 256,
    hidden_dropout_prob: opts.dropout ?? 0.1,
    attention_probs_dropout_prob: opts.dropout ?? 0.1,
    norm: opts.norm ?? 'pre',
    pad_token_id: 0,
    seed: opts.seed ?? 0,
  });
  return new SentenceTransformer(enc, opts.tokenizer, { pooling: 'mean', maxSeqLength: opts.maxPositions ?? 256 });
}
