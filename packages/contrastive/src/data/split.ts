// Seeded train / validation / test splits, stratified by label when labels are given.
import { ContrastiveError } from '../errors.js';
import { mulberry32 } from '../rng.js';

export interface SplitOptions {
  /** Fraction of the samples for validation (default 0). */
  val?: number;
  /** Fraction of the samples for test (default 0). */
  test?: number;
  /** Seed of the shuffle (default 0): the same seed gives the same split in every runtime. */
  seed?: number;
}

export interface Split {
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
}

/**
 * Splits sample indices into train, validation and test sets. `labels` (an array, one label per
 * sample) makes it stratified: within each class a seeded shuffle puts round(count x val) rows in
 * val and round(count x test) in test, so every set keeps the class proportions; a number `n`
 * splits 0..n-1 without labels. Returns sorted indices. A class too small to appear in a
 * requested set is kept in train.
 */
export function trainValTestSplit(labelsOrCount: ArrayLike<number> | number, opts: SplitOptions = {}): Split {
  const OP = 'trainValTestSplit';
  const val = opts.val ?? 0;
  const test = opts.test ?? 0;
  for (const [name, f] of [
    ['val', val],
    ['test', test],
  ] as const) {
    if (typeof f !== 'number' || !(f >= 0 && f < 1))
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} must be a fraction in [0, 1), got ${String(f)}`);
  }
  if (val + test >= 1) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: val + test must be below 1 (some samples must train), got ${val} + ${test}`);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: seed must be a non-negative integer, got ${String(seed)}`);
  let groups: number[][];
  if (typeof labelsOrCount === 'number') {
    if (!Number.isInteger(labelsOrCount) || labelsOrCount < 1)
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: the sample count must be a positive integer, got ${labelsOrCount}`);
    groups = [Array.from({ length: labelsOrCount }, (_, i) => i)];
  } else {
    if (labelsOrCount === null || typeof labelsOrCount !== 'object' || typeof labelsOrCount.length !== 'number' || labelsOrCount.length < 1) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: expected labels (one integer per sample) or a sample count`);
    }
    const by = new Map<number, number[]>();
    for (let i = 0; i < labelsOrCount.length; i++) {
      const l = labelsOrCount[i];
      if (!Number.isSafeInteger(l)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: labels[${i}] must be an integer, got ${String(l)}`);
      if (!by.has(l)) by.set(l, []);
      by.get(l)!.push(i);
    }
    groups = [...by.keys()].sort((a, b) => a - b).map((l) => by.get(l)!);
  }
  const rand = mulberry32(seed);
  const out = { train: [] as number[], val: [] as number[], test: [] as number[] };
  for (const idx of groups) {
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    // at least one sample of each class stays in train
    const nt = Math.min(Math.round(idx.length * test), idx.length - 1);
    const nv = Math.min(Math.round(idx.length * val), idx.length - 1 - nt);
    out.test.push(...idx.slice(0, nt));
    out.val.push(...idx.slice(nt, nt + nv));
    out.train.push(...idx.slice(nt + nv));
  }
  const sorted = (a: number[]) => Int32Array.from(a.sort((x, y) => x - y));
  return { train: sorted(out.train), val: sorted(out.val), test: sorted(out.test) };
}

/** Rows `indices` of a row-major array of `n` rows (any typed array): the subset's data. */
export function takeRows<T extends Float32Array | Uint8Array>(data: T, n: number, indices: ArrayLike<number>): T {
  const per = data.length / n;
  const out = new (data.constructor as new (len: number) => T)(indices.length * per);
  for (let i = 0; i < indices.length; i++) out.set(data.subarray(indices[i] * per, (indices[i] + 1) * per), i * per);
  return out;
}
