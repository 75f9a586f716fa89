// Hugging Face tokenizer.json through the optional peer @huggingface/tokenizers (pure JS),
// imported lazily so the package keeps no runtime dependency: only loadTokenizer needs it.
import { ContrastiveError } from '../errors.js';

/** The part of @huggingface/tokenizers' Tokenizer used here. */
export interface HfTokenizerLike {
  encode(text: string, options?: { add_special_tokens?: boolean }): { ids: number[] };
  token_to_id(token: string): number | undefined;
}

/** A padded batch of token ids: rows = texts, cols = positions. */
export interface TokenBatch {
  inputIds: { data: Int32Array; rows: number; cols: number };
  attentionMask: { data: Int32Array; rows: number; cols: number };
  tokenTypeIds: { data: Int32Array; rows: number; cols: number };
}

export interface TokenizeOptions {
  /** Truncate each text to this many tokens, special tokens included (sentence-transformers' max_seq_length). */
  maxLength?: number;
}

export interface LoadTokenizerOptions {
  /** tokenizer_config.json, when the folder has one. */
  config?: unknown;
  /** The @huggingface/tokenizers module, for bundles that cannot import it by name. */
  module?: { Tokenizer: new (json: unknown, config: unknown) => HfTokenizerLike };
}

const PEER = '@huggingface/tokenizers';

/**
 * A text tokenizer from a Hugging Face `tokenizer.json` (WordPiece, BPE, Unigram: whatever the
 * file describes, run by @huggingface/tokenizers). `encode` adds the model's special tokens
 * ([CLS] ... [SEP] for BERT) and truncates from the end as Hugging Face's
 * `truncation=True, max_length=N` does for single texts; `batch` pads to the longest text.
 */
export class TextTokenizer {
  private readonly prefix: number[];
  private readonly suffix: number[];
  readonly padId: number;
  /** The parsed tokenizer.json and tokenizer_config.json it was loaded from (what an export writes back). */
  source?: { tokenizer: unknown; config?: unknown };
  constructor(readonly inner: HfTokenizerLike) {
    // the special tokens around a text, learned from a probe: full = prefix + inner + suffix
    const probe = 'a';
    const full = inner.encode(probe).ids;
    const bare = inner.encode(probe, { add_special_tokens: false }).ids;
    let at = -1;
    for (let i = 0; i + bare.length <= full.length && at < 0; i++) {
      if (bare.every((v, j) => full[i + j] === v)) at = i;
    }
    if (at < 0)
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        'TextTokenizer: the post-processor does not wrap a text in fixed special tokens; this tokenizer.json is not supported',
      );
    this.prefix = full.slice(0, at);
    this.suffix = full.slice(at + bare.length);
    this.padId = inner.token_to_id('[PAD]') ?? inner.token_to_id('<pad>') ?? 0;
  }

  /** Ids of one text with the special tokens, at most maxLength of them. */
  encode(text: string, opts: TokenizeOptions = {}): number[] {
    if (typeof text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `TextTokenizer.encode: text must be a string, got ${typeof text}`);
    let ids = this.inner.encode(text, { add_special_tokens: false }).ids;
    const max = opts.maxLength;
    if (max !== undefined) {
      const room = max - this.prefix.length - this.suffix.length;
      if (!Number.isInteger(max) || room < 0) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `TextTokenizer.encode: maxLength must be an integer >= ${this.prefix.length + this.suffix.length} (the special tokens), got ${String(max)}`,
        );
      }
      if (ids.length > room) ids = ids.slice(0, room);
    }
    return [...this.prefix, ...ids, ...this.suffix];
  }

  /** A batch padded to its longest text (attention mask 0 on the padding). */
  batch(texts: string[], opts: TokenizeOptions = {}): TokenBatch {
    if (!Array.isArray(texts) || texts.length === 0)
      throw new ContrastiveError('INVALID_ARGUMENT', 'TextTokenizer.batch: texts must be a non-empty array of strings');
    const enc = texts.map((t, i) => {
      if (typeof t !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `TextTokenizer.batch: texts[${i}] must be a string, got ${typeof t}`);
      return this.encode(t, opts);
    });
    const rows = enc.length;
    const cols = Math.max(...enc.map((e) => e.length));
    const ids = new Int32Array(rows * cols).fill(this.padId);
    const mask = new Int32Array(rows * cols);
    enc.forEach((e, r) => {
      ids.set(e, r * cols);
      mask.fill(1, r * cols, r * cols + e.length);
    });
    return { inputIds: { data: ids, rows, cols }, attentionMask: { data: mask, rows, cols }, tokenTypeIds: { data: new Int32Array(rows * cols), rows, cols } };
  }
}

/**
 * A tokenizer from the parsed `tokenizer.json` (and `tokenizer_config.json`). Needs the optional
 * peer dependency @huggingface/tokenizers (`npm i @huggingface/tokenizers`); without it, a
 * ContrastiveError with code MISSING_DEPENDENCY names it.
 */
export async function loadTokenizer(tokenizerJson: unknown, opts: LoadTokenizerOptions = {}): Promise<TextTokenizer> {
  if (!tokenizerJson || typeof tokenizerJson !== 'object')
    throw new ContrastiveError('INVALID_ARGUMENT', 'loadTokenizer: tokenizerJson must be the parsed tokenizer.json object');
  let mod = opts.module;
  if (!mod) {
    try {
      mod = (await import(/* @vite-ignore */ PEER as string)) as LoadTokenizerOptions['module'];
    } catch {
      throw new ContrastiveError('MISSING_DEPENDENCY', `loadTokenizer: text models need the package ${PEER}; install it with \`npm i ${PEER}\``);
    }
  }
  const tok = new TextTokenizer(new mod!.Tokenizer(tokenizerJson, opts.config ?? {}));
  tok.source = { tokenizer: tokenizerJson, config: opts.config };
  return tok;
}
