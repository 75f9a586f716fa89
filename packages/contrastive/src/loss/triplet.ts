import { ContrastiveError } from '../errors.js';
import { getRuntime } from '../runtime/init.js';
import { f32, u32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { denseLabels, flag, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';
import { numberOption } from './twoview.js';

/**
 * Which triplets (anchor a, positive p, negative n) enter the loss; t = D_an - D_ap:
 * - 'all': every valid triplet (pytorch-metric-learning's TripletMarginLoss without a miner;
 *   sentence-transformers' BatchAllTripletLoss)
 * - 'hard' | 'semihard' | 'easy': pytorch-metric-learning's TripletMarginMiner with
 *   `minerMargin`: hard t <= min(0, minerMargin), semihard 0 < t <= minerMargin, easy t > minerMargin
 * - 'batchHard': per anchor, its farthest positive and nearest negative (Hermans et al. 2017;
 *   pytorch-metric-learning's BatchHardMiner; sentence-transformers' BatchHardTripletLoss)
 * - 'batchSemiHard': per positive pair, the nearest negative farther than the positive, else the
 *   farthest negative (Schroff et al. 2015; sentence-transformers' BatchSemiHardTripletLoss)
 */
export type TripletMining = 'all' | 'hard' | 'semihard' | 'easy' | 'batchHard' | 'batchSemiHard';

export interface TripletOptions {
  /** Default 0.05 (pytorch-metric-learning's). sentence-transformers uses 5 with raw Euclidean distances. */
  margin?: number;
  /** 'euclidean' (default) or 'cosine' (1 - cosine similarity, rows always normalized). */
  distance?: 'euclidean' | 'cosine';
  /** L2-normalize rows before Euclidean distances (default true, pytorch-metric-learning's; sentence-transformers: false). */
  normalize?: boolean;
  /** Default 'all'. */
  mining?: TripletMining;
  /** The margin of the 'hard' / 'semihard' / 'easy' miners (default 0.2, pytorch-metric-learning's). */
  minerMargin?: number;
  /**
   * 'meanNonZero' (default): mean over the triplets with a positive loss (pytorch-metric-learning's
   * AvgNonZeroReducer; sentence-transformers' BatchAllTripletLoss). 'mean': mean over the mined
   * triplets (sentence-transformers' BatchHard and BatchSemiHard losses).
   */
  reduction?: 'meanNonZero' | 'mean';
  /** Compute the gradients (default true). */
  grad?: boolean;
}

export interface TripletResult extends LossValue {
  grads: { z: Matrix };
}

const MINING: TripletMining[] = ['all', 'hard', 'semihard', 'easy', 'batchHard', 'batchSemiHard'];

function choice<T extends string>(v: unknown, name: string, op: string, options: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!options.includes(v as T)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be one of ${options.map((o) => `'${o}'`).join(', ')}, got ${String(v)}`);
  }
  return v as T;
}

/**
 * Triplet margin loss over the rows of a labeled batch: with D the pairwise distances and T the
 * mined triplets (y_a = y_p, a != p, y_n != y_a),
 *   L = reduce_{(a, p, n) in T} max(0, D_ap - D_an + margin).
 * A batch without a valid triplet (all labels equal, or every label once) gives L = 0 with a
 * zero gradient. The mining is not differentiated (as under autograd).
 */
export function triplet(z: MatrixLike, labels: ArrayLike<number>, opts: TripletOptions & { grad: false }): LossValue;
export function triplet(z: MatrixLike, labels: ArrayLike<number>, opts?: TripletOptions): TripletResult;
export function triplet(z: MatrixLike, labels: ArrayLike<number>, opts: TripletOptions = {}): TripletResult | LossValue {
  const op = 'triplet';
  const Z = toMatrix(z, 'z', op);
  const ids = denseLabels(labels, Z.rows, op);
  const margin = numberOption(opts.margin, 'margin', op, 0.05);
  const distance = choice(opts.distance, 'distance', op, ['euclidean', 'cosine'] as const, 'euclidean');
  const normalize = flag(opts.normalize, 'normalize', op, true);
  const mining = choice(opts.mining, 'mining', op, MINING, 'all');
  const minerMargin = numberOption(opts.minerMargin, 'minerMargin', op, 0.2);
  const reduction = choice(opts.reduction, 'reduction', op, ['meanNonZero', 'mean'] as const, 'meanNonZero');
  const grad = flag(opts.grad, 'grad', op, true);
  const { k, arena } = getRuntime(op);
  const n = Z.rows * Z.cols;
  const [zp, lp, gz, out] = arena.reserve(op, [4 * n, 4 * Z.rows, grad ? 4 * n : 0, 16]);
  f32(k, zp, n).set(Z.data);
  u32(k, lp, Z.rows).set(ids);
  checkStatus(
    op,
    k.ct_triplet(
      zp,
      lp,
      Z.rows,
      Z.cols,
      margin,
      distance === 'cosine' ? 1 : 0,
      normalize ? 1 : 0,
      MINING.indexOf(mining),
      minerMargin,
      reduction === 'mean' ? 1 : 0,
      grad ? gz : 0,
      out,
    ),
  );
  const value = lossValue(k, out, op);
  if (!grad) return value;
  return { ...value, grads: { z: copyOut(k, gz, Z.rows, Z.cols) } };
}
