// Information-retrieval metrics as sentence-transformers' InformationRetrievalEvaluator defines them.
import { ContrastiveError } from '../errors.js';
import type { MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';
import { search } from './search.js';

/** Relevance judgments: query id -> (corpus id -> grade). A grade > 0 means relevant. */
export type Qrels = Map<string, Map<string, number>>;

export interface RetrievalOptions {
  /** Defaults as sentence-transformers: accuracy@[1,3,5,10], precision/recall@[1,3,5,10], mrr@[10], ndcg@[10], map@[100]. */
  accuracyAtK?: number[];
  precisionRecallAtK?: number[];
  mrrAtK?: number[];
  ndcgAtK?: number[];
  mapAtK?: number[];
  /**
   * NDCG gain: false (default, sentence-transformers) = binary, every relevant document gains 1;
   * true = the qrel grade itself (linear gain, ideal ranking by grade, as trec_eval's ndcg_cut).
   */
  graded?: boolean;
}

/** Metric name (e.g. 'mrr@10', 'ndcg@10', 'recall@1', 'map@100') -> value in [0, 1], averaged over queries. */
export type RetrievalMetrics = Record<string, number> & { queries: number };

const OP = 'retrievalMetrics';
const DEFAULTS = { accuracyAtK: [1, 3, 5, 10], precisionRecallAtK: [1, 3, 5, 10], mrrAtK: [10], ndcgAtK: [10], mapAtK: [100] };

function ks(v: number[] | undefined, dflt: number[], name: string): number[] {
  const out = v ?? dflt;
  if (!Array.isArray(out) || out.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} must be an array of positive integers, got ${JSON.stringify(v)}`);
  }
  return out;
}

/** The largest cutoff the options ask for: how many hits per query the metrics need. */
export function maxCutoff(opts: RetrievalOptions = {}): number {
  return Math.max(
    ...ks(opts.accuracyAtK, DEFAULTS.accuracyAtK, 'accuracyAtK'),
    ...ks(opts.precisionRecallAtK, DEFAULTS.precisionRecallAtK, 'precisionRecallAtK'),
    ...ks(opts.mrrAtK, DEFAULTS.mrrAtK, 'mrrAtK'),
    ...ks(opts.ndcgAtK, DEFAULTS.ndcgAtK, 'ndcgAtK'),
    ...ks(opts.mapAtK, DEFAULTS.mapAtK, 'mapAtK'),
  );
}

/**
 * Metrics of ranked results. `ranked[i]`: the corpus ids retrieved for query `queryIds[i]`, best
 * first (at least the largest cutoff of them, or all the corpus has). Queries without a relevant
 * document in `qrels` are left out, as sentence-transformers does; the count used is `queries`.
 *
 * Per query, with rel(r) = 1 when the hit at rank r (1-based) is relevant and R the relevant count:
 *   accuracy@k = 1 if any of the top k is relevant;  precision@k = hits@k / k;  recall@k = hits@k / R
 *   mrr@k  = 1 / (rank of the first relevant hit within the top k), else 0
 *   ndcg@k = sum_{r<=k} g(r) / log2(r + 1) over the same sum for the ideal ranking (g = rel, or the grade)
 *   map@k  = sum_{r<=k, rel(r)} precision@r / min(k, R)
 */
export function retrievalMetrics(queryIds: string[], ranked: string[][], qrels: Qrels, opts: RetrievalOptions = {}): RetrievalMetrics {
  if (!Array.isArray(queryIds) || !Array.isArray(ranked) || queryIds.length !== ranked.length) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${OP}: ranked has ${Array.isArray(ranked) ? ranked.length : 'no'} lists, expected ${Array.isArray(queryIds) ? queryIds.length : '?'} (one per query id)`,
    );
  }
  const acc = ks(opts.accuracyAtK, DEFAULTS.accuracyAtK, 'accuracyAtK');
  const pr = ks(opts.precisionRecallAtK, DEFAULTS.precisionRecallAtK, 'precisionRecallAtK');
  const mrr = ks(opts.mrrAtK, DEFAULTS.mrrAtK, 'mrrAtK');
  const ndcg = ks(opts.ndcgAtK, DEFAULTS.ndcgAtK, 'ndcgAtK');
  const map = ks(opts.mapAtK, DEFAULTS.mapAtK, 'mapAtK');
  const graded = opts.graded ?? false;
  const sums: Record<string, number> = {};
  const add = (name: string, v: number) => (sums[name] = (sums[name] ?? 0) + v);
  let count = 0;
  for (let q = 0; q < queryIds.length; q++) {
    const judged = qrels.get(queryIds[q]);
    const relevant = new Map<string, number>();
    if (judged) for (const [doc, g] of judged) if (g > 0) relevant.set(doc, g);
    if (relevant.size === 0) continue;
    count++;
    const hits = ranked[q];
    const rel = (r: number) => (r < hits.length && relevant.has(hits[r]) ? 1 : 0);
    const hitsAt = (k: number) => {
      let h = 0;
      for (let r = 0; r < Math.min(k, hits.length); r++) h += rel(r);
      return h;
    };
    for (const k of acc) add(`accuracy@${k}`, hitsAt(k) > 0 ? 1 : 0);
    for (const k of pr) {
      const h = hitsAt(k);
      add(`precision@${k}`, h / k);
      add(`recall@${k}`, h / relevant.size);
    }
    for (const k of mrr) {
      let v = 0;
      for (let r = 0; r < Math.min(k, hits.length); r++) {
        if (rel(r)) {
          v = 1 / (r + 1);
          break;
        }
      }
      add(`mrr@${k}`, v);
    }
    const gains = [...relevant.values()].map((g) => (graded ? g : 1)).sort((a, b) => b - a);
    for (const k of ndcg) {
      let dcg = 0;
      let ideal = 0;
      for (let r = 0; r < Math.min(k, hits.length); r++) if (rel(r)) dcg += (graded ? relevant.get(hits[r])! : 1) / Math.log2(r + 2);
      for (let r = 0; r < Math.min(k, gains.length); r++) ideal += gains[r] / Math.log2(r + 2);
      add(`ndcg@${k}`, dcg / ideal);
    }
    for (const k of map) {
      let h = 0;
      let s = 0;
      for (let r = 0; r < Math.min(k, hits.length); r++) {
        if (rel(r)) {
          h++;
          s += h / (r + 1);
        }
      }
      add(`map@${k}`, s / Math.min(k, relevant.size));
    }
  }
  const out = { queries: count } as RetrievalMetrics;
  for (const [name, v] of Object.entries(sums)) out[name] = count === 0 ? 0 : v / count;
  return out;
}

