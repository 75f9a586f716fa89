// The one home of argument checks: inputs are converted and checked once, here, at the edge;
// messages name the op, the argument, what was expected and what was given. Every other file
// imports its checks (and the finiteness loop) from here.
import { ContrastiveError } from './errors.js';
import { MAX_ALLOC_BYTES } from './runtime/memory.js';
import type { Matrix, MatrixLike } from './types.js';

const shape = (m: { rows: number; cols: number }) => `[${m.rows}, ${m.cols}]`;

/** A short, safe rendering of any value for an error message (no throw on symbols or BigInt, no huge dumps). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n (a BigInt)`;
  if (typeof v === 'symbol' || typeof v === 'function') return typeof v;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  if (typeof v === 'object') return `an object (${Object.prototype.toString.call(v).slice(8, -1)})`;
  return String(v);
}

/** A shape (or any list) for a message, whatever its elements are. */
export function shapeText(s: unknown): string {
  return Array.isArray(s) ? `[${s.map(describe).join(', ')}]` : describe(s);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** A plain object (not null, not an array): what an options or state argument must be. */
export function checkObject(v: unknown, name: string, op: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be an object, got ${describe(v)}`);
  }
  return v as Record<string, unknown>;
}

/** Options: undefined is {}, anything else must be an object. */
export function checkOptions<T>(v: T | undefined | null, op: string): T {
  if (v === undefined) return {} as T;
  return checkObject(v, 'options', op) as T;
}

/** An integer in [lo, hi]. */
export function checkInt(v: unknown, name: string, op: string, lo = 0, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    const range = hi === Number.MAX_SAFE_INTEGER ? `>= ${lo}` : `from ${lo} to ${hi}`;
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be an integer ${range}, got ${describe(v)}`);
  }
  return v;
}

/** A finite number (a real number, not a numeric string) in [lo, hi]. */
export function checkRange(v: unknown, name: string, op: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be in [${lo}, ${hi}], got ${describe(v)}`);
  }
  return v;
}

/** A learning rate: a finite number >= 0. */
export function checkLr(lr: unknown, op: string): number {
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr < 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: lr must be a finite number >= 0, got ${describe(lr)}`);
  }
  return lr;
}

/**
 * The finiteness loop: every element of `data` must be a finite number. Plain arrays must hold
 * numbers (not null, booleans or numeric strings, which Float32Array.from would coerce); BigInt
 * arrays are refused. Returns a Float32Array (the input itself when it is one). `cols` makes
 * errors say row and column. Values that overflow float32 (|v| > 3.4e38) are non-finite too.
 */
export function finiteData(data: unknown, name: string, op: string, opts: { cols?: number; length?: number; check?: boolean } = {}): Float32Array {
  const f = toFloat32(data, name, op);
  if (opts.length !== undefined && f.length !== opts.length) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has ${f.length} values, expected ${opts.length}`);
  }
  if (opts.check !== false) {
    for (let i = 0; i < f.length; i++) {
      const v = f[i];
      if (v - v !== 0) throw nonFiniteAt(op, name, data instanceof Float32Array ? v : (data as ArrayLike<number>)[i], i, opts.cols);
    }
  }
  return f;
}

/** Array-like numeric data as a Float32Array, refusing what would be coerced (see finiteData). */
export function toFloat32(data: unknown, name: string, op: string): Float32Array {
  if (data instanceof Float32Array) return data;
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a Float32Array or an array of numbers, got ${describe(data)}`);
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} is a ${data.constructor.name}; convert it to numbers (Float32Array) first`);
  }
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a Float32Array or an array of numbers, got a DataView`);
    return Float32Array.from(data as unknown as ArrayLike<number>);
  }
  const a = data as ArrayLike<unknown>;
  const n = a.length;
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.length must be a non-negative integer, got ${describe(n)}`);
  if (n * 4 > MAX_ALLOC_BYTES)
    throw new ContrastiveError('OUT_OF_MEMORY', `${op}: ${name} has ${n} values, more than one allocation can hold (${MAX_ALLOC_BYTES / 4} floats)`);
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = a[i];
    if (typeof v !== 'number') {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}[${i}] must be a number, got ${describe(v)}`);
    }
    f[i] = v;
  }
  return f;
}

