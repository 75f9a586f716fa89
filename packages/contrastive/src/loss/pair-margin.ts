import { ContrastiveError } from '../errors.js';
import { getRuntime } from '../runtime/init.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameShape, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';
import { matryoshkaDims, pairLabels, placeDims, type MatryoshkaOptions } from './sentence-common.js';

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
  const A = toMatrix(a, 'a', OP);
  const B = toMatrix(b, 'b', OP);
  sameShape(B, A, 'b', 'a', OP);
  const y = pairLabels(labels, A.rows, 'labels', OP);
  const margin = opts.margin ?? 0.5;
  if (typeof margin !== 'number' || !Number.isFinite(margin)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: margin must be a finite number, got ${String(margin)}`);
  }
  const grad = flag(opts.grad, 'grad', OP, true);
  const md = matryoshkaDims(opts.matryoshka, A.cols, OP);
  const { k, arena } = getRuntime(OP);
  const n = A.rows * A.cols;
  const g = grad ? 1 : 0;
  const nd = md.dims.length;
  const [pa, pb, py, pdims, pw, ga, gb, out] = arena.reserve(OP, [4 * n, 4 * n, 4 * A.rows, 4 * nd, 4 * nd, 4 * n * g, 4 * n * g, 16]);
  f32(k, pa, n).set(A.data);
  f32(k, pb, n).set(B.data);
  f32(k, py, A.rows).set(y);
  placeDims(k, pdims, pw, md);
  checkStatus(OP, k.ct_pair_margin(pa, pb, py, A.rows, A.cols, margin, pdims, pw, nd, g && ga, g && gb, out));
  const value = lossValue(k, out, OP);
  if (!grad) return value;
  return { ...value, grads: { a: copyOut(k, ga, A.rows, A.cols), b: copyOut(k, gb, A.rows, A.cols) } };
}
