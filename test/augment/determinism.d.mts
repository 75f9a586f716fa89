export function hashF32(data: Float32Array): string;
export function syntheticImages(
  n: number,
  h: number,
  w: number,
  c: number,
  seed: number,
): {
  data: Uint8Array;
  n: number;
  height: number;
  width: number;
  channels: 1 | 3 | 4;
};
export function computeViewHashes(lib: typeof import('../../packages/contrastive/src/index.js')): Record<string, [string, string]>;
