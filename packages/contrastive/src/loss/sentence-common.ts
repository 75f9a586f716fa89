// What the sentence-embedding losses share: the scale / temperature option, Matryoshka prefixes and the
// path of the pair losses (CoSENT, ContrastiveLoss) from their inputs to the kernel and back.
import { ContrastiveError } from '../errors.js';
import type { KernelExports } from '../runtime/abi.js';
import { getRuntime } from '../runtime/init.js';
import { f32, u32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameShape, temperature, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';

/** MatryoshkaLoss (Kusupati et al. 2022): the loss summed over nested prefixes of the embedding. */
export interface MatryoshkaOptions {
  /** Prefix lengths, each 1..D (e.g. [768, 512, 256, 128, 64]); include D to train the full embedding too. */
  dims: number[];
  /** One weight per prefix (default 1 each). */
  weights?: number[];
}

/** sentence-transformers' default scale: cosine similarities times 20, i.e. temperature 0.05. */
export const DEFAULT_SCALE = 20;

/** tau from `{ scale }` or `{ temperature }` (not both); default 1 / 20. */
export function scaleTemperature(opts: { scale?: number; temperature?: number }, op: string): number {
  if (opts.scale !== undefined && opts.temperature !== undefined) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: give scale or temperature (= 1 / scale), not both`);
  }
  if (opts.temperature !== undefined) return temperature(opts, op);
  const s = opts.scale ?? DEFAULT_SCALE;
  if (typeof s !== 'number' || !Number.isFinite(s) || s <= 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: scale must be a finite number > 0, got ${String(s)}`);
  }
  return temperature({ temperature: 1 / s }, op);
}

/** Checked prefixes and weights (empty = the full embedding). */
export function matryoshkaDims(m: MatryoshkaOptions | undefined, d: number, op: string): { dims: number[]; weights: number[] } {
  if (m === undefined) return { dims: [], weights: [] };
  if (m === null || typeof m !== 'object' || !Array.isArray(m.dims) || m.dims.length === 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: matryoshka.dims must be a non-empty array of prefix lengths`);
  }
  m.dims.forEach((v, i) => {
    if (!Number.isInteger(v) || v < 1 || v > d) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: matryoshka.dims[${i}] must be an integer in 1..${d} (the embedding size), got ${String(v)}`);
    }
  });
  const weights = m.weights ?? m.dims.map(() => 1);
  if (!Array.isArray(weights) || weights.length !== m.dims.length) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${op}: matryoshka.weights has ${Array.isArray(weights) ? weights.length : 'no'} entries, expected ${m.dims.length} (one per dim)`,
    );
  }
  weights.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: matryoshka.weights[${i}] must be a finite number, got ${String(v)}`);
    }
  });
  return { dims: m.dims.slice(), weights: weights.slice() };
}

/** Writes the prefixes into their reserved slots. */
export function placeDims(k: KernelExports, pd: number, pw: number, m: { dims: number[]; weights: number[] }): void {
  if (m.dims.length === 0) return;
  u32(k, pd, m.dims.length).set(m.dims);
  f32(k, pw, m.weights.length).set(m.weights);
}

/** One label per pair, finite. */
export function pairLabels(labels: ArrayLike<number>, n: number, name: string, op: string): Float32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be an array of numbers, one per pair`);
  }
  if (labels.length !== n) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has ${labels.length} entries, expected ${n} (one per pair)`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = labels[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}[${i}] must be a finite number, got ${String(v)}`);
    }
    out[i] = v;
  }
  return out;
}

/** Where a pair loss's inputs sit in the module's memory, for its kernel call. */
export interface PairSlots {
  a: number;
  b: number;
  labels: number;
  rows: number;
  cols: number;
  dims: number;
  weights: number;
  ndims: number;
  /** 0 when no gradients are asked for. */
  ga: number;
  gb: number;
  out: number;
}

/**
 * A pair loss from its inputs: a and b (same shape), one finite label per pair, the loss's own
 * scalar (`param`, checked after the labels), `grad` and the Matryoshka prefixes, checked in that
 * order; then placed in the module, `call` runs the kernel on them, and the loss and gradients are
 * read back.
 */
export function pairLoss<P>(
  op: string,
  a: MatrixLike,
  b: MatrixLike,
  labels: ArrayLike<number>,
  labelName: string,
  opts: { matryoshka?: MatryoshkaOptions; grad?: boolean },
  param: () => P,
  call: (k: KernelExports, s: PairSlots, p: P) => number,
): { value: LossValue; param: P; grads?: { a: Matrix; b: Matrix } } {
  const A = toMatrix(a, 'a', op);
  const B = toMatrix(b, 'b', op);
  sameShape(B, A, 'b', 'a', op);
  const y = pairLabels(labels, A.rows, labelName, op);
  const p = param();
  const grad = flag(opts.grad, 'grad', op, true);
  const md = matryoshkaDims(opts.matryoshka, A.cols, op);
  const { k, arena } = getRuntime(op);
  const n = A.rows * A.cols;
  const g = grad ? 1 : 0;
  const nd = md.dims.length;
  const [pa, pb, py, pdims, pw, ga, gb, out] = arena.reserve(op, [4 * n, 4 * n, 4 * A.rows, 4 * nd, 4 * nd, 4 * n * g, 4 * n * g, 16]);
  f32(k, pa, n).set(A.data);
  f32(k, pb, n).set(B.data);
  f32(k, py, A.rows).set(y);
  placeDims(k, pdims, pw, md);
  const slots = { a: pa, b: pb, labels: py, rows: A.rows, cols: A.cols, dims: pdims, weights: pw, ndims: nd, ga: g && ga, gb: g && gb, out };
  checkStatus(op, call(k, slots, p));
  const value = lossValue(k, out, op);
  if (!grad) return { value, param: p };
  return { value, param: p, grads: { a: copyOut(k, ga, A.rows, A.cols), b: copyOut(k, gb, A.rows, A.cols) } };
}
