// A WordPiece tokenizer with BERT's normalizer and pre-tokenizer, trainable on a corpus, that reads
// and writes Hugging Face tokenizer.json (WordPiece model), so a vocabulary made here loads in the
// Hugging Face tokenizers libraries and gives the same ids.
import { ContrastiveError } from '../errors.js';
import type { Matrix } from '../types.js';

export interface WordPieceTrainOptions {
  /** Maximum vocabulary size, special tokens and characters included (default 30000). */
  vocabSize?: number;
  /** Words (and pieces) seen fewer times are not whole entries (default 2). */
  minFrequency?: number;
  /** Lowercase and strip accents (BERT uncased; default true). */
  lowercase?: boolean;
}

export interface EncodeOptions {
  /** Truncate to this many tokens, special tokens included (default 256). */
  maxLength?: number;
  /** Add [CLS] ... [SEP] (default: as the tokenizer was made; false for static embedding models). */
  addSpecialTokens?: boolean;
}

/** A padded batch: ids and attention mask, rows = texts, cols = the longest text's length. */
export interface EncodedBatch {
  ids: Matrix;
  attentionMask: Matrix;
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const MAX_CHARS_PER_WORD = 100;

// Unicode White_Space (Rust's char::is_whitespace) and "other" (category C*), as Hugging Face's normalizer uses them
const WS = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const isWhitespace = (c: string) => WS.test(c);
const isControl = (c: string) => !(c === '\t' || c === '\n' || c === '\r') && /\p{C}/u.test(c);
const isPunct = (c: string) => {
  const cp = c.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(c);
};
const isCjk = (cp: number) =>
  (cp >= 0x4e00 && cp <= 0x9fff) ||
  (cp >= 0x3400 && cp <= 0x4dbf) ||
  (cp >= 0x20000 && cp <= 0x2a6df) ||
  (cp >= 0x2a700 && cp <= 0x2b73f) ||
  (cp >= 0x2b740 && cp <= 0x2b81f) ||
  (cp >= 0x2b820 && cp <= 0x2ceaf) ||
  (cp >= 0xf900 && cp <= 0xfaff) ||
  (cp >= 0x2f800 && cp <= 0x2fa1f);

/**
 * WordPiece (Schuster & Nakajima 2012; BERT) with Hugging Face's BertNormalizer (clean text,
 * spaces around CJK characters, optional lowercase + accent stripping) and BertPreTokenizer
 * (split on whitespace and punctuation). Encoding is greedy longest-match-first; a word with a
 * character outside the vocabulary, or longer than 100 characters, becomes [UNK], as in BERT.
 */
export class WordPieceTokenizer {
  readonly vocab: Map<string, number>;
  readonly tokens: string[];
  readonly lowercase: boolean;
  /** [CLS] ... [SEP] around every text by default (a transformer); false for static models. */
  readonly specialTokens: boolean;
  readonly unkToken: string;
  readonly prefix = '##';

  constructor(tokens: string[], opts: { lowercase?: boolean; specialTokens?: boolean; unkToken?: string } = {}) {
    this.tokens = tokens.slice();
    this.vocab = new Map(tokens.map((t, i) => [t, i]));
    if (this.vocab.size !== tokens.length) throw new ContrastiveError('INVALID_ARGUMENT', 'WordPieceTokenizer: the vocabulary has duplicate tokens');
    this.lowercase = opts.lowercase ?? true;
    this.specialTokens = opts.specialTokens ?? false;
    this.unkToken = opts.unkToken ?? '[UNK]';
    for (const t of [this.unkToken, ...(this.specialTokens ? ['[CLS]', '[SEP]'] : []), '[PAD]']) {
      if (!this.vocab.has(t)) throw new ContrastiveError('INVALID_ARGUMENT', `WordPieceTokenizer: the vocabulary has no ${t} token`);
    }
  }

  get vocabSize(): number {
    return this.tokens.length;
  }
  get padId(): number {
    return this.vocab.get('[PAD]')!;
  }

