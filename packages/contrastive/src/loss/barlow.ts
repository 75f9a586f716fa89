import type { MatrixLike } from '../types.js';
import type { LossValue } from './kernel.js';
import { numberOption, twoView, type TwoViewResult } from './twoview.js';

export interface BarlowTwinsOptions {
  /** Weight of the off-diagonal (redundancy) term; default 5e-3 (Zbontar et al. 2021). */
  lambda?: number;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

/**
 * Barlow Twins loss (Zbontar et al. 2021), lightly's `BarlowTwinsLoss`. Each view is
 * standardized per dimension over the batch (mean 0, biased variance 1, eps 1e-5, as batch
 * norm without affine), then with C = a^T b / n (d x d):
 *   L = sum_j (1 - C_jj)^2 + lambda sum_{j != k} C_jk^2.
 * A constant dimension standardizes to 0: finite, and it costs (1 - 0)^2 on the diagonal.
 * Needs at least 2 rows; time and memory grow as n d^2 and d^2.
 */
export function barlowTwins(a: MatrixLike, b: MatrixLike, opts: BarlowTwinsOptions & { grad: false }): LossValue;
export function barlowTwins(a: MatrixLike, b: MatrixLike, opts?: BarlowTwinsOptions): TwoViewResult;
export function barlowTwins(a: MatrixLike, b: MatrixLike, opts: BarlowTwinsOptions = {}): TwoViewResult | LossValue {
  const op = 'barlowTwins';
  const lambda = numberOption(opts.lambda, 'lambda', op, 5e-3, { value: 0, inclusive: true });
  return twoView(op, a, b, opts.grad, 2, (k, ap, bp, n, d, ga, gb, out) => k.ct_barlow(ap, bp, n, d, lambda, ga, gb, out));
}
