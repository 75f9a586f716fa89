import { callKernel } from '../runtime/kernel.js';
import { f32, u32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { denseLabels, flag, temperature, toMatrix } from '../validate.js';
import { checkStatus, copyOut, lossValue, type LossValue } from './kernel.js';

export interface SupConOptions {
  /** tau > 0 (Khosla et al. use 0.1). */
  temperature: number;
  /** Compute the gradients (default true). `false` skips all backward work. */
  grad?: boolean;
}

export interface SupConResult extends LossValue {
  grads: { z: Matrix };
}

const OP = 'supCon';

/**
 * Supervised contrastive loss, L_out of Khosla et al. 2020: every other row with the same label
 * is a positive. With P(i) = { k != i : y_k = y_i } and A = { i : P(i) non-empty }:
 *   L = 1/|A| sum_{i in A} -1/|P(i)| sum_{p in P(i)} [ l_ip - log sum_{k != i} exp(l_ik) ].
 * Rows whose label appears once are left out of the mean (not counted as 0); when no row has a
 * positive, L = 0 with zero gradients. No tau/tau_base factor. Labels are any integers.
 *
 * @example
 * ```ts
 * const z = { data: embeddings, rows: 512, cols: 128 };
 * const { loss, grads } = supCon(z, labels, { temperature: 0.1 }); // labels: one integer per row
 * ```
 */
export function supCon(z: MatrixLike, labels: ArrayLike<number>, opts: SupConOptions & { grad: false }): LossValue;
export function supCon(z: MatrixLike, labels: ArrayLike<number>, opts: SupConOptions): SupConResult;
export function supCon(z: MatrixLike, labels: ArrayLike<number>, opts: SupConOptions): SupConResult | LossValue {
  const Z = toMatrix(z, 'z', OP);
  const ids = denseLabels(labels, Z.rows, OP);
  const tau = temperature(opts, OP);
  const grad = flag(opts.grad, 'grad', OP, true);
  const n = Z.rows * Z.cols;
  const {
    k,
    p: [zp, lp, gz, out],
  } = callKernel(OP, [4 * n, 4 * Z.rows, grad ? 4 * n : 0, 16]);
  f32(k, zp, n).set(Z.data);
  u32(k, lp, Z.rows).set(ids);
  checkStatus(OP, k.ct_supcon(zp, lp, Z.rows, Z.cols, tau, grad ? gz : 0, out));
  const value = lossValue(k, out, OP);
  if (!grad) return value;
  return { ...value, grads: { z: copyOut(k, gz, Z.rows, Z.cols) } };
}
