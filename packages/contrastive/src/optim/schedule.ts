import { ContrastiveError } from '../errors.js';

export interface WarmupCosineOptions {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * SimCLR's WarmUpAndCosineDecay: with t the number of updates already applied,
 * lr(t) = B t / W for t < W, then B (1 + cos(pi min(t - W, T - W) / (T - W))) / 2.
 * lr(0) = 0 when W > 0; lr(T) = 0 and it stays 0. SimCLR's B = 0.3 batch / 256.
 */
export function warmupCosine(opts: WarmupCosineOptions): (step: number) => number {
  const { baseLr: B, warmupSteps: W, totalSteps: T } = opts;
  if (!(B >= 0) || !Number.isInteger(W) || !Number.isInteger(T) || W < 0 || T < W) {
    throw new ContrastiveError('INVALID_ARGUMENT', `warmupCosine: need baseLr >= 0 and integers 0 <= warmupSteps <= totalSteps, got ${JSON.stringify(opts)}`);
  }
  return (t: number) => {
    if (t < W) return (B * t) / W;
    if (T === W) return 0;
    return B * 0.5 * (1 + Math.cos((Math.PI * Math.min(t - W, T - W)) / (T - W)));
  };
}
