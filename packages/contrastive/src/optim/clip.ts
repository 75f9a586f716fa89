import { ContrastiveError } from '../errors.js';
import { callKernel, checkStatus } from '../runtime/kernel.js';
import type { Parameter } from '../nn/module.js';
import { f64 } from '../runtime/memory.js';

/**
 * torch.nn.utils.clip_grad_norm_: scales every gradient by maxNorm / (total + 1e-6) when the
 * global L2 norm `total` exceeds maxNorm. Returns the norm before clipping.
 */
export function clipGradNorm(params: Parameter[], maxNorm: number): number {
  const op = 'clipGradNorm';
  if (typeof maxNorm !== 'number' || !(maxNorm > 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: maxNorm must be > 0, got ${String(maxNorm)}`);
  const {
    k,
    p: [out],
  } = callKernel(op, [8]);
  let ss = 0;
  for (const p of params) {
    checkStatus(op, k.ct_sumsq(p.gradPtr, p.size, out));
    ss += f64(k, out, 1)[0];
  }
  const total = Math.sqrt(ss);
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) for (const p of params) checkStatus(op, k.ct_scale(p.gradPtr, p.size, coef));
  return total;
}
