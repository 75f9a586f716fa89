import { ContrastiveError } from '../errors.js';
import type { Matrix, MatrixLike } from '../types.js';
import type { LossValue } from './kernel.js';
import { pairLoss, type MatryoshkaOptions } from './sentence-common.js';

export interface ContrastiveLossOptions {
  /** Dissimilar pairs are pushed to a cosine distance of at least this (default 0.5, sentence-transformers' value). */
  margin?: number;
  /** MatryoshkaLoss around this loss. */
  matryoshka?: MatryoshkaOptions;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

export interface ContrastiveLossResult extends LossValue {
  grads: { a: Matrix; b: Matrix };
}

const OP = 'contrastiveLoss';

/**
 * The margin ContrastiveLoss (Hadsell et al. 2006; sentence-transformers' ContrastiveLoss with
 * its default cosine distance) for pairs labelled 1 (similar) or 0 (dissimilar):
 *
 *   d_i = 1 - cos(a_i, b_i),  L = 1/N sum_i 0.5 [ y_i d_i^2 + (1 - y_i) max(0, margin - d_i)^2 ]
 *
 * There is no temperature (dTemperature is 0).
 */
export function contrastiveLoss(a: MatrixLike, b: MatrixLike, labels: ArrayLike<number>, opts: ContrastiveLossOptions & { grad: false }): LossValue;
export function contrastiveLoss(a: MatrixLike, b: MatrixLike, labels: ArrayLike<number>, opts?: ContrastiveLossOptions): ContrastiveLossResult;
export function contrastiveLoss(a: MatrixLike, b: MatrixLike, labels: ArrayLike<number>, opts: ContrastiveLossOptions = {}): ContrastiveLossResult | LossValue {
  const r = pairLoss(
    OP,
    a,
    b,
    labels,
    'labels',
    opts,
    () => {
      const margin = opts.margin ?? 0.5;
      if (typeof margin !== 'number' || !Number.isFinite(margin)) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: margin must be a finite number, got ${String(margin)}`);
      }
      return margin;
    },
    (k, s, margin) => k.ct_pair_margin(s.a, s.b, s.labels, s.rows, s.cols, margin, s.dims, s.weights, s.ndims, s.ga, s.gb, s.out),
  );
  return r.grads ? { ...r.value, grads: r.grads } : r.value;
}
