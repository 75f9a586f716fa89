import { ContrastiveError } from '../errors.js';
import { getRuntime } from '../runtime/init.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameShape, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';
import { matryoshkaDims, placeDims, scaleTemperature, type MatryoshkaOptions } from './sentence-common.js';

export interface MnrlOptions {
  /** Cosine similarities are multiplied by this (default 20, sentence-transformers' value). */
  scale?: number;
  /** Or give the temperature = 1 / scale (e.g. from a LearnableTemperature). */
  temperature?: number;
  /**
   * Hard negatives: any number of matrices, each N x D, row i a negative of anchor i (the
   * sentence-transformers columns negative_1 ... negative_k). Every one of them is also an
   * in-batch negative of every other anchor.
   */
  negatives?: MatrixLike[];
  /** Add the positive -> anchor term (MultipleNegativesSymmetricRankingLoss); the loss is the mean of both directions. */
  symmetric?: boolean;
  /** MatryoshkaLoss around this loss. */
  matryoshka?: MatryoshkaOptions;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

export interface MnrlValue extends LossValue {
  /** d loss / d scale (= -temperature^2 * dTemperature). */
  dScale: number;
}

export interface MnrlResult extends MnrlValue {
  grads: { anchor: Matrix; positive: Matrix; negatives: Matrix[] };
}

const OP = 'mnrl';

/**
 * MultipleNegativesRankingLoss (Henderson et al. 2017; sentence-transformers), i.e. InfoNCE with
 * in-batch negatives: with documents c = [positives; negatives_1; ...; negatives_k],
 *
 *   L = 1/N sum_i [ log sum_j exp(s cos(a_i, c_j)) - s cos(a_i, p_i) ]
 *
 * `symmetric` averages that with 1/N sum_i [ log sum_j exp(s cos(p_i, a_j)) - s cos(p_i, a_i) ].
 * `matryoshka` sums the loss over prefixes of the embeddings. Exact gradients with respect to the
 * unnormalized embeddings; rows of the N x (1+k)N similarity matrix are streamed, never stored.
 */
export function mnrl(anchor: MatrixLike, positive: MatrixLike, opts: MnrlOptions & { grad: false }): MnrlValue;
export function mnrl(anchor: MatrixLike, positive: MatrixLike, opts?: MnrlOptions): MnrlResult;
export function mnrl(anchor: MatrixLike, positive: MatrixLike, opts: MnrlOptions = {}): MnrlResult | MnrlValue {
  const A = toMatrix(anchor, 'anchor', OP);
  const P = toMatrix(positive, 'positive', OP);
  sameShape(P, A, 'positive', 'anchor', OP);
  const tau = scaleTemperature(opts, OP);
  const grad = flag(opts.grad, 'grad', OP, true);
  const symmetric = flag(opts.symmetric, 'symmetric', OP, false);
  if (opts.negatives !== undefined && !Array.isArray(opts.negatives)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: negatives must be an array of matrices (one per hard-negative column)`);
  }
  const negs = (opts.negatives ?? []).map((x, j) => {
    const M = toMatrix(x, `negatives[${j}]`, OP);
    sameShape(M, A, `negatives[${j}]`, 'anchor', OP);
    return M;
  });
  const md = matryoshkaDims(opts.matryoshka, A.cols, OP);
  const { k, arena } = getRuntime(OP);
  const n = A.rows * A.cols;
  const h = negs.length;
  const docs = (1 + h) * n;
  const g = grad ? 1 : 0;
  const nd = md.dims.length;
  const [pa, pdocs, pdims, pw, ga, gdocs, out] = arena.reserve(OP, [4 * n, 4 * docs, 4 * nd, 4 * nd, 4 * n * g, 4 * docs * g, 16]);
  f32(k, pa, n).set(A.data);
  f32(k, pdocs, n).set(P.data);
  negs.forEach((M, j) => f32(k, pdocs + 4 * n * (j + 1), n).set(M.data));
  placeDims(k, pdims, pw, md);
  checkStatus(OP, k.ct_mnrl(pa, pdocs, A.rows, h, A.cols, tau, symmetric ? 1 : 0, pdims, pw, nd, g && ga, g && gdocs, out));
  const v = lossValue(k, out, OP);
  const value = { ...v, dScale: -tau * tau * v.dTemperature };
  if (!grad) return value;
  const grads = {
    anchor: copyOut(k, ga, A.rows, A.cols),
    positive: copyOut(k, gdocs, A.rows, A.cols),
    negatives: negs.map((_, j) => copyOut(k, gdocs + 4 * n * (j + 1), A.rows, A.cols)),
  };
  return { ...value, grads };
}
