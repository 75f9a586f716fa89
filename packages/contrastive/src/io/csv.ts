// Numeric CSV: one row per sample, comma-separated; a first line that is not all numbers is a header.
import { ContrastiveError } from '../errors.js';
import type { Matrix } from '../types.js';

export function parseCsv(text: string, name = 'file'): Matrix & { header?: string[] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `readCsv: ${name} is empty`);
  const split = (l: string) => l.split(',').map((s) => s.trim());
  let header: string[] | undefined;
  if (split(lines[0]).some((c) => c === '' || Number.isNaN(Number(c)))) header = split(lines.shift()!);
  const cols = header?.length ?? split(lines[0]).length;
  const data = new Float32Array(lines.length * cols);
  lines.forEach((l, r) => {
    const cells = split(l);
    if (cells.length !== cols) {
      throw new ContrastiveError('SHAPE_MISMATCH', `readCsv: ${name} line ${r + (header ? 2 : 1)} has ${cells.length} fields, expected ${cols}`);
    }
    cells.forEach((c, j) => {
      const v = Number(c);
      if (c === '' || !Number.isFinite(v)) {
        throw new ContrastiveError('NON_FINITE', `readCsv: ${name} line ${r + (header ? 2 : 1)}, column ${j + 1}: ${JSON.stringify(c)} is not a finite number`);
      }
      data[r * cols + j] = v;
    });
  });
  return { data, rows: lines.length, cols, header };
}

export function writeCsv(m: Matrix, header?: string[]): string {
  const out: string[] = header ? [header.join(',')] : [];
  for (let r = 0; r < m.rows; r++) out.push(Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)).join(','));
  return out.join('\n') + '\n';
}
