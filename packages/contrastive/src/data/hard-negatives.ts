// Hard-negative mining with an existing model's embeddings (as sentence-transformers' mine_hard_negatives).
import { ContrastiveError } from '../errors.js';
import { search } from '../eval/search.js';
import type { MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';

export interface MineOptions {
  /** Negatives per anchor (default 1). */
  numNegatives?: number;
  /** Skip the first `rangeMin` non-positive candidates (the hardest, often unlabelled positives; default 0). */
  rangeMin?: number;
  /** Consider only the top `rangeMax` non-positive candidates (default 100). */
  rangeMax?: number;
  /** Keep a candidate only if its score <= positive score - margin (default: no margin). */
  margin?: number;
  /** Keep a candidate only if its score <= this (default: no limit). */
  maxScore?: number;
}

/**
 * For each anchor, the corpus rows that score high but are not its positives: the top candidates
 * by cosine similarity, skipping `positives[i]` (corpus indices), inside the rank window
 * [rangeMin, rangeMax) of the non-positive candidates, and, with `margin`, at least `margin` below
 * the anchor's best positive score. Returns corpus indices per anchor (fewer than numNegatives when
 * not enough candidates pass).
 */
export function mineHardNegatives(anchors: MatrixLike, corpus: MatrixLike, positives: ArrayLike<number>[], opts: MineOptions = {}): number[][] {
  const op = 'mineHardNegatives';
  const A = toMatrix(anchors, 'anchors', op);
  const C = toMatrix(corpus, 'corpus', op);
  if (positives.length !== A.rows)
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: positives has ${positives.length} lists, expected ${A.rows} (one per anchor)`);
  const num = opts.numNegatives ?? 1;
  const rangeMin = opts.rangeMin ?? 0;
  const rangeMax = opts.rangeMax ?? 100;
  for (const [n, v, lo] of [
    ['numNegatives', num, 1],
    ['rangeMin', rangeMin, 0],
    ['rangeMax', rangeMax, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < lo) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${n} must be an integer >= ${lo}, got ${String(v)}`);
  }
  if (rangeMin >= rangeMax) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: rangeMin (${rangeMin}) must be below rangeMax (${rangeMax})`);
  let maxPos = 0;
  positives.forEach((p, i) => {
    for (let t = 0; t < p.length; t++) {
      if (!Number.isInteger(p[t]) || p[t] < 0 || p[t] >= C.rows)
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: positives[${i}][${t}] = ${p[t]} is not a corpus row (0..${C.rows - 1})`);
    }
    maxPos = Math.max(maxPos, p.length);
  });
  const r = search(A, C, { k: Math.min(C.rows, rangeMax + maxPos) });
  const d = A.cols;
  const cos = (i: number, j: number) => {
    let ab = 0,
      aa = 0,
      bb = 0;
    for (let t = 0; t < d; t++) {
      const x = A.data[i * d + t];
      const y = C.data[j * d + t];
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    return ab / (Math.max(Math.sqrt(aa), 1e-12) * Math.max(Math.sqrt(bb), 1e-12));
  };
  const out: number[][] = [];
  for (let i = 0; i < A.rows; i++) {
    const pos = new Set(Array.from(positives[i]));
    const best = pos.size === 0 ? Infinity : Math.max(...[...pos].map((j) => cos(i, j)));
    const picked: number[] = [];
    let rank = 0;
    for (let t = 0; t < r.k && picked.length < num && rank < rangeMax; t++) {
      const j = r.indices[i * r.k + t];
      if (pos.has(j)) continue;
      const s = r.scores[i * r.k + t];
      const here = rank++;
      if (here < rangeMin) continue;
      if (opts.margin !== undefined && s > best - opts.margin) continue;
      if (opts.maxScore !== undefined && s > opts.maxScore) continue;
      picked.push(j);
    }
    out.push(picked);
  }
  return out;
}
