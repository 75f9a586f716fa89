import { ContrastiveError } from '../errors.js';
import { callKernel, checkStatus } from '../runtime/kernel.js';
import { f32, f64, u32 } from '../runtime/memory.js';
import type { MatrixLike } from '../types.js';
import { sameCols, toMatrix } from '../validate.js';
import { checkLabels } from './labels.js';
import { minimizeLbfgs } from './lbfgs.js';
import { stratifiedFolds, stratifiedSplit } from './split.js';

export interface LinearProbeOptions {
  /**
   * 'lbfgs' (default): L-BFGS run to convergence, the solver of SimCLR's linear evaluation
   * (Chen et al. 2020, appendix B.8) and of sklearn's LogisticRegression; the result is the
   * optimum of the objective, not an artefact of where an iterative optimizer stopped.
   * 'adam': `steps` full-batch Adam steps at `lr` (faster; within noise on SimCLR features, but
   * it under-regularizes raw pixels at a fixed weightDecay).
   */
  solver?: 'lbfgs' | 'adam';
  /**
   * L2 strength lambda of mean cross-entropy + (lambda / 2) ||W||^2 (sklearn's C is 1 / (lambda n)).
   * 'auto' (default): the lambda of AUTO_WEIGHT_DECAYS with the most training rows right in
   * stratified `folds`-fold cross-validation (each row scored once, by a fit on the other folds),
   * then refitted on all of them; SimCLR chose its regularization on held-out training data the
   * same way. The test rows are never looked at.
   */
  weightDecay?: number | 'auto';
  /**
   * How 'auto' scores each lambda: k >= 2 = stratified k-fold cross-validation (sklearn's
   * LogisticRegressionCV; default 5); 1 = one stratified 20% validation split, 1/k of the fits
   * (on MNIST features, 5 folds choose a slightly better lambda on average than one split).
   */
  folds?: number;
  /** lbfgs: iteration cap (default 1000) */
  maxIterations?: number;
  /** lbfgs: stop when the largest gradient entry is below this (default 1e-4) */
  tolerance?: number;
  /** adam: full-batch steps (default 300) */
  steps?: number;
  /** adam: learning rate (default 0.02) */
  lr?: number;
}

export interface LinearProbeResult {
  /** accuracy on the test rows, a fraction */
  accuracy: number;
  trainAccuracy: number;
  /** final training cross-entropy (without the L2 term) */
  loss: number;
  /** the L2 strength used (the chosen one with weightDecay 'auto') */
  weightDecay: number;
  /** solver iterations of the final fit */
  iterations: number;
}

/**
 * The lambdas 'auto' tries, half a decade apart from 0.1 to 1e-5 (sklearn's default C = 1 is
 * lambda = 1/n: 1.25e-4 at n = 8,000; raw MNIST pixels want about 1e-2).
 */
export const AUTO_WEIGHT_DECAYS = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5];

const OP = 'linearProbe';

interface Problem {
  /** standardized rows, n x D */
  x: Float32Array;
  n: number;
  /** class indices */
  y: Uint32Array;
}

/** Standardization with the fitting rows' mean and standard deviation. */
function standardizer(X: Float32Array, n: number, D: number): (src: Float32Array, rows: number) => Float32Array {
  const mean = new Float64Array(D);
  const sd = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mean[j] += X[i * D + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) sd[j] += (X[i * D + j] - mean[j]) ** 2 / n;
  // A variance floor at 1% of the average keeps near-constant inputs (an image's border
  // pixels) from being blown up into noise the probe then fits.
  const floor = 0.01 * (sd.reduce((a, v) => a + v, 0) / D) + 1e-12;
  const scale = Float32Array.from(sd, (v) => 1 / Math.sqrt(v + floor));
  return (src, rows) => {
    const dst = new Float32Array(rows * D);
    for (let i = 0; i < rows; i++) for (let j = 0; j < D; j++) dst[i * D + j] = (src[i * D + j] - mean[j]) * scale[j];
    return dst;
  };
}

/**
 * The objective on the kernels: theta = [W (C x D, PyTorch's layout), b (C)], float64 outside.
 * W is C x D so the products have C (~10) rows and n or D columns, the shape the 4x8 GEMM tiles
 * well; X W^T with only C columns would waste most of each 8-wide panel.
 */
