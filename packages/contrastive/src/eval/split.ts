import { ContrastiveError } from '../errors.js';
import { mulberry32 } from '../rng.js';

/** The row indices of each label, labels ascending, each list shuffled by one seeded generator (in that order). */
function shuffledByLabel(labels: ArrayLike<number>, seed: number): number[][] {
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(i);
  }
  const rand = mulberry32(seed);
  return [...byLabel.keys()]
    .sort((a, b) => a - b)
    .map((l) => {
      const idx = byLabel.get(l)!;
      for (let i = idx.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      return idx;
    });
}

/**
 * A stratified train/test split: within each label, a seeded shuffle puts round(count x
 * testFraction) rows in the test set. Returns sorted row indices. Same seed, same split,
 * in every runtime.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed = 0): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of shuffledByLabel(labels, seed)) {
    const nt = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nt));
    train.push(...idx.slice(nt));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}

/**
 * Stratified k-fold assignment: within each label, a seeded shuffle deals the rows round-robin
 * into folds 0..k-1, so every fold holds ~1/k of each label. Returns the fold of each row.
 */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed = 0): Int32Array {
  if (!Number.isInteger(k) || k < 2 || k > labels.length) {
    throw new ContrastiveError('INVALID_ARGUMENT', `stratifiedFolds: k must be an integer from 2 to the ${labels.length} rows, got ${k}`);
  }
  const folds = new Int32Array(labels.length);
  let next = 0; // continue the deal across labels, so small classes do not all start at fold 0
  for (const idx of shuffledByLabel(labels, seed)) for (const r of idx) folds[r] = next++ % k;
  return folds;
}
