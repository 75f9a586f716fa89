// Shared by the threads suites (Node and Chromium): seeded inputs, exact-bit comparison, and the
// Linear workload both run.
import type { Linear } from '../../packages/contrastive/src/nn/linear.js';

/** `len` pseudo-random floats in [-0.5, 0.5) from a 32-bit LCG (the same sequence everywhere). */
export const rand = (len: number, seed: number) => {
  let x = seed >>> 0;
  return Float32Array.from({ length: len }, () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x / 4294967296 - 0.5));
};

/** Bits of every value, so -0 vs 0 and NaN payloads count as differences too. */
export const bits = (arrays: Float32Array[]) => arrays.map((a) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))));

/** Linear 784 -> 512 on 256 rows: forward, backward (dx, dW, db); every GEMM above the split
 * threshold. `L` is the entry's Linear (the Node or the browser build of the package). */
export function linearRun(L: typeof Linear): Float32Array[] {
  const lin = new L(784, 512, { seed: 11 });
  const y = lin.forward({ data: rand(256 * 784, 1), rows: 256, cols: 784 }, { training: true });
  const dx = lin.backward({ data: rand(256 * 512, 2), rows: 256, cols: 512 });
  const out = [y.data.slice(), dx.data.slice(), lin.weight.grad(), lin.bias!.grad()];
  lin.free();
  return out;
}
