import type { MatrixLike } from '../types.js';
import type { LossValue } from './kernel.js';
import { twoView, type TwoViewResult } from './twoview.js';

export interface NegativeCosineOptions {
  /** Compute the gradients (default true). */
  grad?: boolean;
}

/**
 * Negative cosine similarity of paired rows (SimSiam, BYOL), lightly's
 * `NegativeCosineSimilarity`:
 *   L = -1/n sum_i (a_i / max(||a_i||, 1e-8)) . (b_i / max(||b_i||, 1e-8)).
 * BYOL's "2 - 2 cos" equals 2 + 2 L. For the stop-gradient of SimSiam and BYOL use only
 * `grads.a` (the predictor side) and treat b as a constant.
 */
export function negativeCosineSimilarity(a: MatrixLike, b: MatrixLike, opts: NegativeCosineOptions & { grad: false }): LossValue;
export function negativeCosineSimilarity(a: MatrixLike, b: MatrixLike, opts?: NegativeCosineOptions): TwoViewResult;
export function negativeCosineSimilarity(a: MatrixLike, b: MatrixLike, opts: NegativeCosineOptions = {}): TwoViewResult | LossValue {
  return twoView('negativeCosineSimilarity', a, b, opts.grad, 1, (k, ap, bp, n, d, ga, gb, out) => k.ct_negcos(ap, bp, n, d, ga, gb, out));
}