/**
 * Checks a Matrix argument (finite values, consistent shape) and returns it with Float32Array data.
 * `finite: false` leaves the values to the caller, which checks them after copying them into wasm
 * memory (nonFiniteAt) rather than in a JS loop.
 */
export function toMatrix(x: MatrixLike, name: string, op: string, opts: { allowEmpty?: boolean; finite?: boolean } = {}): Matrix {
  if (x === null || typeof x !== 'object') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a Matrix { data, rows, cols }, got ${describe(x)}`);
  }
  const { rows, cols, data } = x;
  if (!isCount(rows) || !isCount(cols)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${name}.rows and ${name}.cols must be non-negative integers, got rows=${describe(rows)}, cols=${describe(cols)}`,
    );
  }
  if (cols === 0 || (rows === 0 && !opts.allowEmpty)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} is empty (shape ${shape(x)}); at least one row and one column are needed`);
  }
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.data must be a Float32Array or an array of numbers, got ${describe(data)}`);
  }
  if (data.length !== rows * cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name}.data has ${data.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  }
  const f = finiteData(data, `${name}.data`, op, { cols, check: opts.finite !== false });
  return { data: f, rows, cols };
}

/** The NON_FINITE error for value v at flat index i: row and column when `cols` is given. */
export function nonFiniteAt(op: string, name: string, v: number, i: number, cols?: number): ContrastiveError {
  const where = cols === undefined ? `index ${i}` : `row ${Math.floor(i / cols)}, column ${i % cols}`;
  return new ContrastiveError('NON_FINITE', `${op}: ${name} has ${v} at ${where}; every value must be finite`);
}

export function sameShape(x: Matrix, ref: Matrix, name: string, refName: string, op: string): void {
  if (x.rows !== ref.rows || x.cols !== ref.cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has shape ${shape(x)}, expected ${shape(ref)} (the shape of ${refName})`);
  }
}

export function sameCols(x: Matrix, ref: Matrix, name: string, refName: string, op: string): void {
  if (x.cols !== ref.cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has ${x.cols} columns, expected ${ref.cols} (the columns of ${refName})`);
  }
}

export function temperature(opts: { temperature?: unknown } | undefined, op: string): number {
  const t = opts === null || typeof opts !== 'object' ? undefined : opts.temperature;
  return checkTemperature(t, 'temperature', op);
}

/** A temperature the float32 kernels can use: finite and > 0 in float32, 1/tau finite in float32. */
export function checkTemperature(t: unknown, name: string, op: string): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a finite number > 0, got ${describe(t)}`);
  }
  if (!Number.isFinite(Math.fround(t))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} ${t} is too large for float32 (at most 3.4e38)`);
  }
  // Below ~1e-30 the logits 1/tau overflow float32 in the kernels.
  if (Math.fround(1 / t) === Infinity || Math.fround(t) === 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} ${t} is too small for float32 logits (1/${name} overflows)`);
  }
  return t;
}

export function flag(v: unknown, name: string, op: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/** Integer class labels -> dense ids 0..K-1 (K <= length), checked. */
export function denseLabels(labels: ArrayLike<number>, rows: number, op: string): Uint32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: labels must be an array of integers, got ${describe(labels)}`);
  }
  if (labels.length !== rows) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: labels has ${labels.length} entries, expected ${rows} (one per row of z)`);
  }
  const ids = new Map<number, number>();
  const out = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    const l = labels[i];
    if (typeof l !== 'number' || !Number.isSafeInteger(l)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: labels[${i}] must be an integer, got ${describe(l)}`);
    }
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    out[i] = id;
  }
  return out;
}
