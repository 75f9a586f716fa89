// The sliding window Conv2d and the pools share (crates/contrastive-kernels/src/nn/window.rs):
// kernel size, stride and padding, their checks, the output size and the kernels' geometry block.
import { ContrastiveError } from '../errors.js';
import type { KernelExports } from '../runtime/abi.js';
import { u32 } from '../runtime/memory.js';

export type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);

/**
 * Output size of a window op: floor((size + 2 pad - k) / stride) + 1, or 0 when it does not fit.
 * @internal
 */
export function outSize(size: number, k: number, s: number, p: number): number {
  return size + 2 * p < k ? 0 : Math.floor((size + 2 * p - k) / s) + 1;
}

/** @internal A kernel of `kernelSize` moved by `stride` over planes padded by `padding` (dilation 1). */
export class Window2d {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  /** Throws INVALID_ARGUMENT naming `type` unless kernel and stride are integers >= 1 and padding >= 0. */
  constructor(type: string, kernelSize: Pair, stride: Pair, padding: Pair) {
    this.kernelSize = pair(kernelSize);
    this.stride = pair(stride);
    this.padding = pair(padding);
    const ints: [number, string, number][] = [
      [this.kernelSize[0], 'kernelSize', 1],
      [this.kernelSize[1], 'kernelSize', 1],
      [this.stride[0], 'stride', 1],
      [this.stride[1], 'stride', 1],
      [this.padding[0], 'padding', 0],
      [this.padding[1], 'padding', 0],
    ];
    for (const [v, name, min] of ints) {
      if (!Number.isInteger(v) || v < min) throw new ContrastiveError('INVALID_ARGUMENT', `${type}: ${name} must be an integer >= ${min}, got ${String(v)}`);
    }
  }

  /** [Ho, Wo] on an h x w input; a 0 means the kernel does not fit the padded input. */
  outHw(h: number, w: number): [number, number] {
    return [outSize(h, this.kernelSize[0], this.stride[0], this.padding[0]), outSize(w, this.kernelSize[1], this.stride[1], this.padding[1])];
  }

  /** Writes the conv and pool exports' geometry, [n, c, h, w, cout, kh, kw, sh, sw, ph, pw] as 11 u32, at `ptr`. */
  writeGeometry(k: KernelExports, ptr: number, n: number, c: number, h: number, w: number, cout: number): void {
    u32(k, ptr, 11).set([n, c, h, w, cout, ...this.kernelSize, ...this.stride, ...this.padding]);
  }
}
