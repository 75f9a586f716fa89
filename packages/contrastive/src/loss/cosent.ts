import { getRuntime } from '../runtime/init.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameShape, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';
import { matryoshkaDims, pairLabels, placeDims, scaleTemperature, type MatryoshkaOptions } from './sentence-common.js';

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
  const A = toMatrix(a, 'a', OP);
  const B = toMatrix(b, 'b', OP);
  sameShape(B, A, 'b', 'a', OP);
  const y = pairLabels(scores, A.rows, 'scores', OP);
  const tau = scaleTemperature(opts, OP);
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
  checkStatus(OP, k.ct_cosent(pa, pb, py, A.rows, A.cols, tau, pdims, pw, nd, g && ga, g && gb, out));
  const v = lossValue(k, out, OP);
  const value = { ...v, dScale: -tau * tau * v.dTemperature };
  if (!grad) return value;
  return { ...value, grads: { a: copyOut(k, ga, A.rows, A.cols), b: copyOut(k, gb, A.rows, A.cols) } };
}
