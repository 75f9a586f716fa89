// Text rows for sentence-embedding training: (anchor, positive[, negative ...]) with an optional label,
// from JSONL, CSV or TSV, with sentence-transformers' column conventions.
import { ContrastiveError } from '../errors.js';
import { parseCsvRecords } from '../io/csv.js';
import { parseJsonl } from '../io/jsonl.js';
import { mulberry32 } from '../rng.js';

/** Column names that hold the label rather than a text (sentence-transformers: "label" or "score"). */
export const LABEL_COLUMNS = ['label', 'score'] as const;

export interface TextRows {
  /** The text columns, in role order: anchor, positive, then negatives (names as in the file). */
  columns: string[];
  /** rows x columns texts. */
  texts: string[][];
  /** The label/score column's name, when the file has one. */
  labelColumn?: string;
  /** One label per row (similarity score for CoSENT, 1/0 for ContrastiveLoss, class for triplet). */
  labels?: Float32Array;
  /** 1-based source line of each row, for messages. */
  lines: number[];
}

export interface TextRowsOptions {
  /** 'jsonl', 'csv' or 'tsv'; default from the name's extension (else JSONL when the first character is '{'). */
  format?: 'jsonl' | 'csv' | 'tsv';
  /** The file's name, for messages and the format guess. */
  name?: string;
  /** At least this many text columns (default 1). */
  minColumns?: number;
}

const OP = 'parseTextRows';

function formatOf(text: string, opts: TextRowsOptions): 'jsonl' | 'csv' | 'tsv' {
  if (opts.format) {
    if (!['jsonl', 'csv', 'tsv'].includes(opts.format)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: format must be 'jsonl', 'csv' or 'tsv', got ${String(opts.format)}`);
    }
    return opts.format;
  }
  const n = (opts.name ?? '').toLowerCase();
  if (n.endsWith('.jsonl') || n.endsWith('.json') || n.endsWith('.ndjson')) return 'jsonl';
  if (n.endsWith('.tsv') || n.endsWith('.tab')) return 'tsv';
  if (n.endsWith('.csv')) return 'csv';
  return text.trimStart().startsWith('{') ? 'jsonl' : 'csv';
}

/**
 * Reads text rows. The columns' order gives their roles (the first text column is the anchor,
 * the second the positive, the rest negatives), whatever their names, as sentence-transformers
 * does; a column named `label` or `score` is the label. CSV/TSV need a header line; JSONL rows are
 * objects with the same keys as the first row. Every text must be a non-empty string; errors name
 * the file, the line and the column.
 */
export function parseTextRows(text: string, opts: TextRowsOptions = {}): TextRows {
  if (typeof text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: text must be a string, got ${typeof text}`);
  const name = opts.name ?? 'file';
  const fmt = formatOf(text, opts);
  let header: string[];
  let records: unknown[][];
  let lines: number[];
  if (fmt === 'jsonl') {
    const j = parseJsonl(text, name);
    const first = j.values[0];
    if (first === null || typeof first !== 'object' || Array.isArray(first)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} line ${j.lines[0]}: expected a JSON object such as {"anchor": "...", "positive": "..."}`);
    }
    header = Object.keys(first);
    records = j.values.map((v, i) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} line ${j.lines[i]}: expected a JSON object`);
      }
      const o = v as Record<string, unknown>;
      for (const c of header) {
        if (!(c in o))
          throw new ContrastiveError(
            'INVALID_ARGUMENT',
            `${OP}: ${name} line ${j.lines[i]}: missing column "${c}" (the first row has ${header.map((h) => `"${h}"`).join(', ')})`,
          );
      }
      const extra = Object.keys(o).find((c) => !header.includes(c));
      if (extra !== undefined)
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${OP}: ${name} line ${j.lines[i]}: unexpected column "${extra}" (the first row has ${header.map((h) => `"${h}"`).join(', ')})`,
        );
      return header.map((c) => o[c]);
    });
    lines = j.lines;
  } else {
    const r = parseCsvRecords(text, { delimiter: fmt === 'tsv' ? '\t' : ',', header: true, name });
    header = r.header ?? [];
    records = r.records;
    lines = r.lines;
    records.forEach((rec, i) => {
      if (rec.length !== header.length) {
        throw new ContrastiveError(
          'SHAPE_MISMATCH',
          `${OP}: ${name} line ${lines[i]} has ${rec.length} fields, expected ${header.length} (${header.join(', ')})`,
        );
      }
    });
  }
  if (records.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} has no rows`);
  const labelIdx = header.findIndex((h) => (LABEL_COLUMNS as readonly string[]).includes(h.trim().toLowerCase()));
  const textIdx = header.map((_, i) => i).filter((i) => i !== labelIdx);
  const minColumns = opts.minColumns ?? 1;
  if (textIdx.length < minColumns) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${OP}: ${name} has ${textIdx.length} text column(s) (${textIdx.map((i) => header[i]).join(', ') || 'none'}), at least ${minColumns} needed (anchor, positive[, negative ...])`,
    );
  }
  const texts = records.map((rec, i) =>
    textIdx.map((c) => {
      const v = rec[c];
      if (typeof v !== 'string') {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${OP}: ${name} line ${lines[i]}, column "${header[c]}": expected a string, got ${v === null ? 'null' : typeof v}`,
        );
      }
      if (v.trim() === '') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} line ${lines[i]}, column "${header[c]}": the text is empty`);
      return v;
    }),
  );
  const out: TextRows = { columns: textIdx.map((i) => header[i]), texts, lines };
  if (labelIdx >= 0) {
    out.labelColumn = header[labelIdx];
    out.labels = Float32Array.from(records, (rec, i) => {
      const v = rec[labelIdx];
      const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (!Number.isFinite(x)) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${OP}: ${name} line ${lines[i]}, column "${header[labelIdx]}": ${JSON.stringify(v)} is not a finite number`,
        );
      }
      return x;
    });
  }
  return out;
}

