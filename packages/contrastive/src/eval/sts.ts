// Semantic textual similarity: correlation of the cosine of each pair with its gold score.
import { ContrastiveError } from '../errors.js';
import type { MatrixLike } from '../types.js';
import { sameShape, toMatrix } from '../validate.js';

export interface StsResult {
  /** Pearson correlation of cosine similarity with the gold scores. */
  pearson: number;
  /** Spearman rank correlation (ties get their average rank, as scipy.stats.spearmanr). */
  spearman: number;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i] - mx;
    const b = y[i] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx === 0 || syy === 0 ? NaN : sxy / Math.sqrt(sxx * syy);
}

/** 1-based ranks, ties averaged. */
function ranks(v: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Float64Array(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]] === v[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) out[idx[t]] = r;
    i = j + 1;
  }
  return out;
}

/**
 * sentence-transformers' EmbeddingSimilarityEvaluator (cosine): the Pearson and Spearman
 * correlations between cos(a_i, b_i) and gold[i]. NaN when either side is constant.
 */
export function stsCorrelation(a: MatrixLike, b: MatrixLike, gold: ArrayLike<number>): StsResult {
  const op = 'stsCorrelation';
  const A = toMatrix(a, 'a', op);
  const B = toMatrix(b, 'b', op);
  sameShape(B, A, 'b', 'a', op);
  if (gold === null || typeof gold !== 'object' || gold.length !== A.rows) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: gold has ${gold?.length} scores, expected ${A.rows} (one per pair)`);
  }
  if (A.rows < 2) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: a correlation needs at least 2 pairs, got ${A.rows}`);
  for (let i = 0; i < A.rows; i++) {
    if (!Number.isFinite(gold[i])) throw new ContrastiveError('NON_FINITE', `${op}: gold[${i}] is ${gold[i]}; every score must be finite`);
  }
  const d = A.cols;
  const cos = new Float64Array(A.rows);
  for (let i = 0; i < A.rows; i++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let j = 0; j < d; j++) {
      const x = A.data[i * d + j];
      const y = B.data[i * d + j];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    cos[i] = ab / (Math.max(Math.sqrt(aa), 1e-12) * Math.max(Math.sqrt(bb), 1e-12));
  }
  return { pearson: pearson(cos, gold), spearman: pearson(ranks(cos), ranks(gold)) };
}
