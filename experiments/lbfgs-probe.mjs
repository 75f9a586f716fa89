// A float64 multinomial logistic regression fitted by L-BFGS to (near) convergence: the
// reference optimum that `linearProbe` is compared against, and the stand-in for the probe a
// PyTorch/sklearn reference typically uses (`LogisticRegression(C=1, max_iter=1000)`, lbfgs).
// Objective: mean_i CE(x_i W^T + b, y_i) + (lambda / 2) ||W||^2 (bias not penalized, as sklearn);
// sklearn's C corresponds to lambda = 1 / (C n). The solver is the library's minimizeLbfgs, on
// this float64 objective.
import { minimizeLbfgs } from 'contrastive';

/** Optional standardization with training statistics, as `linearProbe` does (variance floor 1% of the mean variance). */
export function standardizer(X, n, D, { floor = 0.01 } = {}) {
  const mean = new Float64Array(D);
  const sd = new Float64Array(D);
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) mean[j] += X[i * D + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < D; j++) sd[j] += (X[i * D + j] - mean[j]) ** 2 / n;
  const fl = floor * (sd.reduce((a, v) => a + v, 0) / D) + 1e-12;
  const scale = Float64Array.from(sd, (v) => 1 / Math.sqrt(v + fl));
  return (src, rows) => {
    const out = new Float64Array(rows * D);
    for (let i = 0; i < rows; i++) for (let j = 0; j < D; j++) out[i * D + j] = (src[i * D + j] - mean[j]) * scale[j];
    return out;
  };
}

/** loss and gradient at theta = [W (C x D), b (C)] */
function objective(theta, X, y, n, D, C, lambda, grad) {
  const W = theta;
  const bo = C * D;
  grad.fill(0);
  let loss = 0;
  const z = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const xi = i * D;
    let mx = -Infinity;
    for (let c = 0; c < C; c++) {
      let s = theta[bo + c];
      const wc = c * D;
      for (let j = 0; j < D; j++) s += W[wc + j] * X[xi + j];
      z[c] = s;
      if (s > mx) mx = s;
    }
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(z[c] - mx);
    const lse = mx + Math.log(se);
    loss += lse - z[y[i]];
    for (let c = 0; c < C; c++) {
      const g = (Math.exp(z[c] - lse) - (c === y[i] ? 1 : 0)) / n;
      grad[bo + c] += g;
      const wc = c * D;
      for (let j = 0; j < D; j++) grad[wc + j] += g * X[xi + j];
    }
  }
  loss /= n;
  let reg = 0;
  for (let k = 0; k < bo; k++) {
    reg += W[k] * W[k];
    grad[k] += lambda * W[k];
  }
  return loss + 0.5 * lambda * reg;
}

/**
 * Fits; X: Float64Array n x D, y: class indices 0..C-1. Stops when the largest gradient entry is
 * below tol (sklearn's lbfgs `pgtol`-style) or after maxIter iterations.
 */
export function lbfgsLogReg(X, y, n, D, C, { lambda, maxIter = 1000, tol = 1e-6, m = 10 } = {}) {
  const P = C * D + C;
  const r = minimizeLbfgs((theta, grad) => ({ f: objective(theta, X, y, n, D, C, lambda, grad) }), new Float64Array(P), {
    maxIterations: maxIter,
    tolerance: tol,
    memory: m,
    lineSearchSteps: 40,
    relativeChange: 1e-12,
  });
  const x = r.x;
  const f = r.value.f;
  const iter = r.iterations;
  const predict = (Xt, rows) => {
    const out = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bv = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = x[C * D + c];
        for (let j = 0; j < D; j++) s += x[c * D + j] * Xt[i * D + j];
        if (s > bv) {
          bv = s;
          best = c;
        }
      }
      out[i] = best;
    }
    return out;
  };
  return { theta: x, loss: f, iterations: iter, predict };
}
