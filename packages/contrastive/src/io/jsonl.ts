// JSON Lines: one JSON value per line (blank lines skipped), with errors that name the line.
import { ContrastiveError } from '../errors.js';
import type { Matrix } from '../types.js';

/** Parses JSONL text into its values; a line that is not JSON is an error naming the file and line. */
export function parseJsonl(text: string, name = 'file'): { values: unknown[]; lines: number[] } {
  if (typeof text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `parseJsonl: text must be a string, got ${typeof text}`);
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const values: unknown[] = [];
  const lines: number[] = [];
  s.split(/\r\n|\n|\r/).forEach((l, i) => {
    if (l.trim() === '') return;
    try {
      values.push(JSON.parse(l));
    } catch (e) {
      throw new ContrastiveError('INVALID_ARGUMENT', `parseJsonl: ${name} line ${i + 1} is not JSON (${(e as Error).message})`);
    }
    lines.push(i + 1);
  });
  if (values.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `parseJsonl: ${name} is empty`);
  return { values, lines };
}

/** A JSON array of finite float32 numbers as a row, or an error naming where it came from. */
export function numberRow(v: unknown, where: string, op: string): number[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${where} must be a non-empty array of numbers, got ${Array.isArray(v) ? '[]' : JSON.stringify(v)?.slice(0, 40)}`,
    );
  for (let j = 0; j < v.length; j++) {
    const x = v[j];
    if (typeof x !== 'number' || !Number.isFinite(Math.fround(x))) {
      throw new ContrastiveError(
        typeof x === 'number' ? 'NON_FINITE' : 'INVALID_ARGUMENT',
        `${op}: ${where}[${j}] is ${JSON.stringify(x)}, expected a finite float32 number`,
      );
    }
  }
  return v as number[];
}

export interface JsonlVectors {
  x: Matrix;
  labels?: Int32Array;
  classes?: string[];
}

/**
 * JSONL of vectors: each line an array of numbers, or an object holding the vector under
 * `field` (default: its one array-valued key) and, with `label`, a class label under that key.
 */
export function jsonlVectors(text: string, opts: { field?: string; label?: string; name?: string } = {}): JsonlVectors {
  const OP = 'jsonlVectors';
  const name = opts.name ?? 'file';
  const { values, lines } = parseJsonl(text, name);
  let cols = -1;
  let data = new Float32Array(0);
  const raw: string[] = [];
  values.forEach((v, r) => {
    const where = `${name} line ${lines[r]}`;
    let row: unknown = v;
    if (!Array.isArray(v)) {
      if (v === null || typeof v !== 'object')
        throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${where} must be an array of numbers or an object, got ${JSON.stringify(v)}`);
      const o = v as Record<string, unknown>;
      let key = opts.field;
      if (key === undefined) {
        const keys = Object.keys(o).filter((k) => Array.isArray(o[k]));
        if (keys.length !== 1)
          throw new ContrastiveError(
            'INVALID_ARGUMENT',
            `${OP}: ${where} has ${keys.length} array fields (${keys.join(', ') || 'none'}); name the vector's with field`,
          );
        key = keys[0];
      }
      row = o[key];
      if (opts.label !== undefined) {
        const l = o[opts.label];
        if (typeof l !== 'string' && typeof l !== 'number')
          throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${where} has no label ${JSON.stringify(opts.label)} (a string or number)`);
        raw.push(String(l));
      }
    } else if (opts.label !== undefined) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${where} is a bare array; labels need objects with a ${JSON.stringify(opts.label)} key`);
    }
    const nums = numberRow(row, opts.field ? `${where} ${opts.field}` : where, OP);
    if (cols < 0) {
      cols = nums.length;
      data = new Float32Array(values.length * cols);
    } else if (nums.length !== cols) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${OP}: ${where} has ${nums.length} values, expected ${cols} (as line ${lines[0]})`);
    }
    data.set(nums, r * cols);
  });
  const out: JsonlVectors = { x: { data, rows: values.length, cols } };
  if (opts.label !== undefined) {
    const numeric = raw.every((v) => v.trim() !== '' && Number.isFinite(Number(v)));
    const classes = [...new Set(raw)].sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
    const id = new Map(classes.map((c, k) => [c, k]));
    out.labels = Int32Array.from(raw, (v) => id.get(v)!);
    out.classes = classes;
  }
  return out;
}
