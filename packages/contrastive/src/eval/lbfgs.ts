// L-BFGS in float64: the linear probe's solver, and a general minimizer of a smooth function
// given by its value and gradient.
import { ContrastiveError } from '../errors.js';

export interface LbfgsOptions {
  /** Iteration cap (default 1000). */
  maxIterations?: number;
  /** Stop when the largest gradient entry is below this (default 1e-4). */
  tolerance?: number;
  /** Correction pairs kept (default 10). */
  memory?: number;
  /** Halvings of the step the backtracking line search tries before giving up (default 30). */
  lineSearchSteps?: number;
  /**
   * Stop when an accepted step changes the value by less than this, relative to
   * max(|f|, |f_next|, 1) (default 1e-9: past that, float32 gradients are rounding noise).
   */
  relativeChange?: number;
}

export interface LbfgsResult<T extends { f: number }> {
  /** The last accepted point. */
  x: Float64Array;
  /** What `evaluate` returned there. */
  value: T;
  iterations: number;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/**
 * Minimizes f from `x0` (not modified) by L-BFGS: the two-loop recursion over the last `memory`
 * correction pairs (s = x' - x, y = g' - g, kept when s.y > 1e-12), scaled by s.y / y.y, and a
 * backtracking Armijo line search (f(x - t q) <= f(x) - 1e-4 t q.g, t = 1, 1/2, ...). When the
 * direction is not one of descent (float32 gradients near the optimum) the memory is dropped
 * once for a steepest-descent step; stops at `tolerance`, a step the line search cannot find, a
 * relative change below `relativeChange`, or `maxIterations`.
 *
 * `evaluate(x, grad)` returns at least `{ f }`, the value at x, and writes the gradient into
 * `grad`; anything else it returns comes back in `value`.
 *
 * @example
 * ```ts
 * // (x0 - 3)^2 + 10 (x1 + 1)^2
 * const r = minimizeLbfgs((x, g) => {
 *   g[0] = 2 * (x[0] - 3);
 *   g[1] = 20 * (x[1] + 1);
 *   return { f: (x[0] - 3) ** 2 + 10 * (x[1] + 1) ** 2 };
 * }, new Float64Array(2));
 * // r.x ~ [3, -1]
 * ```
 */
export function minimizeLbfgs<T extends { f: number }>(
  evaluate: (x: Float64Array, grad: Float64Array) => T,
  x0: Float64Array,
  opts: LbfgsOptions = {},
): LbfgsResult<T> {
  const OP = 'minimizeLbfgs';
  const int = (v: number | undefined, name: string, d: number, min: number) => {
    const r = v ?? d;
    if (!Number.isInteger(r) || r < min) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} must be an integer >= ${min}, got ${String(v)}`);
    return r;
  };
  const num = (v: number | undefined, name: string, d: number) => {
    const r = v ?? d;
    if (typeof r !== 'number' || !(r >= 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: ${name} must be a number >= 0, got ${String(v)}`);
    return r;
  };
  const maxIter = int(opts.maxIterations, 'maxIterations', 1000, 0);
  const memory = int(opts.memory, 'memory', 10, 1);
  const lineSearchSteps = int(opts.lineSearchSteps, 'lineSearchSteps', 30, 1);
  const tol = num(opts.tolerance, 'tolerance', 1e-4);
  const minChange = num(opts.relativeChange, 'relativeChange', 1e-9);
  if (!(x0 instanceof Float64Array)) throw new ContrastiveError('INVALID_ARGUMENT', `${OP}: x0 must be a Float64Array`);
  const P = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(P);
  let cur = evaluate(x, g);
  const S: Float64Array[] = [];
  const Yh: Float64Array[] = [];
  const rho: number[] = [];
  let iter = 0;
  for (; iter < maxIter; iter++) {
    let gmax = 0;
    for (let t = 0; t < P; t++) gmax = Math.max(gmax, Math.abs(g[t]));
    if (gmax < tol) break;
    // two-loop recursion: q = H g
    const q = Float64Array.from(g);
    const alpha = new Array<number>(S.length);
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], q);
      for (let t = 0; t < P; t++) q[t] -= alpha[j] * Yh[j][t];
    }
    const gamma = S.length ? 1 / (rho[S.length - 1] * dot(Yh[S.length - 1], Yh[S.length - 1])) : 1 / Math.max(1e-12, Math.sqrt(dot(g, g)));
    for (let t = 0; t < P; t++) q[t] *= gamma;
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dot(Yh[j], q);
      for (let t = 0; t < P; t++) q[t] += S[j][t] * (alpha[j] - beta);
    }
    const slope = -dot(q, g);
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent once
      if (!S.length) break;
      S.length = Yh.length = rho.length = 0;
      continue;
    }
    let step = 1;
    const xn = new Float64Array(P);
    const gn = new Float64Array(P);
    let next = cur;
    let accepted = false;
    for (let ls = 0; ls < lineSearchSteps; ls++) {
      for (let t = 0; t < P; t++) xn[t] = x[t] - step * q[t];
      next = evaluate(xn, gn);
      if (next.f <= cur.f + 1e-4 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    const s = new Float64Array(P);
    const yv = new Float64Array(P);
    for (let t = 0; t < P; t++) {
      s[t] = xn[t] - x[t];
      yv[t] = gn[t] - g[t];
    }
    const sy = dot(s, yv);
    if (sy > 1e-12) {
      S.push(s);
      Yh.push(yv);
      rho.push(1 / sy);
      if (S.length > memory) {
        S.shift();
        Yh.shift();
        rho.shift();
      }
    }
    const change = Math.abs(cur.f - next.f) / Math.max(Math.abs(cur.f), Math.abs(next.f), 1);
    x = xn;
    g = gn;
    cur = next;
    if (change < minChange) {
      iter++;
      break;
    }
  }
  return { x, value: cur, iterations: iter };
}
