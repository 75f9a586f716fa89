// Runtime (crates/contrastive-kernels/src/abi/runtime.rs): version, instruction set, tile cache, input check.
import { table } from './table.js';

export interface RuntimeExports {
  ct_abi_version(): number;
  /** 0 scalar, 1 simd128, 2 relaxed. */
  ct_isa(): number;
  /** Index of the first NaN / +-inf of the len floats at x; -1 when all are finite. */
  ct_first_nonfinite(x: number, len: number): number;
  /** Bytes the two-pass losses may keep between their passes; returns the previous budget. */
  ct_set_tile_cache(bytes: number): number;
}

export const runtime = table<RuntimeExports>({ ct_abi_version: 0, ct_isa: 0, ct_first_nonfinite: 2, ct_set_tile_cache: 1 });
