import { callKernel } from '../runtime/kernel.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { flag, sameShape, temperature, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';

export interface NtXentOptions {
  /** tau > 0; SimCLR uses 0.5 on CIFAR-10 and 0.1 on ImageNet. */
  temperature: number;
  /** Compute the gradients (default true). `false` skips all backward work. */
  grad?: boolean;
}

export interface NtXentResult extends LossValue {
  grads: { a: Matrix; b: Matrix };
}

const OP = 'ntXent';

/**
 * SimCLR's NT-Xent loss on two views (Chen et al. 2020): row i of `a` and row i of `b` are a
 * positive pair, every other row of both views is a negative.
 *
 * With z = [a; b] (2N rows), u = z / ||z|| and l = u u^T / tau:
 *   L = 1/(2N) sum_i [ -l_{i,p(i)} + log sum_{k != i} exp(l_ik) ],  p(i) = the other view of i.
 * The mean over 2N rows (SimCLR's reference code returns twice this). Gradients are with respect
 * to the unnormalized a and b.
 *
 * @example
 * ```ts
 * await init();
 * const a = { data: new Float32Array(256 * 128).map(() => Math.random()), rows: 256, cols: 128 };
 * const b = { data: new Float32Array(256 * 128).map(() => Math.random()), rows: 256, cols: 128 };
 * const { loss, grads, dTemperature } = ntXent(a, b, { temperature: 0.1 });
 * // grads.a, grads.b: d loss / d a, d loss / d b, to backpropagate into the encoder
 * ```
 */
export function ntXent(a: MatrixLike, b: MatrixLike, opts: NtXentOptions & { grad: false }): LossValue;
export function ntXent(a: MatrixLike, b: MatrixLike, opts: NtXentOptions): NtXentResult;
export function ntXent(a: MatrixLike, b: MatrixLike, opts: NtXentOptions): NtXentResult | LossValue {
  const A = toMatrix(a, 'a', OP);
  const B = toMatrix(b, 'b', OP);
  sameShape(B, A, 'b', 'a', OP);
  const tau = temperature(opts, OP);
  const grad = flag(opts.grad, 'grad', OP, true);
  const n = A.rows * A.cols;
  const {
    k,
    p: [z, gz, out],
  } = callKernel(OP, [8 * n, grad ? 8 * n : 0, 16]);
  const zv = f32(k, z, 2 * n);
  zv.set(A.data, 0);
  zv.set(B.data, n);
  checkStatus(OP, k.ct_ntxent(z, 2 * A.rows, A.cols, tau, grad ? gz : 0, out));
  const value = lossValue(k, out, OP);
  if (!grad) return value;
  return {
    ...value,
    grads: { a: copyOut(k, gz, A.rows, A.cols), b: copyOut(k, gz + 4 * n, B.rows, B.cols) },
  };
}
