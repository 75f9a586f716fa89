// Shared by the threads suites (Node and Chromium): seeded inputs and exact-bit comparison.

/** `len` pseudo-random floats in [-0.5, 0.5) from a 32-bit LCG (the same sequence everywhere). */
export const rand = (len: number, seed: number) => {
  let x = seed >>> 0;
  return Float32Array.from({ length: len }, () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x / 4294967296 - 0.5));
};

/** Bits of every value, so -0 vs 0 and NaN payloads count as differences too. */
export const bits = (arrays: Float32Array[]) => arrays.map((a) => Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength))));
