// Exact top-k search, streaming the corpus through the GEMM kernel one chunk at a time.
import { ContrastiveError } from '../errors.js';
import { checkStatus } from '../runtime/kernel.js';
import { getRuntime } from '../runtime/init.js';
import { f32, u32 } from '../runtime/memory.js';
import type { MatrixLike } from '../types.js';
import { nonFiniteAt, toMatrix } from '../validate.js';

export interface SearchOptions {
  /** Hits per query (default 10; fewer when the corpus is smaller). */
  k?: number;
  /** 'cosine' (default; rows are L2-normalized) or 'dot' (raw dot products, for normalized embeddings or MIPS). */
  score?: 'cosine' | 'dot';
  /** Corpus rows per kernel call (default 4096): scratch memory is about two copies of a chunk (packed, and normalized for cosine) plus 64 x dims floats per thread. */
  chunkSize?: number;
}

export interface SearchResult {
  /** Hits per query actually returned: min(k, corpus rows). */
  k: number;
  /** Number of queries. */
  queries: number;
  /** queries x k corpus row indices, best first (ties: lower index first). */
  indices: Uint32Array;
  /** queries x k scores, matching `indices`. */
  scores: Float32Array;
}

const OP = 'search';

/**
 * The exact k nearest corpus rows of every query by cosine similarity (or dot product), as
 * sentence-transformers' `util.semantic_search`. `corpus` is one matrix or any iterable of
 * matrices (chunks of the same width, e.g. embedded on the fly): it is streamed through the
 * kernel in chunks, so memory holds the queries, one chunk and the k best per query; the
 * queries x corpus score matrix never exists: each 4 x 8 tile of scores is tested against the
 * queries' k-th best as the GEMM micro-kernel produces it. On a threads build the query blocks
 * are spread over the pool, with the same results bit for bit.
 */
export function search(queries: MatrixLike, corpus: MatrixLike | Iterable<MatrixLike>, opts: SearchOptions = {}): SearchResult {
  const Q = toMatrix(queries, 'queries', OP, { finite: false });
  const k = opts.k ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: k must be a positive integer, got ${String(k)}`);
  const score = opts.score ?? 'cosine';
  if (score !== 'cosine' && score !== 'dot') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: score must be 'cosine' or 'dot', got ${String(score)}`);
  const chunkSize = opts.chunkSize ?? 4096;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: chunkSize must be a positive integer, got ${String(chunkSize)}`);
  }
  const d = Q.cols;
  const nq = Q.rows;
  const parts: Iterable<MatrixLike> = isMatrixLike(corpus) ? [corpus] : corpus;
  if (parts === null || typeof (parts as Iterable<MatrixLike>)[Symbol.iterator] !== 'function') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: corpus must be a Matrix or an iterable of matrices`);
  }
  const { k: K, arena } = getRuntime(OP);
  const [pq, pc, phs, phi] = arena.reserve(OP, [4 * nq * d, 4 * chunkSize * d, 4 * nq * k, 4 * nq * k]);
  f32(K, pq, nq * d).set(Q.data);
  const bad = K.ct_first_nonfinite(pq, nq * d);
  if (bad >= 0) throw nonFiniteAt(OP, 'queries', Q.data[bad], bad, d);
  if (score === 'cosine') checkStatus(OP, K.ct_topk_unit_rows(pq, nq, d)); // once; each chunk is normalized in the kernel
  let seen = 0;
  let part = 0;
  for (const c of parts) {
    const C = toMatrix(c, part === 0 && isMatrixLike(corpus) ? 'corpus' : `corpus chunk ${part}`, OP, { finite: false, allowEmpty: true });
    if (C.cols !== d) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${OP}: corpus${isMatrixLike(corpus) ? '' : ` chunk ${part}`} has ${C.cols} columns, expected ${d} (the columns of queries)`,
      );
    }
    for (let r0 = 0; r0 < C.rows; r0 += chunkSize) {
      const cn = Math.min(chunkSize, C.rows - r0);
      f32(K, pc, cn * d).set(C.data.subarray(r0 * d, (r0 + cn) * d));
      const at = K.ct_first_nonfinite(pc, cn * d);
      if (at >= 0) throw nonFiniteAt(OP, 'corpus', C.data[r0 * d + at], (seen + Math.floor(at / d)) * d + (at % d), d);
      checkStatus(OP, K.ct_topk_update(pq, nq, pc, cn, d, k, seen, score === 'cosine' ? 1 : 0, phs, phi));
      seen += cn;
    }
    part++;
  }
  if (seen === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: the corpus is empty`);
  const filled = Math.min(k, seen);
  checkStatus(OP, K.ct_topk_finish(nq, k, filled, phs, phi));
  const hs = f32(K, phs, nq * k);
  const hi = u32(K, phi, nq * k);
  const indices = new Uint32Array(nq * filled);
  const scores = new Float32Array(nq * filled);
  for (let i = 0; i < nq; i++) {
    indices.set(hi.subarray(i * k, i * k + filled), i * filled);
    scores.set(hs.subarray(i * k, i * k + filled), i * filled);
  }
  return { k: filled, queries: nq, indices, scores };
}

function isMatrixLike(x: unknown): x is MatrixLike {
  return x !== null && typeof x === 'object' && 'data' in x && 'rows' in x && 'cols' in x;
}
