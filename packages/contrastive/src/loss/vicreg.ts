import type { MatrixLike } from '../types.js';
import type { LossValue } from './kernel.js';
import { numberOption, twoView, type TwoViewResult } from './twoview.js';

export interface VicRegOptions {
  /** Invariance weight (default 25), variance weight (default 25), covariance weight (default 1): Bardes et al. 2022. */
  lambda?: number;
  mu?: number;
  nu?: number;
  /** Added to the variance under the square root (default 1e-4). */
  eps?: number;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

/**
 * VICReg loss (Bardes et al. 2022), lightly's `VICRegLoss`, on two views of n >= 2 rows:
 *   inv = mean((a - b)^2),
 *   var = (v(a) + v(b)) / 2,  v(x) = 1/d sum_j max(0, 1 - sqrt(Var_j(x) + eps))   (unbiased variance),
 *   cov = c(a) + c(b),        c(x) = 1/d sum_{j != k} Cov(x)_jk^2,
 *   L = lambda inv + mu var + nu cov.
 */
export function vicReg(a: MatrixLike, b: MatrixLike, opts: VicRegOptions & { grad: false }): LossValue;
export function vicReg(a: MatrixLike, b: MatrixLike, opts?: VicRegOptions): TwoViewResult;
export function vicReg(a: MatrixLike, b: MatrixLike, opts: VicRegOptions = {}): TwoViewResult | LossValue {
  const op = 'vicReg';
  const lambda = numberOption(opts.lambda, 'lambda', op, 25);
  const mu = numberOption(opts.mu, 'mu', op, 25);
  const nu = numberOption(opts.nu, 'nu', op, 1);
  const eps = numberOption(opts.eps, 'eps', op, 1e-4, { value: 0, inclusive: true });
  return twoView(op, a, b, opts.grad, 2, (k, ap, bp, n, d, ga, gb, out) => k.ct_vicreg(ap, bp, n, d, lambda, mu, nu, eps, ga, gb, out));
}
