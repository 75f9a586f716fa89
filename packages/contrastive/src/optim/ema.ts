import { ContrastiveError } from '../errors.js';
import type { Module } from '../nn/module.js';
import { checkStatus } from '../runtime/kernel.js';

/**
 * Momentum (EMA) update of a target network, in place in WebAssembly memory:
 *   theta_target <- m theta_target + (1 - m) theta_online   for every parameter,
 * the target of MoCo (He et al. 2020) and BYOL (Grill et al. 2020). Evaluated in float64 and
 * rounded once, so it equals the same formula written in JavaScript bit for bit. Buffers
 * (BatchNorm running statistics) are not touched: the target's own forward passes keep them.
 * Parameters are matched by name; both modules must have the same architecture.
 */
export function momentumUpdate(target: Module, online: Module, m: number): void {
  const op = 'momentumUpdate';
  if (typeof m !== 'number' || !(m >= 0 && m <= 1)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: momentum must be a number in [0, 1], got ${String(m)}`);
  }
  const tp = new Map(target.namedParameters());
  for (const [name, p] of online.namedParameters()) {
    const t = tp.get(name);
    if (!t || t.size !== p.size) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${op}: the target has ${t ? `${t.size} values` : 'no parameter'} for ${name}, the online network ${p.size}`,
      );
    }
    checkStatus(op, p.k.ct_ema(t.ptr, p.ptr, p.size, m));
  }
}

/**
 * BYOL's target momentum at step k of K (Grill et al. 2020, section 3.2): increased from
 * `base` to 1 along a half cosine,
 *   m_k = 1 - (1 - base) (cos(pi k / (K - 1)) + 1) / 2,  and 1 from k = K - 1 on,
 * as lightly's `cosine_schedule(k, K, base, 1)`. base defaults to 0.996.
 */
export function cosineMomentum(step: number, totalSteps: number, base = 0.996): number {
  if (!(Number.isFinite(step) && step >= 0) || !Number.isFinite(totalSteps) || !(base >= 0 && base <= 1)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `cosineMomentum: needs step >= 0, finite totalSteps and base in [0, 1], got ${step}, ${totalSteps}, ${base}`,
    );
  }
  if (totalSteps <= 1 || step >= totalSteps - 1) return 1;
  return 1 - ((1 - base) * (Math.cos((Math.PI * step) / (totalSteps - 1)) + 1)) / 2;
}
