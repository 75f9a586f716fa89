import type { Matrix, MatrixLike } from '../types.js';
import type { LossValue } from './kernel.js';
import { pairLoss, scaleTemperature, type MatryoshkaOptions } from './sentence-common.js';

export interface CosentOptions {
  /** Cosine similarities are multiplied by this (default 20, sentence-transformers' value). */
  scale?: number;
  /** Or give the temperature = 1 / scale. */
  temperature?: number;
  /** MatryoshkaLoss around this loss. */
  matryoshka?: MatryoshkaOptions;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

export interface CosentValue extends LossValue {
  /** d loss / d scale. */
  dScale: number;
}

export interface CosentResult extends CosentValue {
  grads: { a: Matrix; b: Matrix };
}

const OP = 'cosent';

/**
 * CoSENT (Su 2022; sentence-transformers' CoSENTLoss) for pairs (a_i, b_i) with similarity
 * scores y_i (any scale; only their order matters):
 *
 *   L = log(1 + sum_{(i, j): y_i < y_j} exp(s cos(a_i, b_i) - s cos(a_j, b_j)))
 *
 * Pairs with equal scores are not compared; when all scores are equal the loss is 0. O(N log N).
 */
export function cosent(a: MatrixLike, b: MatrixLike, scores: ArrayLike<number>, opts: CosentOptions & { grad: false }): CosentValue;
export function cosent(a: MatrixLike, b: MatrixLike, scores: ArrayLike<number>, opts?: CosentOptions): CosentResult;
export function cosent(a: MatrixLike, b: MatrixLike, scores: ArrayLike<number>, opts: CosentOptions = {}): CosentResult | CosentValue {
  const r = pairLoss(
    OP,
    a,
    b,
    scores,
    'scores',
    opts,
    () => scaleTemperature(opts, OP),
    (k, s, tau) => k.ct_cosent(s.a, s.b, s.labels, s.rows, s.cols, tau, s.dims, s.weights, s.ndims, s.ga, s.gb, s.out),
  );
  const tau = r.param;
  const value = { ...r.value, dScale: -tau * tau * r.value.dTemperature };
  return r.grads ? { ...value, grads: r.grads } : value;
}
