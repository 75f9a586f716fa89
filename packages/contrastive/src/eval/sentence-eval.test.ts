import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { informationRetrieval, init, retrievalMetrics, search, stsCorrelation, type Qrels } from '../index.node.js';

beforeAll(() => init());

const ref = JSON.parse(readFileSync(new URL('../../../../test/reference/sentence/eval.json', import.meta.url), 'utf8'));
const qrelsOf = (o: Record<string, Record<string, number>>): Qrels => new Map(Object.entries(o).map(([q, v]) => [q, new Map(Object.entries(v))]));

/** Brute force in float64: every score, sorted (ties to the lower index). */
function brute(q: ArrayLike<number>, c: ArrayLike<number>, d: number, k: number, cosine: boolean): number[][] {
  const nq = q.length / d;
  const nc = c.length / d;
  const norm = (x: ArrayLike<number>, i: number) => (cosine ? Math.hypot(...Array.from({ length: d }, (_, t) => x[i * d + t])) : 1);
  const out: number[][] = [];
  for (let i = 0; i < nq; i++) {
    const s: [number, number][] = [];
    for (let j = 0; j < nc; j++) {
      let v = 0;
      for (let t = 0; t < d; t++) v += q[i * d + t] * c[j * d + t];
      s.push([v / (norm(q, i) * norm(c, j)), j]);
    }
    s.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    out.push(s.slice(0, k).map((p) => p[1]));
  }
  return out;
}

describe('search', () => {
  it('exact top-k equals brute force for cosine and dot, whatever the chunk size', () => {
    const [nq, nc, d] = [23, 517, 19];
    const q = randn(nq, d, 1);
    const c = randn(nc, d, 2);
    for (const score of ['cosine', 'dot'] as const) {
      const want = brute(q, c, d, 10, score === 'cosine');
      for (const chunkSize of [1, 50, 4096]) {
        const r = search(m(q, nq, d), m(c, nc, d), { k: 10, score, chunkSize });
        expect(r.k).toBe(10);
        for (let i = 0; i < nq; i++) expect(Array.from(r.indices.subarray(i * 10, i * 10 + 10)), `${score} chunk ${chunkSize} q${i}`).toEqual(want[i]);
      }
    }
  });

  it('a corpus given as an iterable of chunks gives the same hits and global indices', () => {
    const [nq, nc, d] = [5, 100, 8];
    const q = m(randn(nq, d, 3), nq, d);
    const c = randn(nc, d, 4);
    const whole = search(q, m(c, nc, d), { k: 7 });
    function* parts() {
      for (let r = 0; r < nc; r += 33) yield m(c.slice(r * d, Math.min(nc, r + 33) * d), Math.min(33, nc - r), d);
    }
    const streamed = search(q, parts(), { k: 7, chunkSize: 10 });
    expect(streamed.indices).toEqual(whole.indices);
    expect(streamed.scores).toEqual(whole.scores);
  });

  it('the blocked kernel equals brute force on awkward sizes: ragged chunks and query blocks, k above the corpus, ties and duplicate rows', () => {
    const d = 9;
    const base = randn(11, d, 5);
    // 11 distinct rows repeated (exact ties), 203 rows: not a multiple of the chunk or of the 8-row panels
    const nc = 203;
    const c = Float32Array.from({ length: nc * d }, (_, i) => base[(Math.floor(i / d) % 11) * d + (i % d)]);
    const nq = 70; // a full 64-query block plus a partial one, not a multiple of 4
    const q = randn(nq, d, 6);
    for (const score of ['cosine', 'dot'] as const) {
      for (const k of [1, 12, 250]) {
        const want = brute(q, c, d, k, score === 'cosine');
        for (const chunkSize of [7, 64, 4096]) {
          const r = search(m(q, nq, d), m(c, nc, d), { k, score, chunkSize });
          expect(r.k).toBe(Math.min(k, nc));
          for (let i = 0; i < nq; i++) {
            expect(Array.from(r.indices.subarray(i * r.k, (i + 1) * r.k)), `${score} k ${k} chunk ${chunkSize} q${i}`).toEqual(want[i]);
          }
        }
      }
    }
  });

  it('k larger than the corpus returns every row, sorted', () => {
    const r = search(m([1, 0], 1, 2), m([0, 1, 1, 0, -1, 0], 3, 2), { k: 10 });
    expect(r.k).toBe(3);
    expect(Array.from(r.indices)).toEqual([1, 0, 2]);
    expect(Array.from(r.scores)).toEqual([1, 0, -1]);
  });

  it('rejects bad k, mismatched widths, empty corpora and non-finite corpus values, naming the row', () => {
    const q = m([1, 0], 1, 2);
    expectError(() => search(q, m([1, 0], 1, 2), { k: 0 }), 'INVALID_ARGUMENT', 'k');
    expectError(() => search(q, m([1, 0, 0], 1, 3)), 'SHAPE_MISMATCH', 'corpus', '3 columns');
    expectError(() => search(q, []), 'INVALID_ARGUMENT', 'empty');
    expectError(() => search(q, m([1, 0, 0, NaN], 2, 2)), 'NON_FINITE', 'row 1, column 1');
    expectError(() => search(m([NaN, 0], 1, 2), m([1, 0], 1, 2)), 'NON_FINITE', 'queries');
  });
});

