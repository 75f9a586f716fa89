import { ContrastiveError } from '../errors.js';
import { checkStatus } from '../loss/kernel.js';
import { getRuntime } from '../runtime/init.js';
import { f32, f64, u32 } from '../runtime/memory.js';
import type { MatrixLike } from '../types.js';
import { sameCols, toMatrix } from '../validate.js';
import { checkLabels } from './labels.js';

export interface LinearProbeOptions {
  /** full-batch Adam steps (default 300) */
  steps?: number;
  /** Adam learning rate (default 0.02) */
  lr?: number;
  /** L2 penalty on the weights (default 1e-3) */
  weightDecay?: number;
}

export interface LinearProbeResult {
  /** accuracy on the test rows, a fraction */
  accuracy: number;
  trainAccuracy: number;
  /** final training cross-entropy */
  loss: number;
}

const OP = 'linearProbe';

/**
 * The linear-evaluation protocol: multinomial logistic regression on frozen features,
 * standardized with the training rows' mean and standard deviation, trained full-batch with
 * Adam on softmax cross-entropy + (weightDecay / 2) ||W||^2. Products and the loss run in the
 * WASM kernels.
 */
export function linearProbe(
  train: MatrixLike, trainLabels: ArrayLike<number>, test: MatrixLike, testLabels: ArrayLike<number>, opts: LinearProbeOptions = {},
): LinearProbeResult {
  const X = toMatrix(train, 'train', OP);
  const Y = toMatrix(test, 'test', OP);
  sameCols(Y, X, 'test', 'train', OP);
  checkLabels(trainLabels, X.rows, 'trainLabels', OP);
  checkLabels(testLabels, Y.rows, 'testLabels', OP);
  const steps = opts.steps ?? 300;
  const lr = opts.lr ?? 0.02;
  const wd = opts.weightDecay ?? 1e-3;
  if (!Number.isInteger(steps) || steps < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: steps must be a positive integer, got ${steps}`);
  if (!(lr > 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: lr must be > 0, got ${lr}`);
  if (!(wd >= 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: weightDecay must be >= 0, got ${wd}`);

  const classes = [...new Set(Array.from(trainLabels))].sort((a, b) => a - b);
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const C = classes.length;
  const D = X.cols;
  const n = X.rows;
  // standardize with training statistics
  const mean = new Float64Array(D);
  const sd = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mean[j] += X.data[i * D + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) sd[j] += (X.data[i * D + j] - mean[j]) ** 2 / n;
  // A variance floor at 1% of the average keeps near-constant inputs (an image's border
  // pixels) from being blown up into noise the probe then fits.
  const floor = 0.01 * (sd.reduce((a, v) => a + v, 0) / D) + 1e-12;
  const scale = Float32Array.from(sd, (v) => 1 / Math.sqrt(v + floor));
  const standardize = (src: Float32Array, rows: number, dst: Float32Array) => {
    for (let i = 0; i < rows; i++) for (let j = 0; j < D; j++) dst[i * D + j] = (src[i * D + j] - mean[j]) * scale[j];
  };

  const rows = Math.max(n, Y.rows);
  const { k, arena } = getRuntime(OP);
  // W is C x D (PyTorch's layout): the products then have C (~10) rows and n or D columns, the
  // shape the 4x8 GEMM tiles well; X W^T with only C columns would waste most of each 8-wide panel.
  const [xp, wp, ztp, zp, gp, dwp, lp, out] = arena.reserve(OP, [
    4 * rows * D, 4 * D * C, 4 * rows * C, 4 * rows * C, 4 * n * C, 4 * D * C, 4 * n, 16,
  ]);
  standardize(X.data, n, f32(k, xp, n * D));
  u32(k, lp, n).set(Array.from(trainLabels, (l) => classOf.get(l)!));
  const b = new Float32Array(C);
  const [mW, vW, mb, vb] = [new Float32Array(D * C), new Float32Array(D * C), new Float32Array(C), new Float32Array(C)];
  const logits = (m: number) => {
    checkStatus(OP, k.ct_gemm(C, m, D, wp, 0, xp, 1, ztp, 0)); // (W X^T): C x m
    const zt = f32(k, ztp, m * C);
    const z = f32(k, zp, m * C);
    for (let c = 0; c < C; c++) for (let i = 0; i < m; i++) z[i * C + c] = zt[c * m + i] + b[c];
  };
  const adam = (p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, t: number) => {
    const [b1, b2] = [0.9, 0.999];
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      p[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
    }
  };
  f32(k, wp, D * C).fill(0);
  let loss = 0;
  for (let t = 1; t <= steps; t++) {
    logits(n);
    checkStatus(OP, k.ct_softmax_xent(zp, n, C, lp, gp, out));
    loss = f64(k, out, 1)[0];
    checkStatus(OP, k.ct_gemm(C, D, n, gp, 1, xp, 0, dwp, 0)); // G^T X: C x D
    const W = f32(k, wp, D * C);
    const dW = f32(k, dwp, D * C);
    for (let i = 0; i < W.length; i++) dW[i] += wd * W[i];
    const G = f32(k, gp, n * C);
    const db = new Float32Array(C);
    for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) db[c] += G[i * C + c];
    adam(W, dW, mW, vW, t);
    adam(b, db, mb, vb, t);
  }
  const accuracy = (m: number, labels: ArrayLike<number>) => {
    logits(m);
    const z = f32(k, zp, m * C);
    let right = 0;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (z[i * C + c] > z[i * C + best]) best = c;
      if (classes[best] === labels[i]) right++;
    }
    return right / m;
  };
  const trainAccuracy = accuracy(n, trainLabels);
  standardize(Y.data, Y.rows, f32(k, xp, Y.rows * D));
  return { accuracy: accuracy(Y.rows, testLabels), trainAccuracy, loss };
}
