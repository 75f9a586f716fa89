// Augmentations of vectors / tabular rows (Matrix, one sample per row). Cheap per element, so
// they run in TypeScript; each row draws from its own Rng(seed, [offset + row, view, step]),
// exactly as images do, so the same seed gives the same views in every runtime.
import { ContrastiveError } from '../errors.js';
import type { Matrix, MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';
import { num, pair, prob } from './op.js';
import { Rng } from '../rng.js';

/** A vector augmentation: transforms x (a copy) given one generator per row. */
export interface VectorOp {
  readonly name: string;
  readonly vector: true;
  apply(x: Matrix, rngs: Rng[]): Matrix;
}

const copy = (x: Matrix): Matrix => ({ data: x.data.slice(), rows: x.rows, cols: x.cols });

/** x + sigma N(0, 1) per element (sigma fixed, or drawn per row from [min, max]). */
export function vectorNoise(opts: { sigma?: number | [number, number] } = {}): VectorOp {
  const OP = 'vectorNoise';
  const r: [number, number] =
    typeof opts.sigma === 'number' || opts.sigma === undefined
      ? [num(opts.sigma, 'sigma', OP, 0, 1e6, 0.1), opts.sigma ?? 0.1]
      : pair(opts.sigma, 'sigma', OP, 0, 1e6);
  return {
    name: OP,
    vector: true,
    apply(x, rngs) {
      const y = copy(x);
      for (let i = 0; i < x.rows; i++) {
        const rng = rngs[i];
        const s = r[0] === r[1] ? r[0] : rng.range(r[0], r[1]);
        for (let j = 0; j < x.cols; j++) y.data[i * x.cols + j] += s * rng.normal();
      }
      return y;
    },
  };
}

/**
 * Feature dropout / masking: each element is replaced by `value` (default 0) with probability p;
 * `scale: true` multiplies the kept ones by 1 / (1 - p), as inverted dropout.
 */
export function featureDropout(opts: { p?: number; value?: number; scale?: boolean } = {}): VectorOp {
  const OP = 'featureDropout';
  const p = prob(opts.p, OP, 0.1);
  const value = num(opts.value, 'value', OP, -3.4e38, 3.4e38, 0);
  const keep = opts.scale && p < 1 ? 1 / (1 - p) : 1;
  return {
    name: OP,
    vector: true,
    apply(x, rngs) {
      const y = copy(x);
      for (let i = 0; i < x.rows; i++) {
        for (let j = 0; j < x.cols; j++) {
          const k = i * x.cols + j;
          y.data[k] = rngs[i].uniform() < p ? value : y.data[k] * keep;
        }
      }
      return y;
    },
  };
}

/**
 * SCARF corruption (Bahri, Jiang, Tay, Metzler 2022, "SCARF: Self-Supervised Contrastive Learning
 * using Random Feature Corruption"): in each row a uniformly random subset of floor(rate * cols)
 * features is replaced, each by the value of that feature in a uniformly random row of the batch
 * (a draw from the feature's empirical marginal). Default rate 0.6, the paper's.
 */
export function scarf(opts: { rate?: number } = {}): VectorOp {
  const OP = 'scarf';
  const rate = num(opts.rate, 'rate', OP, 0, 1, 0.6);
  return {
    name: OP,
    vector: true,
    apply(x, rngs) {
      const y = copy(x);
      const m = Math.floor(rate * x.cols);
      const idx = new Int32Array(x.cols);
      for (let i = 0; i < x.rows; i++) {
        const rng = rngs[i];
        for (let j = 0; j < x.cols; j++) idx[j] = j;
        for (let t = 0; t < m; t++) {
          // partial Fisher-Yates: idx[0..m) is a uniform random m-subset
          const u = rng.int(t, x.cols - 1);
          const f = idx[u];
          idx[u] = idx[t];
          idx[t] = f;
          const src = rng.int(0, x.rows - 1);
          y.data[i * x.cols + f] = x.data[src * x.cols + f];
        }
      }
      return y;
    },
  };
}

/** Vector ops in order. */
export function composeVectors(...ops: VectorOp[]): VectorOp {
  for (const o of ops) {
    if (o === null || typeof o !== 'object' || o.vector !== true) {
      throw new ContrastiveError('INVALID_ARGUMENT', `composeVectors: every item must be a vector op (vectorNoise, featureDropout, scarf), got ${String(o)}`);
    }
  }
  return { name: ops.map((o) => o.name).join(' > '), vector: true, apply: (x, rngs) => ops.reduce((y, o) => o.apply(y, rngs), x) };
}

export const isVectorOp = (x: unknown): x is VectorOp => x !== null && typeof x === 'object' && (x as VectorOp).vector === true;

/** One view of the rows of x (row i uses Rng(seed, [offset + i, view, step])). */
export function augmentVectors(x: MatrixLike, op: VectorOp, opts: { seed: number; step: number; offset: number; view: number }, OP: string): Matrix {
  const m = toMatrix(x, 'x', OP);
  const rngs = Array.from({ length: m.rows }, (_, i) => new Rng(opts.seed, [(opts.offset + i) >>> 0, opts.view, opts.step]));
  return op.apply(m, rngs);
}
