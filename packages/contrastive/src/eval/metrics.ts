import { ContrastiveError } from '../errors.js';
import { cosineSimilarity } from '../loss/cosine.js';
import type { MatrixLike } from '../types.js';
import { sameShape, toMatrix } from '../validate.js';

/**
 * Alignment (Wang & Isola 2020): E ||u - v||^alpha over positive pairs (row i of a with row i
 * of b), u, v the L2-normalized rows. Lower is better; 0 when every pair coincides.
 */
export function alignment(a: MatrixLike, b: MatrixLike, alpha = 2): number {
  const A = toMatrix(a, 'a', 'alignment');
  const B = toMatrix(b, 'b', 'alignment');
  sameShape(B, A, 'b', 'a', 'alignment');
  const c = cosineSimilarity(A, B);
  let s = 0;
  for (let i = 0; i < A.rows; i++) s += Math.max(0, 2 - 2 * c.data[i * A.rows + i]) ** (alpha / 2);
  return s / A.rows;
}

/**
 * Uniformity (Wang & Isola 2020): log E exp(-t ||u - v||^2) over all pairs of distinct rows.
 * Lower is better (more uniform on the sphere); log-sum-exp keeps it finite.
 */
export function uniformity(x: MatrixLike, t = 2): number {
  const X = toMatrix(x, 'x', 'uniformity');
  if (X.rows < 2) throw new ContrastiveError('INVALID_ARGUMENT', `uniformity: x needs at least 2 rows, got ${X.rows}`);
  const c = cosineSimilarity(X).data;
  const vals: number[] = [];
  for (let i = 0; i < X.rows; i++) for (let j = i + 1; j < X.rows; j++) vals.push(-t * Math.max(0, 2 - 2 * c[i * X.rows + j]));
  const m = Math.max(...vals);
  return m + Math.log(vals.reduce((s, v) => s + Math.exp(v - m), 0) / vals.length);
}

/**
 * Retrieval recall@k: the fraction of queries whose own key (same row index) is among the k keys
 * most cosine-similar to them (ties count against the query).
 */
export function recallAtK(query: MatrixLike, key: MatrixLike, ks: number[] = [1, 5, 10]): Record<number, number> {
  const Q = toMatrix(query, 'query', 'recallAtK');
  const K = toMatrix(key, 'key', 'recallAtK');
  sameShape(K, Q, 'key', 'query', 'recallAtK');
  const c = cosineSimilarity(Q, K).data;
  const ranks = new Int32Array(Q.rows);
  for (let i = 0; i < Q.rows; i++) {
    const own = c[i * Q.rows + i];
    let above = 0;
    for (let j = 0; j < Q.rows; j++) if (j !== i && c[i * Q.rows + j] >= own) above++;
    ranks[i] = above;
  }
  const out: Record<number, number> = {};
  for (const k of ks) out[k] = ranks.filter((r) => r < k).length / Q.rows;
  return out;
}
