import { ContrastiveError } from '../errors.js';

/** Integer labels, one per row. */
export function checkLabels(labels: ArrayLike<number>, rows: number, name: string, op: string): void {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be an array of integers`);
  }
  if (labels.length !== rows) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has ${labels.length} entries, expected ${rows} (one per row)`);
  }
  for (let i = 0; i < rows; i++) {
    if (!Number.isSafeInteger(labels[i])) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}[${i}] must be an integer, got ${labels[i]}`);
    }
  }
}
