import type { MatrixLike } from '../types.js';
import { temperature } from '../validate.js';
import type { LossValue } from './kernel.js';
import { numberOption, twoView, type TwoViewResult } from './twoview.js';

export interface DclOptions {
  /** tau > 0 (lightly's default 0.1). */
  temperature: number;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

export interface DclwOptions extends DclOptions {
  /** The von Mises-Fisher weighting's sigma > 0 (default 0.5, as the paper and lightly). */
  sigma?: number;
}

/**
 * Decoupled contrastive loss (Yeh et al. 2021), lightly's `DCLLoss`: NT-Xent with the positive
 * pair removed from the denominator. With u, v the L2-normalized rows of a and b and
 * s(x, y) = x . y / tau,
 *   L_uv = 1/n sum_i [ -s(u_i, v_i) + log( sum_{k != i} exp s(u_i, u_k) + sum_{k != i} exp s(u_i, v_k) ) ],
 *   L = (L_uv + L_vu) / 2.
 * Needs at least 2 rows. `dTemperature` is d L / d tau.
 */
export function dcl(a: MatrixLike, b: MatrixLike, opts: DclOptions & { grad: false }): LossValue;
export function dcl(a: MatrixLike, b: MatrixLike, opts: DclOptions): TwoViewResult;
export function dcl(a: MatrixLike, b: MatrixLike, opts: DclOptions): TwoViewResult | LossValue {
  const op = 'dcl';
  const tau = temperature(opts, op);
  return twoView(op, a, b, opts.grad, 2, (k, ap, bp, n, d, ga, gb, out) => k.ct_dcl(ap, bp, n, d, tau, 0, ga, gb, out));
}

/**
 * DCLW (Yeh et al. 2021), lightly's `DCLWLoss`: DCL with each positive term weighted by
 * w_i = 2 - n softmax_i(u_i . v_i / sigma), the weights held constant in the backward pass.
 */
export function dclw(a: MatrixLike, b: MatrixLike, opts: DclwOptions & { grad: false }): LossValue;
export function dclw(a: MatrixLike, b: MatrixLike, opts: DclwOptions): TwoViewResult;
export function dclw(a: MatrixLike, b: MatrixLike, opts: DclwOptions): TwoViewResult | LossValue {
  const op = 'dclw';
  const tau = temperature(opts, op);
  const sigma = numberOption(opts.sigma, 'sigma', op, 0.5, { value: 0, inclusive: false });
  return twoView(op, a, b, opts.grad, 2, (k, ap, bp, n, d, ga, gb, out) => k.ct_dcl(ap, bp, n, d, tau, sigma, ga, gb, out));
}