/**
 * sentence-transformers' NO_DUPLICATES batch sampler: batches of `batchSize` rows in a seeded
 * shuffled order, where no text (of any column) appears twice in one batch, since a duplicate
 * would be a false negative for the in-batch losses. A row that clashes waits for a later batch.
 * The last batch may be smaller (dropped with `dropLast`). `shuffle: false` keeps the file order.
 */
export function noDuplicatesBatches(texts: string[][], batchSize: number, opts: { seed?: number; dropLast?: boolean; shuffle?: boolean } = {}): number[][] {
  const op = 'noDuplicatesBatches';
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: batchSize must be a positive integer, got ${String(batchSize)}`);
  const order = opts.shuffle === false ? Array.from({ length: texts.length }, (_, i) => i) : shuffled(texts.length, opts.seed ?? 0);
  const batches: number[][] = [];
  let remaining = order;
  while (remaining.length > 0) {
    const seen = new Set<string>();
    const batch: number[] = [];
    const rest: number[] = [];
    for (const i of remaining) {
      if (batch.length < batchSize && texts[i].every((t) => !seen.has(t))) {
        batch.push(i);
        for (const t of texts[i]) seen.add(t);
      } else {
        rest.push(i);
      }
    }
    if (batch.length < batchSize && opts.dropLast) break;
    batches.push(batch);
    remaining = rest;
  }
  return batches;
}

/**
 * Batches for the batch triplet losses, as sentence-transformers' GroupByLabelBatchSampler: every
 * label with at least two rows keeps an even number of them (one left out when odd; labels seen
 * once are dropped, as they can form no positive pair), the labels are taken in a seeded random
 * order with their rows shuffled, and the sequence is cut into batches of `batchSize` (even), so a
 * batch holds whole pairs of a few labels and every anchor has a positive. Returns row indices.
 */
export function groupByLabelBatches(labels: ArrayLike<number>, batchSize: number, opts: { seed?: number } = {}): number[][] {
  const op = 'groupByLabelBatches';
  if (!Number.isInteger(batchSize) || batchSize < 2 || batchSize % 2 !== 0)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: batchSize must be an even integer >= 2 (whole pairs per batch), got ${String(batchSize)}`);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  const kept = [...groups.values()].filter((g) => g.length >= 2);
  const seed = opts.seed ?? 0;
  const order: number[] = [];
  for (const gi of shuffled(kept.length, seed)) {
    const g = kept[gi];
    const p = shuffled(g.length, seed + 1 + gi);
    for (let j = 0; j < g.length - (g.length % 2); j++) order.push(g[p[j]]);
  }
  const batches: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) batches.push(order.slice(i, i + batchSize));
  return batches;
}

/** A seeded Fisher-Yates permutation of 0..n-1 (mulberry32). */
export function shuffled(n: number, seed: number): number[] {
  const rand = mulberry32(seed);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}
