import { ContrastiveError } from '../errors.js';
import { callKernel } from '../runtime/kernel.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameCols, sameShape, temperature, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';

export interface InfoNceOptions {
  /** tau > 0 (CLIP learns it, starting at 0.07; MoCo uses 0.07 to 0.2). */
  temperature: number;
  /** CLIP's loss: the mean of query->key and key->query cross-entropies (default false). */
  symmetric?: boolean;
  /**
   * Explicit negatives shared by every query (M x D, M may be 0), e.g. a MoCo queue. When given,
   * row i's candidates are key i (the positive) and these; the other keys are not negatives.
   */
  negatives?: MatrixLike;
  /** Compute the gradients (default true). `false` skips all backward work. */
  grad?: boolean;
}

export interface InfoNceResult extends LossValue {
  grads: { query: Matrix; key: Matrix; negatives?: Matrix };
}

const OP = 'infoNce';

/**
 * InfoNCE (van den Oord et al. 2018) between queries and their keys: key i is query i's positive.
 *
 * In-batch: L = 1/N sum_i [ -l_ii + log sum_j exp(l_ij) ], l_ij = cos(q_i, k_j) / tau.
 * `symmetric`: the average of that and the same over keys -> queries (CLIP, Radford et al. 2021).
 * `negatives`: l_i0 = cos(q_i, k_i) / tau and l_ij = cos(q_i, n_j) / tau, target 0
 * (MoCo, He et al. 2020). Gradients are with respect to the unnormalized inputs.
 *
 * @example
 * ```ts
 * const clip = infoNce(imageEmb, textEmb, { temperature: 0.07, symmetric: true }); // CLIP
 * const moco = infoNce(q, k, { temperature: 0.2, negatives: queue });               // MoCo
 * // moco.grads.query, moco.grads.key, moco.grads.negatives
 * ```
 */
export function infoNce(query: MatrixLike, key: MatrixLike, opts: InfoNceOptions & { grad: false }): LossValue;
export function infoNce(query: MatrixLike, key: MatrixLike, opts: InfoNceOptions): InfoNceResult;
export function infoNce(query: MatrixLike, key: MatrixLike, opts: InfoNceOptions): InfoNceResult | LossValue {
  const Q = toMatrix(query, 'query', OP);
  const K = toMatrix(key, 'key', OP);
  sameShape(K, Q, 'key', 'query', OP);
  const tau = temperature(opts, OP);
  const grad = flag(opts.grad, 'grad', OP, true);
  const symmetric = flag(opts.symmetric, 'symmetric', OP, false);
  const N = opts.negatives === undefined ? undefined : toMatrix(opts.negatives, 'negatives', OP, { allowEmpty: true });
  if (N) sameCols(N, Q, 'negatives', 'query', OP);
  if (N && symmetric) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: symmetric and negatives cannot be combined (the symmetric loss uses in-batch negatives)`);
  }
  const n = Q.rows * Q.cols;
  const m = N ? N.rows * N.cols : 0;
  const g = grad ? 1 : 0;
  const {
    k,
    p: [q, kk, neg, gq, gk, gneg, out],
  } = callKernel(OP, [4 * n, 4 * n, 4 * m, 4 * n * g, 4 * n * g, 4 * m * g, 16]);
  f32(k, q, n).set(Q.data);
  f32(k, kk, n).set(K.data);
  if (N) {
    f32(k, neg, m).set(N.data);
    checkStatus(OP, k.ct_infonce_negatives(q, kk, Q.rows, neg, N.rows, Q.cols, tau, g && gq, g && gk, g && gneg, out));
  } else {
    checkStatus(OP, k.ct_infonce(q, kk, Q.rows, Q.cols, tau, symmetric ? 1 : 0, g && gq, g && gk, out));
  }
  const value = lossValue(k, out, OP);
  if (!grad) return value;
  const grads: InfoNceResult['grads'] = { query: copyOut(k, gq, Q.rows, Q.cols), key: copyOut(k, gk, K.rows, K.cols) };
  if (N) grads.negatives = copyOut(k, gneg, N.rows, N.cols);
  return { ...value, grads };
}
