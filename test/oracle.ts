// Test oracle: the losses written again from their definitions, densely, in float64, and
// gradients by central finite differences of those (independent of the kernels' backward pass).
import { mulberry32 } from '../packages/contrastive/src/rng.js';

export type F64Loss = (inputs: Float64Array[], tau: number) => number;

function unit(x: Float64Array, d: number): Float64Array {
  const u = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[r * d + j] ** 2;
    const n = Math.max(Math.sqrt(s), 1e-12);
    for (let j = 0; j < d; j++) u[r * d + j] = x[r * d + j] / n;
  }
  return u;
}

const dot = (a: Float64Array, i: number, b: Float64Array, j: number, d: number) => {
  let s = 0;
  for (let t = 0; t < d; t++) s += a[i * d + t] * b[j * d + t];
  return s;
};

function lse(v: number[]): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
}

function rowCe(x: Float64Array, y: Float64Array, d: number, tau: number, targets: (i: number) => number[], self: boolean, i: number) {
  const cols = y.length / d;
  const l: number[] = [];
  for (let k = 0; k < cols; k++) l.push(dot(x, i, y, k, d) / tau);
  const cand = l.filter((_, k) => !(self && k === i));
  const z = lse(cand);
  const t = targets(i);
  return t.reduce((s, k) => s + (z - l[k]), 0) / t.length;
}

export const ntxent64 =
  (d: number): F64Loss =>
  ([a, b], tau) => {
    const z = new Float64Array(a.length + b.length);
    z.set(a);
    z.set(b, a.length);
    const u = unit(z, d);
    const r = z.length / d;
    const n = r / 2;
    let s = 0;
    for (let i = 0; i < r; i++) s += rowCe(u, u, d, tau, (i) => [i < n ? i + n : i - n], true, i);
    return s / r;
  };

const infonceDir = (q: Float64Array, k: Float64Array, d: number, tau: number) => {
  const [qu, ku] = [unit(q, d), unit(k, d)];
  const n = q.length / d;
  let s = 0;
  for (let i = 0; i < n; i++) s += rowCe(qu, ku, d, tau, (i) => [i], false, i);
  return s / n;
};

export const infonce64 =
  (d: number, symmetric: boolean): F64Loss =>
  ([q, k], tau) =>
    symmetric ? 0.5 * (infonceDir(q, k, d, tau) + infonceDir(k, q, d, tau)) : infonceDir(q, k, d, tau);

export const negatives64 =
  (d: number): F64Loss =>
  ([q, p, neg], tau) => {
    const [qu, pu, nu] = [unit(q, d), unit(p, d), unit(neg, d)];
    const n = q.length / d;
    const m = neg.length / d;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const row = [dot(qu, i, pu, i, d) / tau];
      for (let j = 0; j < m; j++) row.push(dot(qu, i, nu, j, d) / tau);
      s += lse(row) - row[0];
    }
    return s / n;
  };

export const supcon64 =
  (d: number, labels: number[]): F64Loss =>
  ([z], tau) => {
    const u = unit(z, d);
    const r = z.length / d;
    let s = 0;
    let anchors = 0;
    for (let i = 0; i < r; i++) {
      const pos = labels.map((l, k) => (k !== i && l === labels[i] ? k : -1)).filter((k) => k >= 0);
      if (pos.length === 0) continue;
      s += rowCe(u, u, d, tau, () => pos, true, i);
      anchors++;
    }
    return anchors ? s / anchors : 0;
  };

/** Central finite differences of `f` w.r.t. every entry of every input, and w.r.t. tau. */
export function finiteDifferences(f: F64Loss, inputs: Float32Array[], tau: number, d: number) {
  const x = inputs.map((v) => Float64Array.from(v));
  const grads = x.map((xi) => {
    const g = new Float64Array(xi.length);
    for (let e = 0; e < xi.length; e++) {
      const row = Math.floor(e / d);
      let ss = 0;
      for (let j = 0; j < d; j++) ss += xi[row * d + j] ** 2;
      const h = 1e-6 * Math.max(Math.sqrt(ss), 1e-3);
      const o = xi[e];
      xi[e] = o + h;
      const lp = f(x, tau);
      xi[e] = o - h;
      const lm = f(x, tau);
      xi[e] = o;
      g[e] = (lp - lm) / (2 * h);
    }
    return g;
  });
  const ht = 1e-6 * tau;
  const dtau = (f(x, tau + ht) - f(x, tau - ht)) / (2 * ht);
  return { loss: f(x, tau), grads, dtau };
}

/** Deterministic Gaussian rows (mulberry32 + Box-Muller), each scaled by 10^U(-1, 1). */
export function randn(rows: number, cols: number, seed: number): Float32Array {
  const u = mulberry32(seed);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const scale = 10 ** (u() * 2 - 1);
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u()) * scale;
    }
  }
  return out;
}

/** max |a - b| over all entries. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/**
 * Kernel results against the f64 oracle: loss to 2e-4 relative, d/dtau to 1e-3 relative, each
 * gradient to 2e-3 of its largest entry plus the float32 floor eps / (tau * min row norm) that
 * rows with a ~0 true gradient (D = 1, identical rows) need.
 */
export function checkAgainstOracle(
  f: F64Loss,
  inputs: Float32Array[],
  tau: number,
  d: number,
  got: { loss: number; dTemperature: number; grads: Float32Array[] },
): string[] {
  const fd = finiteDifferences(f, inputs, tau, d);
  const problems: string[] = [];
  if (!(Math.abs(got.loss - fd.loss) <= 2e-4 * (1 + Math.abs(fd.loss)))) problems.push(`loss ${got.loss} vs ${fd.loss}`);
  if (!(Math.abs(got.dTemperature - fd.dtau) <= 1e-3 * (1 + Math.abs(fd.dtau)))) {
    problems.push(`dTemperature ${got.dTemperature} vs ${fd.dtau}`);
  }
  got.grads.forEach((g, w) => {
    let minNorm = Infinity;
    for (let r = 0; r < inputs[w].length / d; r++) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += inputs[w][r * d + j] ** 2;
      minNorm = Math.min(minNorm, Math.sqrt(ss));
    }
    const tol = 2e-3 * maxAbs(fd.grads[w]) + 1e-5 / (tau * Math.max(minNorm, 1e-12));
    const err = maxAbsDiff(g, fd.grads[w]);
    if (!(err <= tol)) problems.push(`grad ${w}: max error ${err} > ${tol}`);
  });
  return problems;
}
