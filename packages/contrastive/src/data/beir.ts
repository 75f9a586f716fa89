// BEIR-style retrieval sets: queries.jsonl / corpus.jsonl ({"_id", "text"[, "title"]}) and a qrels TSV.
import { ContrastiveError } from '../errors.js';
import { parseJsonl } from '../io/jsonl.js';
import type { Qrels } from '../eval/retrieval.js';

export interface BeirDocs {
  ids: string[];
  /** The text to embed: "title text" when a title is given (as BEIR's sentence-transformers runner joins them). */
  texts: string[];
}

/** Reads a BEIR queries or corpus JSONL file. Ids must be unique and texts non-empty. */
export function parseBeirJsonl(text: string, name = 'file'): BeirDocs {
  const op = 'parseBeirJsonl';
  const j = parseJsonl(text, name);
  const ids: string[] = [];
  const texts: string[] = [];
  const seen = new Map<string, number>();
  j.values.forEach((v, i) => {
    const line = j.lines[i];
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${line}: expected an object {"_id", "text"}`);
    const o = v as Record<string, unknown>;
    const id = typeof o._id === 'number' ? String(o._id) : o._id;
    if (typeof id !== 'string' || id === '') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${line}: missing "_id"`);
    if (typeof o.text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${line}: missing "text" (a string)`);
    const title = typeof o.title === 'string' ? o.title.trim() : '';
    const t = title ? `${title} ${o.text}` : o.text;
    if (t.trim() === '') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${line}: the text of "${id}" is empty`);
    const prev = seen.get(id);
    if (prev !== undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${line}: duplicate _id "${id}" (first on line ${prev})`);
    seen.set(id, line);
    ids.push(id);
    texts.push(t);
  });
  return { ids, texts };
}

/**
 * Reads a qrels TSV (`query-id corpus-id score`, tab-separated, an optional header line). When
 * `queryIds`/`corpusIds` are given, an id that is not among them is an error naming the line.
 */
export function parseQrels(text: string, opts: { name?: string; queryIds?: Iterable<string>; corpusIds?: Iterable<string> } = {}): Qrels {
  const op = 'parseQrels';
  const name = opts.name ?? 'file';
  if (typeof text !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: text must be a string`);
  const qs = opts.queryIds ? new Set(opts.queryIds) : undefined;
  const cs = opts.corpusIds ? new Set(opts.corpusIds) : undefined;
  const qrels: Qrels = new Map();
  const lines = text.split(/\r\n|\n|\r/);
  let rows = 0;
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    const f = l.split('\t').map((s) => s.trim());
    if (rows === 0 && i === 0 && /query/i.test(f[0]) && !Number.isFinite(Number(f[f.length - 1]))) return; // header
    if (f.length !== 3)
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: ${name} line ${i + 1} has ${f.length} tab-separated fields, expected 3 (query-id, corpus-id, score)`,
      );
    const [q, c, s] = f;
    const g = Number(s);
    if (s === '' || !Number.isFinite(g))
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${i + 1}: score ${JSON.stringify(s)} is not a number`);
    if (qs && !qs.has(q)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${i + 1}: query id "${q}" is not in the queries`);
    if (cs && !cs.has(c)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} line ${i + 1}: corpus id "${c}" is not in the corpus`);
    let m = qrels.get(q);
    if (!m) qrels.set(q, (m = new Map()));
    m.set(c, g);
    rows++;
  });
  if (rows === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} has no judgments`);
  return qrels;
}
