// A float64 multinomial logistic regression fitted by L-BFGS to (near) convergence: the
// reference optimum that `linearProbe` is compared against, and the stand-in for the probe a
// PyTorch/sklearn reference typically uses (`LogisticRegression(C=1, max_iter=1000)`, lbfgs).
// Objective: mean_i CE(x_i W^T + b, y_i) + (lambda / 2) ||W||^2 (bias not penalized, as sklearn);
// sklearn's C corresponds to lambda = 1 / (C n).

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
  let x = new Float64Array(P);
  let g = new Float64Array(P);
  let f = objective(x, X, y, n, D, C, lambda, g);
  const S = [];
  const Yv = [];
  const rho = [];
  let iter = 0;
  for (; iter < maxIter; iter++) {
    let gmax = 0;
    for (let k = 0; k < P; k++) gmax = Math.max(gmax, Math.abs(g[k]));
    if (gmax < tol) break;
    // two-loop recursion
    const q = Float64Array.from(g);
    const alpha = new Array(S.length);
    for (let k = S.length - 1; k >= 0; k--) {
      let a = 0;
      for (let t = 0; t < P; t++) a += S[k][t] * q[t];
      a *= rho[k];
      alpha[k] = a;
      for (let t = 0; t < P; t++) q[t] -= a * Yv[k][t];
    }
    let gamma = 1;
    if (S.length) {
      const k = S.length - 1;
      let yy = 0;
      for (let t = 0; t < P; t++) yy += Yv[k][t] * Yv[k][t];
      gamma = 1 / (rho[k] * yy);
    } else {
      gamma = 1 / Math.max(1e-12, Math.sqrt(g.reduce((a, v) => a + v * v, 0)));
    }
    for (let t = 0; t < P; t++) q[t] *= gamma;
    for (let k = 0; k < S.length; k++) {
      let bt = 0;
      for (let t = 0; t < P; t++) bt += Yv[k][t] * q[t];
      bt *= rho[k];
      for (let t = 0; t < P; t++) q[t] += S[k][t] * (alpha[k] - bt);
    }
    // direction d = -q; backtracking Armijo line search
    let dg = 0;
    for (let t = 0; t < P; t++) dg -= q[t] * g[t];
    if (dg >= 0) {
      S.length = 0; Yv.length = 0; rho.length = 0;
      continue;
    }
    let step = 1;
    const xn = new Float64Array(P);
    const gn = new Float64Array(P);
    let fn;
    for (let ls = 0; ls < 40; ls++) {
      for (let t = 0; t < P; t++) xn[t] = x[t] - step * q[t];
      fn = objective(xn, X, y, n, D, C, lambda, gn);
      if (fn <= f + 1e-4 * step * dg) break;
      step *= 0.5;
    }
    const s = new Float64Array(P);
    const yv = new Float64Array(P);
    let sy = 0;
    for (let t = 0; t < P; t++) {
      s[t] = xn[t] - x[t];
      yv[t] = gn[t] - g[t];
      sy += s[t] * yv[t];
    }
    if (sy > 1e-12) {
      S.push(s); Yv.push(yv); rho.push(1 / sy);
      if (S.length > m) { S.shift(); Yv.shift(); rho.shift(); }
    }
    const rel = Math.abs(f - fn) / Math.max(Math.abs(f), Math.abs(fn), 1);
    x = xn; g = gn; f = fn;
    if (rel < 1e-12) break;
  }
  const predict = (Xt, rows) => {
    const out = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let best = 0;
      let bv = -Infinity;
      for (let c = 0; c < C; c++) {
        let s = x[C * D + c];
        for (let j = 0; j < D; j++) s += x[c * D + j] * Xt[i * D + j];
        if (s > bv) { bv = s; best = c; }
      }
      out[i] = best;
    }
    return out;
  };
  return { theta: x, loss: f, iterations: iter, predict };
}
