import { ContrastiveError } from '../errors.js';

/**
 * A stratified train/test split: within each label, a seeded shuffle puts round(count x
 * testFraction) rows in the test set. Returns sorted row indices. Same seed, same split,
 * in every runtime.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, seed = 0): { train: Int32Array; test: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `stratifiedSplit: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const byLabel = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!byLabel.has(l)) byLabel.set(l, []);
    byLabel.get(l)!.push(i);
  }
  let s = seed >>> 0;
  const rand = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const train: number[] = [];
  const test: number[] = [];
  for (const l of [...byLabel.keys()].sort((a, b) => a - b)) {
    const idx = byLabel.get(l)!;
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const nt = Math.round(idx.length * testFraction);
    test.push(...idx.slice(0, nt));
    train.push(...idx.slice(nt));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}