  /** BertNormalizer: drop control characters, whitespace to ' ', spaces around CJK, lowercase + strip accents. */
  normalize(text: string): string {
    let out = '';
    for (const c of text) {
      const cp = c.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(c)) continue;
      if (isWhitespace(c)) out += ' ';
      else if (isCjk(cp)) out += ` ${c} `;
      else out += c;
    }
    if (this.lowercase)
      out = out
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '')
        .toLowerCase();
    return out;
  }

  /** BertPreTokenizer: words split on whitespace, every punctuation character its own word. */
  preTokenize(normalized: string): string[] {
    const words: string[] = [];
    let cur = '';
    for (const c of normalized) {
      if (isWhitespace(c)) {
        if (cur) words.push(cur);
        cur = '';
      } else if (isPunct(c)) {
        if (cur) words.push(cur);
        words.push(c);
        cur = '';
      } else {
        cur += c;
      }
    }
    if (cur) words.push(cur);
    return words;
  }

  /** The pieces of one pre-tokenized word. */
  wordPieces(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > MAX_CHARS_PER_WORD) return [this.unkToken];
    const out: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        let s = chars.slice(start, end).join('');
        if (start > 0) s = this.prefix + s;
        if (this.vocab.has(s)) {
          found = s;
          break;
        }
        end--;
      }
      if (found === undefined) return [this.unkToken];
      out.push(found);
      start = end;
    }
    return out;
  }

  tokenize(text: string): string[] {
    return this.preTokenize(this.normalize(text)).flatMap((w) => this.wordPieces(w));
  }

  /** Token ids of one text (truncated to maxLength, special tokens included). */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `WordPieceTokenizer.encode: text must be a string, got ${typeof text}`);
    const special = opts.addSpecialTokens ?? this.specialTokens;
    const max = opts.maxLength ?? 256;
    if (!Number.isInteger(max) || max < (special ? 3 : 1)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `WordPieceTokenizer.encode: maxLength must be an integer >= ${special ? 3 : 1}, got ${String(max)}`);
    }
    const ids = this.tokenize(text).map((t) => this.vocab.get(t)!);
    const body = ids.slice(0, special ? max - 2 : max);
    return special ? [this.vocab.get('[CLS]')!, ...body, this.vocab.get('[SEP]')!] : body;
  }

  /**
   * A padded batch. An empty text (or one that normalizes to nothing) gets a single [UNK] for a
   * static model so that its mean is defined, or just [CLS] [SEP] for a transformer.
   */
  encodeBatch(texts: string[], opts: EncodeOptions = {}): EncodedBatch {
    const rows = texts.map((t) => {
      const ids = this.encode(t, opts);
      return ids.length === 0 ? [this.vocab.get(this.unkToken)!] : ids;
    });
    const cols = Math.max(1, ...rows.map((r) => r.length));
    const ids = new Float32Array(rows.length * cols).fill(this.padId);
    const mask = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => {
      ids.set(r, i * cols);
      mask.fill(1, i * cols, i * cols + r.length);
    });
    return { ids: { data: ids, rows: rows.length, cols }, attentionMask: { data: mask, rows: rows.length, cols } };
  }

  /**
   * Builds a vocabulary from a corpus: the special tokens, every character seen (as a word start
   * and as a "##" continuation), then whole words and frequent word-internal pieces ("##" suffixes
   * of 2-6 characters of words that did not make it whole), by frequency, up to `vocabSize`.
   * Ties are broken alphabetically, so the same corpus always gives the same vocabulary.
   */
  static train(texts: Iterable<string>, opts: WordPieceTrainOptions = {}): WordPieceTokenizer {
    const op = 'WordPieceTokenizer.train';
    const vocabSize = opts.vocabSize ?? 30000;
    const minFrequency = opts.minFrequency ?? 2;
    if (!Number.isInteger(vocabSize) || vocabSize < SPECIALS.length + 1)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: vocabSize must be an integer > ${SPECIALS.length}, got ${String(vocabSize)}`);
    if (!Number.isInteger(minFrequency) || minFrequency < 1)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: minFrequency must be a positive integer, got ${String(minFrequency)}`);
    const tmp = new WordPieceTokenizer(SPECIALS, { lowercase: opts.lowercase ?? true });
    const words = new Map<string, number>();
    for (const t of texts) for (const w of tmp.preTokenize(tmp.normalize(t))) words.set(w, (words.get(w) ?? 0) + 1);
    const byFreq = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const chars = new Map<string, number>();
    for (const [w, n] of words) {
      Array.from(w).forEach((c, i) => {
        const key = i === 0 ? c : '##' + c;
        chars.set(key, (chars.get(key) ?? 0) + n);
      });
    }
    const tokens = [...SPECIALS];
    const have = new Set(tokens);
    const push = (t: string) => {
      if (tokens.length < vocabSize && !have.has(t)) {
        tokens.push(t);
        have.add(t);
      }
    };
    for (const [c] of byFreq(chars)) push(c);
    const budget = vocabSize - tokens.length;
    const ranked = byFreq(words).filter(([w, n]) => n >= minFrequency && Array.from(w).length > 1);
    // about three quarters of the room for whole words, the rest for pieces of the remaining words
    const whole = ranked.slice(0, Math.ceil(budget * 0.75));
    for (const [w] of whole) push(w);
    const inVocab = new Set(whole.map(([w]) => w));
    const pieces = new Map<string, number>();
    for (const [w, n] of words) {
      if (inVocab.has(w)) continue;
      const cs = Array.from(w);
      for (let len = 2; len <= 6; len++) {
        for (let s = 1; s + len <= cs.length; s++) {
          const p = '##' + cs.slice(s, s + len).join('');
          pieces.set(p, (pieces.get(p) ?? 0) + n);
        }
        if (cs.length > len) {
          const p = cs.slice(0, len).join('');
          pieces.set(p, (pieces.get(p) ?? 0) + n);
        }
      }
    }
    for (const [p, n] of byFreq(pieces)) if (n >= minFrequency) push(p);
    for (const [w] of ranked) push(w); // room left: more whole words
    return new WordPieceTokenizer(tokens, { lowercase: opts.lowercase ?? true });
  }

  /** Hugging Face tokenizer.json for this tokenizer (WordPiece model, BertNormalizer, BertPreTokenizer). */
  toJSON(): string {
    const id = (t: string) => this.vocab.get(t)!;
    const added = SPECIALS.filter((t) => this.vocab.has(t)).map((t) => ({
      id: id(t),
      content: t,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    }));
    const post = this.specialTokens
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
          pair: [
            { SpecialToken: { id: '[CLS]', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '[SEP]', type_id: 0 } },
            { Sequence: { id: 'B', type_id: 1 } },
            { SpecialToken: { id: '[SEP]', type_id: 1 } },
          ],
          special_tokens: {
            '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
            '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
          },
        }
      : null;
    return JSON.stringify({
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: this.lowercase, lowercase: this.lowercase },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: post,
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: this.unkToken,
        continuing_subword_prefix: '##',
        max_input_chars_per_word: MAX_CHARS_PER_WORD,
        vocab: Object.fromEntries(this.vocab),
      },
    });
  }

  /** Reads a tokenizer.json with a WordPiece model (BERT / MiniLM / this class's own files). */
  static fromJSON(json: string | Record<string, unknown>): WordPieceTokenizer {
    const op = 'WordPieceTokenizer.fromJSON';
    let j: Record<string, any>;
    try {
      j = typeof json === 'string' ? JSON.parse(json) : json;
    } catch (e) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: not JSON (${(e as Error).message})`);
    }
    const model = j?.model;
    if (!model || model.type !== 'WordPiece' || typeof model.vocab !== 'object') {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: expected a WordPiece model, got ${String(model?.type)}`);
    }
    if ((model.continuing_subword_prefix ?? '##') !== '##')
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: only the '##' continuation prefix is supported`);
    const entries = Object.entries(model.vocab as Record<string, number>);
    const tokens: string[] = new Array(entries.length);
    for (const [t, i] of entries) {
      if (!Number.isInteger(i) || i < 0 || i >= entries.length || tokens[i] !== undefined)
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: vocabulary ids must be 0..${entries.length - 1}, each once`);
      tokens[i] = t;
    }
    const norm = j.normalizer;
    const lowercase = norm?.type === 'BertNormalizer' ? norm.lowercase !== false : false;
    const post = j.post_processor;
    const specialTokens = !!post && (post.type === 'TemplateProcessing' || post.type === 'BertProcessing');
    return new WordPieceTokenizer(tokens, { lowercase, specialTokens, unkToken: model.unk_token ?? '[UNK]' });
  }
}