function objective(p: Problem, D: number, C: number, lambda: number) {
  const n = p.n;
  const {
    k,
    p: [xp, wp, ztp, zp, gp, dwp, lp, out],
  } = callKernel(OP, [4 * n * D, 4 * D * C, 4 * n * C, 4 * n * C, 4 * n * C, 4 * D * C, 4 * n, 16]);
  f32(k, xp, n * D).set(p.x);
  u32(k, lp, n).set(p.y);
  const WD = C * D;
  /** cross-entropy, full objective and its gradient (into grad) at theta */
  return (theta: Float64Array, grad: Float64Array): { ce: number; f: number } => {
    const W = f32(k, wp, WD);
    for (let i = 0; i < WD; i++) W[i] = theta[i];
    checkStatus(OP, k.ct_gemm(C, n, D, wp, 0, xp, 1, ztp, 0)); // W X^T: C x n
    const zt = f32(k, ztp, n * C);
    const z = f32(k, zp, n * C);
    for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) z[i * C + c] = zt[c * n + i] + theta[WD + c];
    checkStatus(OP, k.ct_softmax_xent(zp, n, C, lp, gp, out));
    const ce = f64(k, out, 1)[0];
    checkStatus(OP, k.ct_gemm(C, D, n, gp, 1, xp, 0, dwp, 0)); // G^T X: C x D
    const dW = f32(k, dwp, WD);
    let reg = 0;
    for (let i = 0; i < WD; i++) {
      reg += theta[i] * theta[i];
      grad[i] = dW[i] + lambda * theta[i];
    }
    const G = f32(k, gp, n * C);
    for (let c = 0; c < C; c++) grad[WD + c] = 0;
    for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) grad[WD + c] += G[i * C + c];
    return { ce, f: ce + 0.5 * lambda * reg };
  };
}

/** L-BFGS (memory 10) with a backtracking Armijo line search, from `theta0` (a warm start) or zeros. */
function fitLbfgs(p: Problem, D: number, C: number, lambda: number, maxIter: number, tol: number, theta0?: Float64Array) {
  const r = minimizeLbfgs(objective(p, D, C, lambda), theta0 ?? new Float64Array(C * D + C), { maxIterations: maxIter, tolerance: tol });
  return { theta: r.x, ce: r.value.ce, iterations: r.iterations };
}

/** Full-batch Adam on the same objective (the former default probe). */
function fitAdam(p: Problem, D: number, C: number, lambda: number, steps: number, lr: number) {
  const evaluate = objective(p, D, C, lambda);
  const P = C * D + C;
  const theta = new Float64Array(P);
  const g = new Float64Array(P);
  const m = new Float64Array(P);
  const v = new Float64Array(P);
  let ce = 0;
  for (let t = 1; t <= steps; t++) {
    ce = evaluate(theta, g).ce;
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    for (let i = 0; i < P; i++) {
      m[i] = 0.9 * m[i] + 0.1 * g[i];
      v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
      theta[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
    }
  }
  return { theta, ce, iterations: steps };
}

/** Fraction of rows whose arg-max logit is their class (`y`: class indices). */
function score(theta: Float64Array, x: Float32Array, rows: number, y: ArrayLike<number>, D: number, C: number): number {
  const {
    k,
    p: [xp, wp, ztp],
  } = callKernel(OP, [4 * rows * D, 4 * D * C, 4 * rows * C]);
  f32(k, xp, rows * D).set(x);
  f32(k, wp, D * C).set(theta.subarray(0, D * C));
  checkStatus(OP, k.ct_gemm(C, rows, D, wp, 0, xp, 1, ztp, 0));
  const zt = f32(k, ztp, rows * C);
  let right = 0;
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (zt[c * rows + i] + theta[D * C + c] > zt[best * rows + i] + theta[D * C + best]) best = c;
    if (best === y[i]) right++;
  }
  return right / rows;
}

/**
 * The linear-evaluation protocol: multinomial logistic regression on frozen features,
 * standardized with the training rows' mean and standard deviation, minimizing softmax
 * cross-entropy + (lambda / 2) ||W||^2 (the bias is not penalized) with L-BFGS to convergence,
 * lambda chosen on a validation split of the training rows (see the options). Products and the
 * loss run in the WASM kernels; the optimizer's state is float64.
 *
 * @example
 * ```ts
 * const train = embed(encoder, trainImages); // Matrix, one row per image
 * const test = embed(encoder, testImages);
 * const { accuracy, weightDecay } = linearProbe(train, trainLabels, test, testLabels);
 * ```
 */
