// What the losses add to the kernel call (runtime/kernel.ts): the [loss, dL/dtau] out slot.
import { ContrastiveError } from '../errors.js';
import type { KernelExports } from '../runtime/abi.js';
import { f64 } from '../runtime/memory.js';

export { checkStatus, copyOut } from '../runtime/kernel.js';

/** What every loss returns besides its gradients. */
export interface LossValue {
  /** The loss: a mean over its terms. */
  loss: number;
  /** d loss / d temperature, for a learned temperature. */
  dTemperature: number;
}

/** Reads [loss, dL/dtau] from the kernel's out slot. */
export function lossValue(k: KernelExports, out: number, op: string): LossValue {
  const [loss, dTemperature] = f64(k, out, 2);
  if (!Number.isFinite(loss) || !Number.isFinite(dTemperature)) {
    throw new ContrastiveError('NON_FINITE', `${op}: the loss came out ${loss} (d/dtemperature ${dTemperature}); please report the inputs`);
  }
  return { loss, dTemperature };
}