export interface InformationRetrievalInput {
  /** Query embeddings (one row per id) and their ids. */
  queries: MatrixLike;
  queryIds: string[];
  /** Corpus embeddings and their ids. */
  corpus: MatrixLike;
  corpusIds: string[];
  qrels: Qrels;
}

/**
 * sentence-transformers' InformationRetrievalEvaluator on embeddings: exact cosine top-k search of
 * every query over the corpus (k = the largest cutoff), then {@link retrievalMetrics}.
 */
export function informationRetrieval(input: InformationRetrievalInput, opts: RetrievalOptions & { chunkSize?: number } = {}): RetrievalMetrics {
  const op = 'informationRetrieval';
  const Q = toMatrix(input.queries, 'queries', op, { finite: false });
  const C = toMatrix(input.corpus, 'corpus', op, { finite: false });
  if (input.queryIds?.length !== Q.rows) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: queryIds has ${input.queryIds?.length} ids, expected ${Q.rows} (one per query row)`);
  }
  if (input.corpusIds?.length !== C.rows) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: corpusIds has ${input.corpusIds?.length} ids, expected ${C.rows} (one per corpus row)`);
  }
  const r = search(Q, C, { k: maxCutoff(opts), chunkSize: opts.chunkSize });
  const ranked: string[][] = [];
  for (let i = 0; i < r.queries; i++) ranked.push(Array.from(r.indices.subarray(i * r.k, (i + 1) * r.k), (j) => input.corpusIds[j]));
  return retrievalMetrics(input.queryIds, ranked, input.qrels, opts);
}
