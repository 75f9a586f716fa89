// Token batches at the edge: ids and attention masks checked once and copied into wasm memory
// (ids as u32, masks as f32 0/1), shared by the text layers.
import { ContrastiveError } from '../errors.js';
import type { KernelExports } from '../runtime/abi.js';
import { f32, u32 } from '../runtime/memory.js';
import type { MatrixLike } from '../types.js';
import type { Buf } from './module.js';
import type { SplitMix32 } from '../rng.js';

/** @internal A batch's attention mask in wasm memory: b sequences of s positions, f32 0/1. */
export interface WMask {
  ptr: number;
  b: number;
  s: number;
}

/** Checks the shape of an ids or mask matrix (rows = sequences, cols = positions). */
export function tokenShape(x: MatrixLike, name: string, op: string): { rows: number; cols: number } {
  if (x === null || typeof x !== 'object' || !x.data || typeof x.data.length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be { data, rows, cols } (rows = sequences, cols = positions)`);
  }
  const { rows, cols } = x;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${name}.rows and ${name}.cols must be positive integers, got rows=${String(rows)}, cols=${String(cols)}`,
    );
  }
  if (x.data.length !== rows * cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name}.data has ${x.data.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  }
  return { rows, cols };
}

/**
 * Copies token ids into `buf` as u32 after checking each is an integer in [0, vocab): the error
 * names the sequence and the position.
 */
export function placeIds(k: KernelExports, buf: Buf, ids: MatrixLike, vocab: number, name: string, op: string): number {
  const { rows, cols } = tokenShape(ids, name, op);
  const n = rows * cols;
  const d = ids.data;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    if (!Number.isInteger(v) || v < 0 || v >= vocab) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name} has ${String(v)} at sequence ${Math.floor(i / cols)}, position ${i % cols}; token ids must be integers in [0, ${vocab})`,
      );
    }
  }
  const p = buf.ensure(n, op);
  u32(k, p, n).set(d instanceof Uint32Array || d instanceof Int32Array ? d : Uint32Array.from(d));
  return p;
}

/** Copies an attention mask (1 = token, 0 = padding; any nonzero counts as 1) as f32 0/1. */
export function placeMask(k: KernelExports, buf: Buf, mask: MatrixLike | undefined, rows: number, cols: number, name: string, op: string): WMask {
  const p = buf.ensure(rows * cols, op);
  const view = f32(k, p, rows * cols);
  if (mask === undefined) {
    view.fill(1);
    return { ptr: p, b: rows, s: cols };
  }
  const sh = tokenShape(mask, name, op);
  if (sh.rows !== rows || sh.cols !== cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has shape [${sh.rows}, ${sh.cols}], expected [${rows}, ${cols}] (the shape of the ids)`);
  }
  for (let i = 0; i < rows * cols; i++) {
    const v = mask.data[i];
    if (typeof v !== 'number' || v - v !== 0) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name} has ${String(v)} at sequence ${Math.floor(i / cols)}, position ${i % cols}; expected 0 or 1`,
      );
    }
    view[i] = v !== 0 ? 1 : 0;
  }
  return { ptr: p, b: rows, s: cols };
}

/** n values from N(0, std^2) (Box-Muller on the seeded generator). */
export function normalInit(n: number, std: number, rng: SplitMix32): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u1 = Math.max(rng.next(), 1e-300);
    const u2 = rng.next();
    const r = std * Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
