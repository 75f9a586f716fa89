import { expect } from 'vitest';
import { ContrastiveError } from '../../packages/contrastive/src/errors.js';

/** Runs fn, expecting a ContrastiveError with `code` whose message contains every word. */
export function expectError(fn: () => unknown, code: string, ...words: string[]): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ContrastiveError);
    expect((e as ContrastiveError).code).toBe(code);
    for (const w of words) expect((e as Error).message).toContain(w);
    return;
  }
  throw new Error(`expected a ContrastiveError ${code}`);
}

export const m = (data: ArrayLike<number>, rows: number, cols: number) => ({ data: Float32Array.from(data), rows, cols });
