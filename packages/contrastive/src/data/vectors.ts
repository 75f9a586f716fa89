// Vectors and tables -> TrainData: two augmented views per row, or aligned pairs of rows.
import { augmentVectors, isVectorOp, type VectorOp } from '../augment/vector.js';
import { ContrastiveError } from '../errors.js';
import type { Matrix, MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';
import type { TrainData } from '../train/fit.js';
import { numberRow, parseJsonl } from '../io/jsonl.js';

/** Per-column mean and standard deviation, to save with a model and apply to new rows. */
export interface Standardizer {
  mean: Float32Array;
  std: Float32Array;
}

/** The mean and (population) standard deviation of each column; constant columns get std 1. */
export function fitStandardizer(x: MatrixLike): Standardizer {
  const m = toMatrix(x, 'x', 'fitStandardizer');
  const mean = new Float64Array(m.cols);
  const sq = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mean[j] += m.data[i * m.cols + j];
  for (let j = 0; j < m.cols; j++) mean[j] /= m.rows;
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const d = m.data[i * m.cols + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = Float32Array.from(sq, (s) => {
    const v = Math.sqrt(s / m.rows);
    return v > 1e-12 ? v : 1;
  });
  return { mean: Float32Array.from(mean), std };
}

/** (x - mean) / std per column, as a new matrix. */
export function standardize(x: MatrixLike, s: Standardizer): Matrix {
  const m = toMatrix(x, 'x', 'standardize');
  if (!s || !(s.mean instanceof Float32Array) || !(s.std instanceof Float32Array) || s.mean.length !== m.cols || s.std.length !== m.cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `standardize: the standardizer has ${s?.mean?.length ?? 'no'} columns, x has ${m.cols}`);
  }
  const out = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[i * m.cols + j] = (m.data[i * m.cols + j] - s.mean[j]) / s.std[j];
  return { data: out, rows: m.rows, cols: m.cols };
}

const gather = (x: Matrix, indices: Int32Array, op: string): Matrix => {
  const out = new Float32Array(indices.length * x.cols);
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i];
    if (!Number.isInteger(s) || s < 0 || s >= x.rows) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: sample index ${s} is not in [0, ${x.rows})`);
    out.set(x.data.subarray(s * x.cols, (s + 1) * x.cols), i * x.cols);
  }
  return { data: out, rows: indices.length, cols: x.cols };
};

const checkLabels = (labels: ArrayLike<number> | undefined, n: number, op: string) => {
  if (labels !== undefined && (labels === null || typeof labels.length !== 'number' || labels.length !== n)) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: labels has ${labels?.length ?? 'no'} entries, expected ${n} (one per row)`);
  }
};

/**
 * Training data from vectors (one sample per row) and a vector augmentation (scarf,
 * featureDropout, vectorNoise, composeVectors): each step takes two views of its rows, row i of
 * the batch drawing from Rng(seed, [i, view, step]), so runs are reproducible.
 */
