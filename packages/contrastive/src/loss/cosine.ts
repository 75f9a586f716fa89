import { callKernel } from '../runtime/kernel.js';
import { f32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { sameCols, toMatrix } from '../validate.js';
import { checkStatus, copyOut } from './kernel.js';

const OP = 'cosineSimilarity';

/**
 * The cosine-similarity matrix C[i][j] = a_i . b_j / (max(||a_i||, eps) max(||b_j||, eps)),
 * eps = 1e-12 as in torch.nn.functional.normalize; `b` defaults to `a`. The one op that builds a
 * full rows x rows matrix: the losses never do.
 */
export function cosineSimilarity(a: MatrixLike, b?: MatrixLike): Matrix {
  const A = toMatrix(a, 'a', OP);
  const B = b === undefined ? undefined : toMatrix(b, 'b', OP);
  if (B) sameCols(B, A, 'b', 'a', OP);
  const rb = B ? B.rows : A.rows;
  const {
    k,
    p: [ap, bp, out],
  } = callKernel(OP, [4 * A.data.length, B ? 4 * B.data.length : 0, 4 * A.rows * rb]);
  f32(k, ap, A.data.length).set(A.data);
  if (B) f32(k, bp, B.data.length).set(B.data);
  checkStatus(OP, k.ct_cosine(ap, A.rows, B ? bp : 0, rb, A.cols, out));
  return copyOut(k, out, A.rows, rb);
}
