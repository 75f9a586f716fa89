// Okapi BM25 (Robertson & Zaragoza 2009), the lexical baseline of retrieval benchmarks.
import { ContrastiveError } from '../errors.js';

export interface Bm25Options {
  /** Term-frequency saturation (default 1.2, as Lucene / Elasticsearch). */
  k1?: number;
  /** Length normalization (default 0.75). */
  b?: number;
  /** Text -> terms (default: lowercase, accents stripped, runs of letters and digits). */
  tokenize?: (text: string) => string[];
}

/** Lowercase, strip accents, split into runs of letters/digits. */
export function bm25Terms(text: string): string[] {
  return (
    text
      .normalize('NFD')
      .replace(/\p{Mn}/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/**
 * An in-memory BM25 index over documents:
 *
 *   score(D, Q) = sum_{q in Q} IDF(q) * f(q, D) (k1 + 1) / (f(q, D) + k1 (1 - b + b |D| / avgdl))
 *   IDF(q)      = ln(1 + (N - n(q) + 0.5) / (n(q) + 0.5))
 *
 * f(q, D): occurrences of term q in D; |D|: D's length in terms; avgdl: the mean length; N: the
 * number of documents; n(q): documents containing q. Q's terms are summed with repeats, as the
 * formula is written. The IDF is Lucene's (never negative).
 */
export class Bm25 {
  readonly k1: number;
  readonly b: number;
  readonly size: number;
  private readonly tokenize: (text: string) => string[];
  private readonly postings = new Map<string, { docs: Uint32Array; tf: Float64Array }>();
  private readonly lengths: Float64Array;
  private readonly avgdl: number;

  constructor(docs: string[], opts: Bm25Options = {}) {
    const op = 'Bm25';
    this.k1 = opts.k1 ?? 1.2;
    this.b = opts.b ?? 0.75;
    if (!(this.k1 >= 0) || !(this.b >= 0 && this.b <= 1))
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: k1 must be >= 0 and b in [0, 1], got k1=${this.k1}, b=${this.b}`);
    if (!Array.isArray(docs) || docs.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: docs must be a non-empty array of strings`);
    this.tokenize = opts.tokenize ?? bm25Terms;
    this.size = docs.length;
    this.lengths = new Float64Array(docs.length);
    const lists = new Map<string, [number[], number[]]>();
    docs.forEach((d, i) => {
      if (typeof d !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: docs[${i}] must be a string, got ${typeof d}`);
      const terms = this.tokenize(d);
      this.lengths[i] = terms.length;
      const tf = new Map<string, number>();
      for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let l = lists.get(t);
        if (!l) lists.set(t, (l = [[], []]));
        l[0].push(i);
        l[1].push(n);
      }
    });
    for (const [t, [ds, tfs]] of lists) this.postings.set(t, { docs: Uint32Array.from(ds), tf: Float64Array.from(tfs) });
    this.avgdl = this.lengths.reduce((s, v) => s + v, 0) / docs.length || 1;
  }

  /** IDF(term) (0 for a term no document has). */
  idf(term: string): number {
    const n = this.postings.get(term)?.docs.length ?? 0;
    return n === 0 ? 0 : Math.log(1 + (this.size - n + 0.5) / (n + 0.5));
  }

  /** The BM25 score of every document for `query`. */
  scores(query: string): Float64Array {
    const s = new Float64Array(this.size);
    for (const q of this.tokenize(query)) {
      const p = this.postings.get(q);
      if (!p) continue;
      const idf = this.idf(q);
      for (let j = 0; j < p.docs.length; j++) {
        const d = p.docs[j];
        const f = p.tf[j];
        s[d] += (idf * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * this.lengths[d]) / this.avgdl));
      }
    }
    return s;
  }

  /** The k best documents (indices and scores, best first, ties to the lower index); documents with score 0 are not returned. */
  search(query: string, k = 10): { indices: number[]; scores: number[] } {
    if (!Number.isInteger(k) || k < 1) throw new ContrastiveError('INVALID_ARGUMENT', `Bm25.search: k must be a positive integer, got ${String(k)}`);
    const s = this.scores(query);
    const hits: number[] = [];
    for (let i = 0; i < s.length; i++) if (s[i] > 0) hits.push(i);
    hits.sort((a, b) => s[b] - s[a] || a - b);
    const top = hits.slice(0, k);
    return { indices: top, scores: top.map((i) => s[i]) };
  }
}