export function vectorTrainData(x: MatrixLike, augmentation: VectorOp, opts: { seed?: number; labels?: ArrayLike<number> } = {}): TrainData {
  const OP = 'vectorTrainData';
  const m = toMatrix(x, 'x', OP);
  if (!isVectorOp(augmentation))
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: augmentation must be a vector op (scarf(), featureDropout(), vectorNoise(), composeVectors(...))`);
  checkLabels(opts.labels, m.rows, OP);
  const seed = opts.seed ?? 0;
  return {
    n: m.rows,
    labels: opts.labels,
    views(indices, step) {
      const b = gather(m, indices, OP);
      const v = (view: number) => {
        const y = augmentVectors(b, augmentation, { seed, step, offset: 0, view }, OP);
        return { data: y.data, shape: [y.rows, y.cols] };
      };
      return [v(0), v(1)];
    },
  };
}

/**
 * Aligned pairs (row i of `a` goes with row i of `b`) for two-tower, CLIP-style training
 * (method 'clip'): each step's views are the rows of a and of b. The other rows of the batch
 * are each anchor's negatives. With `negatives` (triplets: row i is a hard negative of anchor
 * i, with `b`'s columns), each step has a third view of those rows, which the second tower
 * encodes beside the positives: every anchor is then scored against all positives and all
 * negatives of the batch.
 */
export function pairTrainData(a: MatrixLike, b: MatrixLike, opts: { labels?: ArrayLike<number>; negatives?: MatrixLike } = {}): TrainData {
  const OP = 'pairTrainData';
  const A = toMatrix(a, 'a', OP);
  const B = toMatrix(b, 'b', OP);
  if (A.rows !== B.rows) throw new ContrastiveError('SHAPE_MISMATCH', `${OP}: a has ${A.rows} rows, b has ${B.rows}; pairs need the same number`);
  const N = opts.negatives === undefined ? undefined : toMatrix(opts.negatives, 'negatives', OP);
  if (N && (N.rows !== B.rows || N.cols !== B.cols))
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${OP}: negatives is ${N.rows} x ${N.cols}, expected ${B.rows} x ${B.cols} (one row per pair, the columns of b: the same tower encodes both)`,
    );
  checkLabels(opts.labels, A.rows, OP);
  const rows = (x: Matrix, indices: Int32Array) => {
    const g = gather(x, indices, OP);
    return { data: g.data, shape: [g.rows, g.cols] };
  };
  return {
    n: A.rows,
    labels: opts.labels,
    views: (indices) => (N ? [rows(A, indices), rows(B, indices), rows(N, indices)] : [rows(A, indices), rows(B, indices)]),
  };
}

export interface VectorPairs {
  anchor: Matrix;
  positive: Matrix;
  /** present when the rows have a `negative` (triplets) */
  negative?: Matrix;
}

/**
 * JSONL of vector pairs or triplets, one object per line: `{"anchor": [...], "positive": [...]}`
 * and optionally `"negative": [...]` (the sentence-transformers column names; others via `keys`).
 */
export function jsonlPairs(text: string, opts: { name?: string; keys?: { anchor?: string; positive?: string; negative?: string } } = {}): VectorPairs {
  const OP = 'jsonlPairs';
  const name = opts.name ?? 'file';
  const k = { anchor: opts.keys?.anchor ?? 'anchor', positive: opts.keys?.positive ?? 'positive', negative: opts.keys?.negative ?? 'negative' };
  const { values, lines } = parseJsonl(text, name);
  const first = values[0] as Record<string, unknown>;
  const hasNeg = first !== null && typeof first === 'object' && k.negative in first;
  const parts: Record<string, number[][]> = { anchor: [], positive: [], negative: [] };
  values.forEach((v, r) => {
    const where = `${name} line ${lines[r]}`;
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${where} must be an object with "${k.anchor}" and "${k.positive}" arrays`);
    const o = v as Record<string, unknown>;
    for (const part of hasNeg ? (['anchor', 'positive', 'negative'] as const) : (['anchor', 'positive'] as const)) {
      if (!(k[part] in o)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${where} has no "${k[part]}"`);
      parts[part].push(numberRow(o[k[part]], `${where} "${k[part]}"`, OP));
    }
  });
  const matrix = (rows: number[][], part: string): Matrix => {
    const cols = rows[0].length;
    const data = new Float32Array(rows.length * cols);
    rows.forEach((row, r) => {
      if (row.length !== cols)
        throw new ContrastiveError('SHAPE_MISMATCH', `${OP}: ${name} line ${lines[r]} "${part}" has ${row.length} values, expected ${cols}`);
      data.set(row, r * cols);
    });
    return { data, rows: rows.length, cols };
  };
  const out: VectorPairs = { anchor: matrix(parts.anchor, k.anchor), positive: matrix(parts.positive, k.positive) };
  if (hasNeg) out.negative = matrix(parts.negative, k.negative);
  return out;
}