export function linearProbe(
  train: MatrixLike,
  trainLabels: ArrayLike<number>,
  test: MatrixLike,
  testLabels: ArrayLike<number>,
  opts: LinearProbeOptions = {},
): LinearProbeResult {
  const X = toMatrix(train, 'train', OP);
  const Y = toMatrix(test, 'test', OP);
  sameCols(Y, X, 'test', 'train', OP);
  checkLabels(trainLabels, X.rows, 'trainLabels', OP);
  checkLabels(testLabels, Y.rows, 'testLabels', OP);
  const solver = opts.solver ?? 'lbfgs';
  if (solver !== 'lbfgs' && solver !== 'adam') throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: solver must be 'lbfgs' or 'adam', got ${String(solver)}`);
  const steps = opts.steps ?? 300;
  const lr = opts.lr ?? 0.02;
  const maxIter = opts.maxIterations ?? 1000;
  const tol = opts.tolerance ?? 1e-4;
  const wdOpt = opts.weightDecay ?? 'auto';
  const folds = opts.folds ?? 5;
  if (!Number.isInteger(steps) || steps < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: steps must be a positive integer, got ${steps}`);
  if (!(lr > 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: lr must be > 0, got ${lr}`);
  if (!Number.isInteger(maxIter) || maxIter < 1)
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: maxIterations must be a positive integer, got ${maxIter}`);
  if (!(tol > 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: tolerance must be > 0, got ${tol}`);
  if (!Number.isInteger(folds) || folds < 1 || folds > 20)
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: folds must be an integer from 1 to 20, got ${folds}`);
  if (wdOpt === 'auto' && folds > X.rows) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${OP}: weightDecay 'auto' with folds ${folds} needs at least ${folds} training rows, got ${X.rows}; pass a number or fewer folds`,
    );
  }
  if (wdOpt !== 'auto' && !(typeof wdOpt === 'number' && wdOpt >= 0 && Number.isFinite(wdOpt))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: weightDecay must be a number >= 0 or 'auto', got ${String(wdOpt)}`);
  }

  const classes = [...new Set(Array.from(trainLabels))].sort((a, b) => a - b);
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const C = classes.length;
  const D = X.cols;
  const yAll = Uint32Array.from(trainLabels, (l) => classOf.get(l)!);
  const fit = (p: Problem, lambda: number, warm?: Float64Array) =>
    solver === 'lbfgs' ? fitLbfgs(p, D, C, lambda, maxIter, tol, warm) : fitAdam(p, D, C, lambda, steps, lr);

  let lambda: number;
  if (wdOpt === 'auto') {
    const rowsOf = (idx: Int32Array) => {
      const out = new Float32Array(idx.length * D);
      idx.forEach((r, i) => out.set(X.data.subarray(r * D, (r + 1) * D), i * D));
      return out;
    };
    // (fit rows, validation rows) pairs: one 20% split, or k folds
    const splits: { train: Int32Array; test: Int32Array }[] = [];
    if (folds === 1) {
      const split = stratifiedSplit(yAll, 0.2, 0);
      if (split.test.length === 0)
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${OP}: weightDecay 'auto' needs at least one validation row (20% of a class); pass a number for ${X.rows} training rows`,
        );
      splits.push(split);
    } else {
      const f = stratifiedFolds(yAll, folds, 0);
      for (let k = 0; k < folds; k++) {
        const test: number[] = [];
        const train: number[] = [];
        f.forEach((v, r) => (v === k ? test : train).push(r));
        splits.push({ train: Int32Array.from(train), test: Int32Array.from(test) });
      }
    }
    // validation rows right per lambda, summed over the splits
    const right = new Float64Array(AUTO_WEIGHT_DECAYS.length);
    for (const split of splits) {
      const fitRows = rowsOf(split.train);
      const std = standardizer(fitRows, split.train.length, D);
      const p: Problem = { x: std(fitRows, split.train.length), n: split.train.length, y: Uint32Array.from(split.train, (r) => yAll[r]) };
      const valX = std(rowsOf(split.test), split.test.length);
      const valY = Uint32Array.from(split.test, (r) => yAll[r]);
      let warm: Float64Array | undefined;
      // strongest to weakest, each fit warm-started from the previous optimum
      AUTO_WEIGHT_DECAYS.forEach((l, i) => {
        const r = fit(p, l, warm);
        warm = r.theta;
        right[i] += Math.round(score(r.theta, valX, split.test.length, valY, D, C) * split.test.length);
      });
    }
    // ties keep the stronger
    let best = 0;
    right.forEach((v, i) => {
      if (v > right[best]) best = i;
    });
    lambda = AUTO_WEIGHT_DECAYS[best];
  } else {
    lambda = wdOpt;
  }
  const std = standardizer(X.data, X.rows, D);
  const p: Problem = { x: std(X.data, X.rows), n: X.rows, y: yAll };
  const r = fit(p, lambda);
  const testY = Int32Array.from(testLabels, (l) => classOf.get(l) ?? -1); // a class the training rows lack is always wrong
  return {
    accuracy: score(r.theta, std(Y.data, Y.rows), Y.rows, testY, D, C),
    trainAccuracy: score(r.theta, p.x, X.rows, yAll, D, C),
    loss: r.ce,
    weightDecay: lambda,
    iterations: r.iterations,
  };
}
