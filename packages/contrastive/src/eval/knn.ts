import { ContrastiveError } from '../errors.js';
import { cosineSimilarity } from '../loss/cosine.js';
import type { MatrixLike } from '../types.js';
import { checkOptions, describe, sameCols, toMatrix } from '../validate.js';
import { checkLabels } from './labels.js';

export interface KnnOptions {
  /** neighbours that vote (default 20, as solo-learn) */
  k?: number;
  /** votes weigh exp(cosine / temperature) (default 0.07, as solo-learn) */
  temperature?: number;
}

const OP = 'knnPredict';
const BLOCK = 256;

/**
 * Weighted k-nearest-neighbour classification on cosine similarity (Wu et al. 2018, InstDisc;
 * the monitor of lightly and solo-learn): each of the k most similar training rows votes for its
 * label with weight exp(cos / temperature); the label with the largest total wins.
 */
export function knnPredict(train: MatrixLike, trainLabels: ArrayLike<number>, query: MatrixLike, options: KnnOptions = {}): Int32Array {
  const opts = checkOptions(options, OP);
  const T = toMatrix(train, 'train', OP);
  const Q = toMatrix(query, 'query', OP);
  sameCols(Q, T, 'query', 'train', OP);
  checkLabels(trainLabels, T.rows, 'trainLabels', OP);
  const k0 = opts.k ?? 20;
  const temp = opts.temperature ?? 0.07;
  if (typeof k0 !== 'number' || !Number.isInteger(k0) || k0 < 1)
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: k must be a positive integer, got ${describe(opts.k)}`);
  if (typeof temp !== 'number') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: temperature must be > 0, got ${describe(temp)}`);
  const k = Math.min(k0, T.rows);
  if (!Number.isInteger(k) || k < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: k must be a positive integer, got ${describe(opts.k)}`);
  if (!(temp > 0) || !Number.isFinite(temp)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: temperature must be > 0, got ${describe(temp)}`);
  const out = new Int32Array(Q.rows);
  const idx = new Int32Array(T.rows);
  for (let q0 = 0; q0 < Q.rows; q0 += BLOCK) {
    const b = Math.min(BLOCK, Q.rows - q0);
    const sims = cosineSimilarity({ data: Q.data.subarray(q0 * Q.cols, (q0 + b) * Q.cols), rows: b, cols: Q.cols }, T).data;
    for (let i = 0; i < b; i++) {
      const row = sims.subarray(i * T.rows, (i + 1) * T.rows);
      for (let j = 0; j < T.rows; j++) idx[j] = j;
      selectTop(idx, row, k);
      const votes = new Map<number, number>();
      for (let j = 0; j < k; j++) {
        const l = trainLabels[idx[j]];
        votes.set(l, (votes.get(l) ?? 0) + Math.exp((row[idx[j]] - 1) / temp));
      }
      let best = 0;
      let bestScore = -1;
      for (const [l, s] of votes) if (s > bestScore || (s === bestScore && l < best)) [best, bestScore] = [l, s];
      out[q0 + i] = best;
    }
  }
  return out;
}

/** Fraction of `queryLabels` that weighted kNN predicts right. */
export function knnAccuracy(
  train: MatrixLike,
  trainLabels: ArrayLike<number>,
  query: MatrixLike,
  queryLabels: ArrayLike<number>,
  opts: KnnOptions = {},
): number {
  const Q = toMatrix(query, 'query', 'knnAccuracy', { finite: false });
  checkLabels(queryLabels, Q.rows, 'queryLabels', 'knnAccuracy');
  const pred = knnPredict(train, trainLabels, query, opts);
  let right = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === queryLabels[i]) right++;
  return right / pred.length;
}

/** Moves the k indices with the largest score[idx] to idx[0..k) (quickselect, O(n) average). */
function selectTop(idx: Int32Array, score: Float32Array, k: number): void {
  let lo = 0;
  let hi = idx.length - 1;
  while (lo < hi) {
    const pivot = score[idx[(lo + hi) >> 1]];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (score[idx[i]] > pivot) i++;
      while (score[idx[j]] < pivot) j--;
      if (i <= j) {
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
        i++;
        j--;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else return;
  }
}
