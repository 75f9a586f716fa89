// Inputs are converted and checked once, here, at the edge; messages name the op and the argument.
import { ContrastiveError } from './errors.js';
import type { Matrix, MatrixLike } from './types.js';

const shape = (m: { rows: number; cols: number }) => `[${m.rows}, ${m.cols}]`;

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/**
 * Checks a Matrix argument (finite values, consistent shape) and returns it with Float32Array data.
 * `finite: false` leaves the values to the caller, which checks them after copying them into wasm
 * memory (nonFiniteAt) rather than in a JS loop.
 */
export function toMatrix(x: MatrixLike, name: string, op: string, opts: { allowEmpty?: boolean; finite?: boolean } = {}): Matrix {
  if (x === null || typeof x !== 'object') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a Matrix { data, rows, cols }, got ${x === null ? 'null' : typeof x}`);
  }
  const { rows, cols, data } = x;
  if (!isCount(rows) || !isCount(cols)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.rows and ${name}.cols must be non-negative integers, got rows=${String(rows)}, cols=${String(cols)}`);
  }
  if (cols === 0 || (rows === 0 && !opts.allowEmpty)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} is empty (shape ${shape(x)}); at least one row and one column are needed`);
  }
  if (data === null || typeof data !== 'object' || typeof (data as ArrayLike<number>).length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.data must be a Float32Array or an array of numbers`);
  }
  if (data.length !== rows * cols) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name}.data has ${data.length} values, expected rows * cols = ${rows} * ${cols} = ${rows * cols}`);
  }
  const f = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  if (opts.finite === false) return { data: f, rows, cols };
  for (let i = 0; i < f.length; i++) {
    const v = f[i];
    if (v - v !== 0) throw nonFiniteAt(op, name, v, i, cols);
  }
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
  const t = opts?.temperature;
  if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: temperature must be a finite number > 0, got ${String(t)}`);
  }
  // Below ~1e-30 the logits 1/tau overflow float32 in the kernels.
  if (Math.fround(1 / t) === Infinity || Math.fround(t) === 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: temperature ${t} is too small for float32 logits (1/temperature overflows)`);
  }
  return t;
}

export function flag(v: unknown, name: string, op: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/** Integer class labels -> dense ids 0..K-1 (K <= length), checked. */
export function denseLabels(labels: ArrayLike<number>, rows: number, op: string): Uint32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: labels must be an array of integers`);
  }
  if (labels.length !== rows) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: labels has ${labels.length} entries, expected ${rows} (one per row of z)`);
  }
  const ids = new Map<number, number>();
  const out = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) {
    const l = labels[i];
    if (typeof l !== 'number' || !Number.isSafeInteger(l)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: labels[${i}] must be an integer, got ${String(l)}`);
    }
    let id = ids.get(l);
    if (id === undefined) ids.set(l, (id = ids.size));
    out[i] = id;
  }
  return out;
}
