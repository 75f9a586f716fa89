import { ContrastiveError } from '../errors.js';
import type { Matrix, MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';

export interface PcaResult {
  /** rows x components: the centred rows projected on the principal axes */
  projected: Matrix;
  /** components x cols: the principal axes (unit vectors, largest variance first) */
  components: Matrix;
  /** variance along each axis, and its fraction of the total */
  explainedVariance: number[];
  explainedVarianceRatio: number[];
}

/**
 * Principal component analysis by orthogonal (subspace) iteration on the covariance matrix in
 * float64: for plotting embeddings in 2-D. Deterministic: the start basis is fixed and each
 * axis's sign is chosen so its largest-magnitude entry is positive.
 */
export function pca(x: MatrixLike, components = 2): PcaResult {
  const X = toMatrix(x, 'x', 'pca');
  const { rows: n, cols: d } = X;
  if (!Number.isInteger(components) || components < 1 || components > d) {
    throw new ContrastiveError('INVALID_ARGUMENT', `pca: components must be an integer in [1, ${d}], got ${components}`);
  }
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j] / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = X.data[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(n - 1, 1);
  const q = components;
  let V = new Float64Array(d * q);
  for (let j = 0; j < d; j++) for (let c = 0; c < q; c++) V[j * q + c] = Math.sin(1 + j * 0.7 + c * 1.3);
  orthonormalize(V, d, q);
  for (let it = 0; it < 300; it++) {
    const W = new Float64Array(d * q);
    for (let a = 0; a < d; a++)
      for (let b = 0; b < d; b++) {
        const cab = cov[a * d + b];
        if (cab === 0) continue;
        for (let c = 0; c < q; c++) W[a * q + c] += cab * V[b * q + c];
      }
    orthonormalize(W, d, q);
    let change = 0;
    for (let i = 0; i < W.length; i++) change = Math.max(change, Math.abs(Math.abs(W[i]) - Math.abs(V[i])));
    V = W;
    if (change < 1e-10) break;
  }
  const variance: number[] = [];
  for (let c = 0; c < q; c++) {
    let big = 0;
    for (let j = 0; j < d; j++) if (Math.abs(V[j * q + c]) > Math.abs(big)) big = V[j * q + c];
    if (big < 0) for (let j = 0; j < d; j++) V[j * q + c] = -V[j * q + c];
    let v = 0;
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) v += V[a * q + c] * cov[a * d + b] * V[b * q + c];
    variance.push(v);
  }
  let total = 0;
  for (let j = 0; j < d; j++) total += cov[j * d + j];
  const projected = new Float32Array(n * q);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < q; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (X.data[i * d + j] - mean[j]) * V[j * q + c];
      projected[i * q + c] = s;
    }
  const comps = new Float32Array(q * d);
  for (let c = 0; c < q; c++) for (let j = 0; j < d; j++) comps[c * d + j] = V[j * q + c];
  return {
    projected: { data: projected, rows: n, cols: q },
    components: { data: comps, rows: q, cols: d },
    explainedVariance: variance,
    explainedVarianceRatio: variance.map((v) => (total > 0 ? v / total : 0)),
  };
}

/** Modified Gram-Schmidt on the q columns of a d x q row-major matrix. */
function orthonormalize(V: Float64Array, d: number, q: number): void {
  for (let c = 0; c < q; c++) {
    for (let p = 0; p < c; p++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += V[j * q + c] * V[j * q + p];
      for (let j = 0; j < d; j++) V[j * q + c] -= dot * V[j * q + p];
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += V[j * q + c] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < d; j++) V[j * q + c] /= norm;
  }
}
