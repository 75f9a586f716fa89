// CSV as RFC 4180 defines it (quoted fields with "" for a quote, CRLF records), plus what real
// files have: LF or CR-only line ends, a UTF-8 byte-order mark, `;` or tab as the delimiter.
// The header is an option, never guessed; numbers are checked to fit float32.
import { ContrastiveError } from '../errors.js';
import type { Matrix } from '../types.js';

export interface CsvOptions {
  /** Field delimiter: ',' (default), ';' or '\t'. */
  delimiter?: ',' | ';' | '\t';
  /** The first record names the columns (default true). */
  header?: boolean;
  /** The file's name, for error messages. */
  name?: string;
}

export interface CsvRecords {
  /** Column names (when `header` is true). */
  header?: string[];
  records: string[][];
  /** 1-based line where each record starts (for messages). */
  lines: number[];
}

const DELIMITERS = [',', ';', '\t'];

function options(opts: string | CsvOptions | undefined, op: string): Required<Omit<CsvOptions, 'name'>> & { name: string } {
  const o = typeof opts === 'string' ? { name: opts } : (opts ?? {});
  const delimiter = o.delimiter ?? ',';
  if (!DELIMITERS.includes(delimiter)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: delimiter must be ',', ';' or '\\t', got ${JSON.stringify(delimiter)}`);
  }
  if (o.header !== undefined && typeof o.header !== 'boolean') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: header must be a boolean, got ${String(o.header)}`);
  }
  return { delimiter, header: o.header ?? true, name: o.name ?? 'file' };
}

/**
 * Splits CSV text into records of string fields. Quoted fields may hold delimiters, line breaks
 * and doubled quotes; a quote inside an unquoted field, text after a closing quote, an
 * unterminated quote or a record with a different number of fields than the first is an error
 * naming the line. Empty lines are skipped; a trailing line break is not a record.
 */
export function parseCsvRecords(text: string, opts?: string | CsvOptions): CsvRecords {
  const OP = 'parseCsv';
  if (typeof text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: text must be a string, got ${typeof text}`);
  const { delimiter, header, name } = options(opts, OP);
  const fail = (line: number, why: string) => new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} line ${line}: ${why}`);
  const d = delimiter.charCodeAt(0);
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const records: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  const n = s.length;
  while (i < n) {
    // one record
    const startLine = line;
    const fields: string[] = [];
    let c = s.charCodeAt(i);
    if (c === 10 || c === 13) {
      // an empty line
      i += c === 13 && s.charCodeAt(i + 1) === 10 ? 2 : 1;
      line++;
      continue;
    }
    for (;;) {
      let field: string;
      if (s.charCodeAt(i) === 34) {
        const quoteLine = line;
        let out = '';
        let j = i + 1;
        for (;;) {
          const q = s.indexOf('"', j);
          if (q < 0) throw fail(quoteLine, 'a quoted field is never closed');
          const part = s.slice(j, q);
          for (let k = 0; k < part.length; k++) {
            const ch = part.charCodeAt(k);
            if (ch === 10 || (ch === 13 && part.charCodeAt(k + 1) !== 10)) line++;
          }
          out += part;
          if (s.charCodeAt(q + 1) === 34) {
            out += '"';
            j = q + 2;
            continue;
          }
          i = q + 1;
          break;
        }
        field = out;
        c = s.charCodeAt(i);
        if (i < n && c !== d && c !== 10 && c !== 13) {
          throw fail(line, `unexpected ${JSON.stringify(s[i])} after a closing quote (a quote inside a quoted field is written "")`);
        }
      } else {
        let j = i;
        while (j < n) {
          const ch = s.charCodeAt(j);
          if (ch === d || ch === 10 || ch === 13) break;
          if (ch === 34) throw fail(line, 'a quote inside an unquoted field (quote the whole field and double the quote: "a ""b"" c")');
          j++;
        }
        field = s.slice(i, j);
        i = j;
      }
      fields.push(field);
      c = s.charCodeAt(i);
      if (i < n && c === d) {
        i++;
        continue;
      }
      // end of record: CRLF, LF, CR, or end of text
      if (c === 13 && s.charCodeAt(i + 1) === 10) i += 2;
      else if (i < n) i++;
      line++;
      break;
    }
    if (records.length > 0 && fields.length !== records[0].length) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${OP}: ${name} line ${startLine} has ${fields.length} fields, expected ${records[0].length} (as line ${lines[0]})`,
      );
    }
    records.push(fields);
    lines.push(startLine);
  }
  if (records.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} is empty`);
  if (!header) return { records, lines };
  return { header: records[0], records: records.slice(1), lines: lines.slice(1) };
}

const NUMBER = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/**
 * One CSV cell as a float32 value: a decimal number (`1`, `-2.5`, `.5`, `1e-3`) within float32
 * range; anything else (empty, NaN, inf, `1e39`, hex, words) is an error naming line and column.
 */
