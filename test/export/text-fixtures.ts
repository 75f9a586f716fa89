// Text models and token batches shared by the text export tests.
import type { Module } from '../../packages/contrastive/src/index.js';

/** Moves every parameter off its seeded init (BERT's N(0, 0.02) tables give near-uniform attention). */
export function perturb(m: Module, seed: number, size = 0.5): void {
  let s = seed >>> 0;
  for (const [, p] of m.namedParameters()) {
    const v = p.value();
    for (let i = 0; i < v.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      v[i] += (s / 2 ** 32 - 0.5) * size;
    }
    p.set(v);
  }
}

export interface Tokens {
  rows: number;
  cols: number;
  ids: Int32Array;
  mask: Int32Array;
  types: Int32Array;
}

/** rows x cols ids in [1, vocab) (id 0 is padding); row r has its last pad[r] positions padded. */
export function tokens(rows: number, cols: number, vocab: number, pad: number[] = [], seed = 1): Tokens {
  const ids = new Int32Array(rows * cols);
  const mask = new Int32Array(rows * cols);
  const types = new Int32Array(rows * cols);
  let s = seed >>> 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const on = c < cols - (pad[r] ?? 0);
      ids[r * cols + c] = on ? 1 + (s % (vocab - 1)) : 0;
      mask[r * cols + c] = on ? 1 : 0;
      types[r * cols + c] = on && c >= Math.ceil(cols / 2) ? 1 : 0;
    }
  }
  return { rows, cols, ids, mask, types };
}

export const asMatrix = (t: Tokens, a: Int32Array) => ({ data: a, rows: t.rows, cols: t.cols });

/** The worst |got - want| / max(1, |want|). */
export function worstRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  return worst;
}
