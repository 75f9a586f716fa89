// What every loss does around its kernel call: status codes to errors, results out of wasm memory.
import { ContrastiveError } from '../errors.js';
import { STATUS_INVALID_ARGUMENT, STATUS_OK, STATUS_OUT_OF_MEMORY, type KernelExports } from '../runtime/abi.js';
import { f32, f64 } from '../runtime/memory.js';
import type { Matrix } from '../types.js';

/** What every loss returns besides its gradients. */
export interface LossValue {
  /** The loss: a mean over its terms. */
  loss: number;
  /** d loss / d temperature, for a learned temperature. */
  dTemperature: number;
}

export function checkStatus(op: string, status: number): void {
  if (status === STATUS_OK) return;
  if (status === STATUS_OUT_OF_MEMORY) {
    throw new ContrastiveError('OUT_OF_MEMORY', `${op}: WebAssembly memory could not grow for the kernel's scratch space`);
  }
  if (status === STATUS_INVALID_ARGUMENT) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the kernel rejected its arguments (a validation gap: please report it)`);
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `${op}: unknown kernel status ${status}`);
}

/** Reads [loss, dL/dtau] from the kernel's out slot. */
export function lossValue(k: KernelExports, out: number, op: string): LossValue {
  const [loss, dTemperature] = f64(k, out, 2);
  if (!Number.isFinite(loss) || !Number.isFinite(dTemperature)) {
    throw new ContrastiveError('NON_FINITE', `${op}: the loss came out ${loss} (d/dtemperature ${dTemperature}); please report the inputs`);
  }
  return { loss, dTemperature };
}

/** Copies `rows x cols` floats at `ptr` out of wasm memory into a caller-owned Matrix. */
export function copyOut(k: KernelExports, ptr: number, rows: number, cols: number): Matrix {
  return { data: f32(k, ptr, rows * cols).slice(), rows, cols };
}