export function csvNumber(cell: string, where: () => string, op = 'parseCsv'): number {
  if (!NUMBER.test(cell)) {
    const t = cell.trim().toLowerCase();
    const code = ['nan', 'inf', '+inf', '-inf', 'infinity', '+infinity', '-infinity'].includes(t) ? 'NON_FINITE' : 'INVALID_ARGUMENT';
    throw new ContrastiveError(code, `${op}: ${where()}: ${JSON.stringify(cell)} is ${cell.trim() === '' ? 'empty' : 'not a finite number'}`);
  }
  const v = Number(cell);
  if (!Number.isFinite(Math.fround(v))) {
    throw new ContrastiveError('NON_FINITE', `${op}: ${where()}: ${cell.trim()} is outside the float32 range (|x| < 3.4e38)`);
  }
  return v;
}

/**
 * A numeric CSV file as a float32 matrix, one row per record. The first record is the header
 * unless `header: false`; a header whose every name is a number is refused (pass `header: false`).
 */
export function parseCsv(text: string, opts?: string | CsvOptions): Matrix & { header?: string[] } {
  const o = options(opts, 'parseCsv');
  const { header, records, lines } = parseCsvRecords(text, o);
  if (header && header.every((h) => NUMBER.test(h))) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `parseCsv: ${o.name} line 1 (${header.slice(0, 4).join(',')}${header.length > 4 ? ',...' : ''}) is all numbers: if the file has no header, pass header: false`,
    );
  }
  const cols = (header ?? records[0]).length;
  if (records.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `parseCsv: ${o.name} has a header but no rows`);
  const data = new Float32Array(records.length * cols);
  records.forEach((rec, r) => {
    rec.forEach((c, j) => {
      data[r * cols + j] = csvNumber(c, () => `${o.name} line ${lines[r]}, column ${header ? JSON.stringify(header[j]) : j + 1}`);
    });
  });
  return { data, rows: records.length, cols, header };
}

export interface CsvTableOptions extends CsvOptions {
  /** The column holding the class label (any text or integers); it is not a feature. */
  label?: string;
  /** Columns of categories (text) to one-hot encode, in sorted category order. */
  categorical?: string[];
  /** Columns to leave out (ids, free text). */
  ignore?: string[];
}

export interface CsvTable {
  /** The features, float32, one row per record. */
  x: Matrix;
  /** Names of x's columns: a numeric column's name, or `name=category` for one-hot columns. */
  columns: string[];
  /** Class ids 0..K-1 of each row, when `label` is given. */
  labels?: Int32Array;
  /** The label text of each class id. */
  classes?: string[];
}

/** Sorted distinct values: numerically when all are numbers, else as strings. */
function sortedValues(values: string[]): string[] {
  const u = [...new Set(values)];
  if (u.every((v) => NUMBER.test(v))) return u.sort((a, b) => Number(a) - Number(b));
  return u.sort();
}

/**
 * A CSV table with a header: a label column chosen by name, categorical columns one-hot encoded
 * when listed in `categorical` (any other non-numeric cell is an error that names the column and
 * suggests it), columns in `ignore` dropped.
 */
