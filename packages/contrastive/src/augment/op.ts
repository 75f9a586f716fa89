// How augmentations run: each op samples its parameters per image from that image's own Rng,
// then transforms the whole batch in one kernel call. A pipeline reserves its buffers once,
// copies the batch in once, runs every kernel in WebAssembly memory and copies out once.
import { ContrastiveError } from '../errors.js';
import { checkStatus } from '../runtime/kernel.js';
import type { KernelExports } from '../runtime/abi.js';
import { getRuntime } from '../runtime/init.js';
import { f32 } from '../runtime/memory.js';
import { checkBatchShape, imageLen, nonFinite, shapeOf, type ImageBatch, type ImageShape } from './image.js';
import type { Rng } from '../rng.js';

/** Where a kernel reads and writes: `src` holds the input; an op writes `dst` or works in place. */
export interface Buffers {
  src: number;
  dst: number;
  /** the op's parameter buffers, sized by `paramBytes` */
  params: number[];
}

/** One image augmentation; P is one image's parameters. */
export interface ImageOp<P = unknown> {
  readonly name: string;
  /** Shape of an output image for an input of shape `s`. */
  outShape(s: ImageShape): ImageShape;
  /** Draws one image's parameters (in a fixed order) from its generator. */
  sample(rng: Rng, s: ImageShape): P;
  /** Parameters that leave the image unchanged (RandomApply's "not applied"). */
  identity(s: ImageShape): P;
  /**
   * True when `run` with identity parameters leaves an image where it is, untouched, at next to
   * no cost (the kernel skips it): RandomApply then runs the op on the whole batch instead of
   * moving the applied images out and back. A performance hint only (the identity parameters
   * must leave the image unchanged either way). Optional; absent means false.
   */
  readonly noopIdentity?: boolean;
  /**
   * The most floats per image that `run` writes into `src`/`dst` for input shape `s`, when more
   * than its input and output take (an op made of ops, like RandomApply, whose inner steps may
   * be larger than both). Optional; absent means max(input, output).
   */
  maxImageLen?(s: ImageShape): number;
  /** Byte sizes of the parameter buffers for a batch of n. */
  paramBytes(n: number, s: ImageShape): number[];
  /** Writes the parameters and runs the kernel; returns true when the result is in `dst`. */
  run(k: KernelExports, b: Buffers, n: number, s: ImageShape, params: P[], op: string): boolean;
}

/** Fresh typed views (never kept across a kernel call). */
export const viewU32 = (k: KernelExports, p: number, len: number) => new Uint32Array(k.memory.buffer, p, len);
export const viewF32 = (k: KernelExports, p: number, len: number) => f32(k, p, len);
export { checkStatus };
export const imageLenOf = imageLen;

/**
 * Runs `ops` in order on `x`, image i with `params[j][i]` for op j. `x` must have passed
 * `checkBatchShape`; its values are checked here, after the copy into wasm memory (NON_FINITE,
 * before any kernel runs).
 */
export function runOps(opName: string, ops: ImageOp[], x: ImageBatch, params: unknown[][]): ImageBatch {
  return runOpsWith(opName, ops, x.n, shapeOf(x), (mem) => mem.set(x.data), params);
}

/**
 * {@link runOps} for a batch of n images of shape `shape` that `load` writes straight into wasm
 * memory (e.g. gathered from a dataset, without a JS copy of the batch first); the result is
 * copied into `into` at element `at` when given (returned as a subarray of it), else into a new
 * array.
 */
export function runOpsWith(
  opName: string,
  ops: ImageOp[],
  n: number,
  shape: ImageShape,
  load: (mem: Float32Array) => void,
  params: unknown[][],
  into?: Float32Array,
  at = 0,
): ImageBatch {
  const shapes: ImageShape[] = [shape];
  for (const o of ops) shapes.push(o.outShape(shapes[shapes.length - 1]));
  const maxLen = n * Math.max(...shapes.map(imageLen), ...ops.map((o, j) => o.maxImageLen?.(shapes[j]) ?? 0));
  const pbytes = ops.map((o, j) => o.paramBytes(n, shapes[j]));
  const { k, arena } = getRuntime(opName);
  const ptrs = arena.reserve(opName, [4 * maxLen, 4 * maxLen, ...pbytes.flat()]);
  let src = ptrs[0];
  let dst = ptrs[1];
  const inLen = n * imageLen(shape);
  load(f32(k, src, inLen));
  const bad = k.ct_first_nonfinite(src, inLen);
  if (bad >= 0) throw nonFinite(opName, 'images', f32(k, src, inLen)[bad], bad);
  let pa = 2;
  for (let j = 0; j < ops.length; j++) {
    const pp = ptrs.slice(pa, pa + pbytes[j].length);
    pa += pbytes[j].length;
    if (ops[j].run(k, { src, dst, params: pp }, n, shapes[j], params[j], opName)) [src, dst] = [dst, src];
  }
  const out = shapes[shapes.length - 1];
  const len = n * imageLen(out);
  const res = f32(k, src, len);
  if (!into) return { data: res.slice(), n, ...out };
  into.set(res, at);
  return { data: into.subarray(at, at + len), n, ...out };
}

/** Applies one op with explicit per-image parameters (one entry, or one per image). */
export function applyWith<P>(opName: string, op: ImageOp<P>, x: ImageBatch, params: P | P[]): ImageBatch {
  checkBatchShape(x, 'images', opName);
  const list = Array.isArray(params) ? params : Array.from({ length: x.n }, () => params);
  if (list.length !== x.n) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${opName}: got ${list.length} parameter sets, expected ${x.n} (one per image)`);
  }
  return runOps(opName, [op as ImageOp], x, [list]);
}

// ---- argument checks shared by the ops ----

export function num(v: unknown, name: string, op: string, lo: number, hi: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a number in [${lo}, ${hi}], got ${String(v)}`);
  }
  return v;
}

export function int(v: unknown, name: string, op: string, lo: number, hi: number, dflt?: number): number {
  const x = num(v, name, op, lo, hi, dflt);
  if (!Number.isInteger(x)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be an integer, got ${x}`);
  return x;
}

/** A [min, max] pair inside [lo, hi] with min <= max. */
export function pair(v: unknown, name: string, op: string, lo: number, hi: number, dflt?: [number, number]): [number, number] {
  if (v === undefined && dflt) return dflt;
  if (!Array.isArray(v) || v.length !== 2) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a [min, max] pair, got ${String(v)}`);
  }
  const a = num(v[0], `${name}[0]`, op, lo, hi);
  const b = num(v[1], `${name}[1]`, op, lo, hi);
  if (a > b) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must have min <= max, got [${a}, ${b}]`);
  return [a, b];
}

export function prob(v: unknown, op: string, dflt: number): number {
  return num(v, 'p', op, 0, 1, dflt);
}
