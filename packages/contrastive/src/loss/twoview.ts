// What the two-view losses (DCL, negative cosine, Barlow Twins, VICReg) share: two row-aligned
// batches validated at the edge, placed in wasm memory, one kernel call, gradients copied out.
import { ContrastiveError } from '../errors.js';
import type { KernelExports } from '../runtime/abi.js';
import { getRuntime } from '../runtime/init.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameShape, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';

export interface TwoViewResult extends LossValue {
  /** d loss / d a and d loss / d b. */
  grads: { a: Matrix; b: Matrix };
}

/** A finite number option (default `dflt`), optionally bounded below. */
export function numberOption(v: unknown, name: string, op: string, dflt: number, min?: { value: number; inclusive: boolean }): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a finite number, got ${String(v)}`);
  }
  if (min && (min.inclusive ? v < min.value : v <= min.value)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be ${min.inclusive ? '>=' : '>'} ${min.value}, got ${v}`);
  }
  return v;
}

/**
 * Runs `call(k, a, b, n, d, ga, gb, out)` on the two views; `minRows` is the smallest batch
 * the loss is defined for.
 */
export function twoView(
  op: string,
  a: MatrixLike,
  b: MatrixLike,
  grad: unknown,
  minRows: number,
  call: (k: KernelExports, a: number, b: number, n: number, d: number, ga: number, gb: number, out: number) => number,
): TwoViewResult | LossValue {
  const A = toMatrix(a, 'a', op);
  const B = toMatrix(b, 'b', op);
  sameShape(B, A, 'b', 'a', op);
  if (A.rows < minRows) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: a and b need at least ${minRows} rows, got ${A.rows}`);
  }
  const g = flag(grad, 'grad', op, true);
  const { k, arena } = getRuntime(op);
  const len = A.rows * A.cols;
  const [ap, bp, gap, gbp, out] = arena.reserve(op, [4 * len, 4 * len, g ? 4 * len : 0, g ? 4 * len : 0, 16]);
  f32(k, ap, len).set(A.data);
  f32(k, bp, len).set(B.data);
  checkStatus(op, call(k, ap, bp, A.rows, A.cols, g ? gap : 0, g ? gbp : 0, out));
  const value = lossValue(k, out, op);
  if (!g) return value;
  return { ...value, grads: { a: copyOut(k, gap, A.rows, A.cols), b: copyOut(k, gbp, A.rows, A.cols) } };
}
