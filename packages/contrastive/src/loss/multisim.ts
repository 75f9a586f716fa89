import { getRuntime } from '../runtime/init.js';
import { f32, u32 } from '../runtime/memory.js';
import type { MatrixLike } from '../types.js';
import { denseLabels, flag, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';
import type { TripletResult } from './triplet.js';
import { numberOption } from './twoview.js';

export interface MultiSimilarityOptions {
  /** Positive scale (default 2), negative scale (default 50) and similarity offset (default 0.5): Wang et al. 2019. */
  alpha?: number;
  beta?: number;
  base?: number;
  /** Apply the multi-similarity pair miner first (default false). */
  mine?: boolean;
  /** The miner's epsilon (default 0.1). */
  epsilon?: number;
  /** Compute the gradients (default true). */
  grad?: boolean;
}

/**
 * Multi-similarity loss (Wang et al. 2019), pytorch-metric-learning's `MultiSimilarityLoss`
 * (with `mine: true`, after its `MultiSimilarityMiner`). S = cosine similarities of the rows;
 * P_i / N_i the positive / negative pairs of row i (all of them, or the mined ones:
 * positives with S_ip - epsilon < max_n S_in, negatives with S_in + epsilon > min_p S_ip):
 *   L = 1/rows sum_i [ 1/alpha log(1 + sum_{P_i} exp(-alpha (S_ip - base)))
 *                    + 1/beta  log(1 + sum_{N_i} exp( beta (S_in - base))) ].
 */
export function multiSimilarity(z: MatrixLike, labels: ArrayLike<number>, opts: MultiSimilarityOptions & { grad: false }): LossValue;
export function multiSimilarity(z: MatrixLike, labels: ArrayLike<number>, opts?: MultiSimilarityOptions): TripletResult;
export function multiSimilarity(z: MatrixLike, labels: ArrayLike<number>, opts: MultiSimilarityOptions = {}): TripletResult | LossValue {
  const op = 'multiSimilarity';
  const Z = toMatrix(z, 'z', op);
  const ids = denseLabels(labels, Z.rows, op);
  const alpha = numberOption(opts.alpha, 'alpha', op, 2, { value: 0, inclusive: false });
  const beta = numberOption(opts.beta, 'beta', op, 50, { value: 0, inclusive: false });
  const base = numberOption(opts.base, 'base', op, 0.5);
  const mine = flag(opts.mine, 'mine', op, false);
  const epsilon = numberOption(opts.epsilon, 'epsilon', op, 0.1);
  const grad = flag(opts.grad, 'grad', op, true);
  const { k, arena } = getRuntime(op);
  const n = Z.rows * Z.cols;
  const [zp, lp, gz, out] = arena.reserve(op, [4 * n, 4 * Z.rows, grad ? 4 * n : 0, 16]);
  f32(k, zp, n).set(Z.data);
  u32(k, lp, Z.rows).set(ids);
  checkStatus(op, k.ct_multisim(zp, lp, Z.rows, Z.cols, alpha, beta, base, mine ? 1 : 0, epsilon, grad ? gz : 0, out));
  const value = lossValue(k, out, op);
  if (!grad) return value;
  return { ...value, grads: { z: copyOut(k, gz, Z.rows, Z.cols) } };
}