export function csvTable(text: string, opts: CsvTableOptions = {}): CsvTable {
  const OP = 'csvTable';
  if (opts.header === false) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: needs a header (columns are chosen by name)`);
  const name = opts.name ?? 'file';
  const { header, records, lines } = parseCsvRecords(text, { ...opts, header: true });
  const cols = header!;
  const index = (col: string, what: string) => {
    const j = cols.indexOf(col);
    if (j < 0)
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${OP}: ${what} ${JSON.stringify(col)} is not a column of ${name} (columns: ${cols.map((c) => JSON.stringify(c)).join(', ')})`,
      );
    return j;
  };
  const dup = cols.find((c, j) => cols.indexOf(c) !== j);
  if (dup !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} has two columns named ${JSON.stringify(dup)}`);
  if (records.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} has a header but no rows`);
  const labelJ = opts.label === undefined ? -1 : index(opts.label, 'label');
  const cat = new Set((opts.categorical ?? []).map((c) => index(c, 'categorical column')));
  const skip = new Set((opts.ignore ?? []).map((c) => index(c, 'ignored column')));
  const columns: string[] = [];
  const encoders: ((rec: string[], r: number, out: Float32Array, at: number) => void)[] = [];
  let width = 0;
  cols.forEach((col, j) => {
    if (j === labelJ || skip.has(j)) return;
    const at = width;
    if (cat.has(j)) {
      const values = sortedValues(records.map((rec) => rec[j]));
      const pos = new Map(values.map((v, k) => [v, k]));
      values.forEach((v) => columns.push(`${col}=${v}`));
      width += values.length;
      encoders.push((rec, _r, out, o) => void (out[o + at + pos.get(rec[j])!] = 1));
      return;
    }
    columns.push(col);
    width += 1;
    encoders.push((rec, r, out, o) => {
      const cell = rec[j];
      if (!NUMBER.test(cell) && cell.trim() !== '' && !/^\s*[+-]?(nan|inf(inity)?)\s*$/i.test(cell)) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${OP}: ${name} line ${lines[r]}, column ${JSON.stringify(col)}: ${JSON.stringify(cell)} is not a number; list the column in categorical to one-hot encode it, or in ignore to drop it`,
        );
      }
      out[o + at] = csvNumber(cell, () => `${name} line ${lines[r]}, column ${JSON.stringify(col)}`, OP);
    });
  });
  if (width === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} has no feature columns left`);
  const data = new Float32Array(records.length * width);
  records.forEach((rec, r) => encoders.forEach((e) => e(rec, r, data, r * width)));
  const out: CsvTable = { x: { data, rows: records.length, cols: width }, columns };
  if (labelJ >= 0) {
    const raw = records.map((rec, r) => {
      if (rec[labelJ].trim() === '') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} line ${lines[r]}: the label is empty`);
      return rec[labelJ];
    });
    const classes = sortedValues(raw);
    const id = new Map(classes.map((c, k) => [c, k]));
    out.labels = Int32Array.from(raw, (v) => id.get(v)!);
    out.classes = classes;
  }
  return out;
}

export interface CsvPairsOptions extends CsvOptions {
  /** The anchor's columns: names, or `prefix*` for every column whose name starts with prefix (in file order). */
  anchor: string[];
  /** The positive's columns, likewise (any number: each side has its own tower). */
  positive: string[];
  /** Optional hard negatives: as many columns as `positive` (the positive's tower encodes them). */
  negative?: string[];
}

/** The rows of a CSV file as (anchor, positive[, negative]) vectors, each side a group of numeric columns. */
export interface CsvPairs {
  anchor: Matrix;
  positive: Matrix;
  negative?: Matrix;
  /** The column names of each side, in the order of the vectors' values. */
  columns: { anchor: string[]; positive: string[]; negative?: string[] };
}

/**
 * Vector pairs (or triplets) from column groups of one CSV table with a header: row i gives
 * anchor i, its positive and, with `negative`, its hard negative. Other columns are ignored. A
 * column that is not in the file, a pattern that matches none, a column in two groups, a
 * negative group whose size is not the positive's, or a cell that is not a finite number is a
 * ContrastiveError naming the file (and line and column).
 */
export function csvPairs(text: string, opts: CsvPairsOptions): CsvPairs {
  const OP = 'csvPairs';
  if (opts === null || typeof opts !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: options { anchor, positive, negative? } are required`);
  if (opts.header === false) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: needs a header (columns are chosen by name)`);
  const name = opts.name ?? 'file';
  const { header, records, lines } = parseCsvRecords(text, { ...opts, header: true });
  const cols = header!;
  if (records.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} has a header but no rows`);
  const owner = new Map<number, string>();
  const group = (what: 'anchor' | 'positive' | 'negative', list: string[] | undefined): number[] => {
    if (!Array.isArray(list) || list.length === 0 || list.some((c) => typeof c !== 'string' || c === ''))
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${OP}: ${what} must be a non-empty array of column names (or prefix* patterns), got ${JSON.stringify(list)}`,
      );
    const out: number[] = [];
    for (const c of list) {
      const hits = c.endsWith('*') ? cols.flatMap((h, j) => (h.startsWith(c.slice(0, -1)) ? [j] : [])) : cols.indexOf(c) >= 0 ? [cols.indexOf(c)] : [];
      if (hits.length === 0)
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${OP}: ${what} column ${JSON.stringify(c)} ${c.endsWith('*') ? 'matches no column' : 'is not a column'} of ${name} (columns: ${cols
            .slice(0, 12)
            .map((h) => JSON.stringify(h))
            .join(', ')}${cols.length > 12 ? ', ...' : ''})`,
        );
      for (const j of hits) {
        const prev = owner.get(j);
        if (prev !== undefined)
          throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: column ${JSON.stringify(cols[j])} of ${name} is in both the ${prev} and the ${what} columns`);
        owner.set(j, what);
        out.push(j);
      }
    }
    return out;
  };
  const ja = group('anchor', opts.anchor);
  const jp = group('positive', opts.positive);
  const jn = opts.negative === undefined ? undefined : group('negative', opts.negative);
  if (jn && jn.length !== jp.length)
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${OP}: ${name} has ${jn.length} negative columns and ${jp.length} positive ones; they must be as many (the positive's tower encodes the negatives)`,
    );
  const matrix = (js: number[]): Matrix => {
    const data = new Float32Array(records.length * js.length);
    records.forEach((rec, r) =>
      js.forEach((j, k) => {
        data[r * js.length + k] = csvNumber(rec[j], () => `${name} line ${lines[r]}, column ${JSON.stringify(cols[j])}`, OP);
      }),
    );
    return { data, rows: records.length, cols: js.length };
  };
  const names = (js: number[]) => js.map((j) => cols[j]);
  const out: CsvPairs = { anchor: matrix(ja), positive: matrix(jp), columns: { anchor: names(ja), positive: names(jp) } };
  if (jn) {
    out.negative = matrix(jn);
    out.columns.negative = names(jn);
  }
  return out;
}

/** A float32 matrix as CSV text (a header line first when given); numbers round-trip exactly. */
export function writeCsv(m: Matrix, header?: string[]): string {
  const quote = (s: string) => (/[",;\t\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const out: string[] = header ? [header.map(quote).join(',')] : [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)).join(','));
  return out.join('\n') + '\n';
}
