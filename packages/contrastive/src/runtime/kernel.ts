// The one home of a kernel call, for every op: reserve the call's blocks in the arena, copy the
// inputs in, call the export, turn its status into a typed error, copy the results out.
// (Persistent buffers, such as a layer's parameters, are allocated by their owners; their calls
// still go through checkStatus.)
import { ContrastiveError } from '../errors.js';
import type { Matrix } from '../types.js';
import { STATUS_INVALID_ARGUMENT, STATUS_OK, STATUS_OUT_OF_MEMORY, type KernelExports } from './abi.js';
import { getRuntime } from './init.js';
import { f32 } from './memory.js';

/** The running kernels and one call's blocks. */
export interface KernelCall {
  k: KernelExports;
  /** Byte offsets of the blocks, in the order of the sizes asked for. */
  p: number[];
}

/**
 * Starts a call: the running kernels (NOT_INITIALIZED before `init`) and room for `bytes` (one
 * size per block, in bytes) in the arena. Offsets from an earlier call are invalid afterwards.
 */
export function callKernel(op: string, bytes: number[]): KernelCall {
  const { k, arena } = getRuntime(op);
  return { k, p: arena.reserve(op, bytes) };
}

/** Throws the typed error for a kernel's status; returns on OK. */
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

/** Copies `rows x cols` floats at `ptr` out of wasm memory into a caller-owned Matrix. */
export function copyOut(k: KernelExports, ptr: number, rows: number, cols: number): Matrix {
  return { data: f32(k, ptr, rows * cols).slice(), rows, cols };
}