describe('retrievalMetrics', () => {
  it('a hand-computed case: MRR with no relevant document in the top 10, MAP, recall, binary and graded NDCG', () => {
    const qrels: Qrels = new Map([
      [
        'a',
        new Map([
          ['d2', 1],
          ['d5', 2],
        ]),
      ],
      ['b', new Map([['d9', 1]])], // retrieved at rank 11: outside every cutoff
      ['c', new Map([['x', 0]])], // only a 0 grade: not relevant, left out
    ]);
    const ranked = [['d1', 'd2', 'd3', 'd5', 'd4'], ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd10', 'd9'], ['x']];
    const r = retrievalMetrics(['a', 'b', 'c'], ranked, qrels, {
      mrrAtK: [10],
      ndcgAtK: [3, 10],
      mapAtK: [10],
      precisionRecallAtK: [1, 5],
      accuracyAtK: [1, 5],
    });
    expect(r.queries).toBe(2);
    expect(r['mrr@10']).toBeCloseTo((1 / 2 + 0) / 2, 12);
    // query a: relevant at ranks 2 and 4
    const dcg = 1 / Math.log2(3) + 1 / Math.log2(5);
    const idcg = 1 + 1 / Math.log2(3);
    expect(r['ndcg@10']).toBeCloseTo((dcg / idcg + 0) / 2, 12);
    expect(r['ndcg@3']).toBeCloseTo((1 / Math.log2(3) / idcg + 0) / 2, 12);
    expect(r['map@10']).toBeCloseTo(((1 / 2 + 2 / 4) / 2 + 0) / 2, 12);
    expect(r['recall@5']).toBeCloseTo((1 + 0) / 2, 12);
    expect(r['precision@5']).toBeCloseTo((2 / 5 + 0) / 2, 12);
    expect(r['accuracy@1']).toBe(0);
    expect(r['accuracy@5']).toBe(0.5);
    const g = retrievalMetrics(['a', 'b', 'c'], ranked, qrels, { ndcgAtK: [10], graded: true });
    const gdcg = 1 / Math.log2(3) + 2 / Math.log2(5);
    const gidcg = 2 + 1 / Math.log2(3);
    expect(g['ndcg@10']).toBeCloseTo((gdcg / gidcg + 0) / 2, 12);
  });

  it('matches sentence-transformers InformationRetrievalEvaluator on the same embeddings', () => {
    const ir = ref.ir;
    const r = informationRetrieval({
      queries: m(ir.queries, ir.nq, ir.d),
      queryIds: ir.queryIds,
      corpus: m(ir.corpus, ir.nc, ir.d),
      corpusIds: ir.corpusIds,
      qrels: qrelsOf(ir.qrels),
    });
    expect(r.queries).toBe(ir.evaluated);
    for (const [name, v] of Object.entries(ir.metrics as Record<string, number>)) expect(r[name], name).toBeCloseTo(v, 10);
    const g = informationRetrieval(
      {
        queries: m(ir.queries, ir.nq, ir.d),
        queryIds: ir.queryIds,
        corpus: m(ir.corpus, ir.nc, ir.d),
        corpusIds: ir.corpusIds,
        qrels: qrelsOf(ir.qrels),
      },
      { graded: true, ndcgAtK: [10] },
    );
    expect(g['ndcg@10']).toBeCloseTo(ir['gradedNdcg@10'], 10);
    // and the hits themselves equal sentence-transformers' util.semantic_search
    const s = search(m(ir.queries, ir.nq, ir.d), m(ir.corpus, ir.nc, ir.d), { k: 10 });
    for (let i = 0; i < ir.nq; i++) expect(Array.from(s.indices.subarray(i * 10, i * 10 + 10))).toEqual(ir.top10[i]);
  });
});

describe('stsCorrelation', () => {
  it('matches scipy pearsonr / spearmanr (ties averaged) as sentence-transformers uses them', () => {
    const s = ref.sts;
    const r = stsCorrelation(m(s.a, s.n, s.d), m(s.b, s.n, s.d), s.gold);
    expect(r.pearson).toBeCloseTo(s.pearson, 6);
    expect(r.spearman).toBeCloseTo(s.spearman, 6);
  });

  it('perfectly ordered pairs give Spearman 1; a count mismatch is a named error', () => {
    const a = m([1, 0, 1, 0, 1, 0], 3, 2);
    const b = m([1, 0, 1, 1, 0, 1], 3, 2); // cosines 1, 0.707, 0
    expect(stsCorrelation(a, b, [5, 3, 1]).spearman).toBeCloseTo(1, 12);
    expectError(() => stsCorrelation(a, b, [1, 2]), 'SHAPE_MISMATCH', 'gold');
  });
});
