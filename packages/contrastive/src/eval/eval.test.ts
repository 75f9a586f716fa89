import { beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { knnAccuracy, knnPredict } from './knn.js';
import { alignment, recallAtK, uniformity } from './metrics.js';
import { pca } from './pca.js';
import { AUTO_WEIGHT_DECAYS, linearProbe } from './probe.js';
import { stratifiedFolds, stratifiedSplit } from './split.js';

beforeAll(() => init());

/** Gaussian blobs around `classes` random centres in d dims. */
function blobs(n: number, d: number, classes: number, spread: number, seed: number) {
  const centres = randn(classes, d, seed);
  const noise = randn(n, d, seed + 1);
  const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % classes);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres.subarray(labels[i] * d, labels[i] * d + d);
    const cn = Math.hypot(...c);
    for (let j = 0; j < d; j++) x[i * d + j] = c[j] / cn + (spread * noise[i * d + j]) / Math.hypot(...noise.subarray(i * d, i * d + d));
  }
  return { x: m(x, n, d), labels };
}

describe('knn', () => {
  it('k = 1 is the brute-force nearest neighbour by cosine', () => {
    const a = blobs(60, 5, 3, 2, 1);
    const q = blobs(25, 5, 3, 2, 9);
    const pred = knnPredict(a.x, a.labels, q.x, { k: 1 });
    for (let i = 0; i < 25; i++) {
      let best = -2;
      let lab = -1;
      for (let j = 0; j < 60; j++) {
        let dot = 0,
          na = 0,
          nq = 0;
        for (let t = 0; t < 5; t++) {
          dot += a.x.data[j * 5 + t] * q.x.data[i * 5 + t];
          na += a.x.data[j * 5 + t] ** 2;
          nq += q.x.data[i * 5 + t] ** 2;
        }
        const c = dot / Math.sqrt(na * nq);
        if (c > best) [best, lab] = [c, a.labels[j]];
      }
      expect(pred[i]).toBe(lab);
    }
  });

  it('separates well-separated clusters perfectly and random labels at chance', () => {
    const a = blobs(300, 16, 5, 0.3, 2);
    const q = blobs(100, 16, 5, 0.3, 2);
    expect(knnAccuracy(a.x, a.labels, q.x, q.labels)).toBe(1);
    const shuffled = Int32Array.from(a.labels, (_, i) => (i * 13 + 5) % 5);
    expect(knnAccuracy(a.x, shuffled, q.x, q.labels, { k: 20 })).toBeLessThan(0.5);
  });

  it('labels of the wrong length and k < 1 are rejected', () => {
    expectError(() => knnPredict(m([1, 2], 1, 2), [0, 1], m([1, 2], 1, 2)), 'SHAPE_MISMATCH', 'trainLabels');
    expectError(() => knnPredict(m([1, 2], 1, 2), [0], m([1, 2], 1, 2), { k: 0 }), 'INVALID_ARGUMENT', 'k');
  });
});

describe('linearProbe', () => {
  it('separable classes with arbitrary integer labels reach high accuracy', () => {
    const a = blobs(400, 12, 4, 0.5, 3);
    const labels = Int32Array.from(a.labels, (l) => [7, -3, 100, 0][l]);
    const split = stratifiedSplit(labels, 0.25, 1);
    const pick = (idx: Int32Array) => {
      const x = new Float32Array(idx.length * 12);
      idx.forEach((r, i) => x.set(a.x.data.subarray(r * 12, r * 12 + 12), i * 12));
      return { x: m(x, idx.length, 12), y: Int32Array.from(idx, (r) => labels[r]) };
    };
    const tr = pick(split.train);
    const te = pick(split.test);
    const r = linearProbe(tr.x, tr.y, te.x, te.y);
    expect(r.accuracy).toBeGreaterThan(0.95);
    expect(r.trainAccuracy).toBeGreaterThan(0.95);
    expect(r.loss).toBeLessThan(0.3);
  });

  it('random labels on random features stay near chance on held-out rows', () => {
    const x = randn(400, 8, 4);
    const y = Int32Array.from({ length: 400 }, (_, i) => ((i * 2654435761) >>> 7) % 2);
    const r = linearProbe(m(x.subarray(0, 2400), 300, 8), y.subarray(0, 300), m(x.subarray(2400), 100, 8), y.subarray(300));
    expect(r.accuracy).toBeLessThan(0.7);
  });

  it('linearly separable classes reach 100% on training and test rows', () => {
    // 4 classes along separate axes, margins >= 1 in every row
    const n = 240;
    const d = 6;
    // bounded noise (randn's rows have random scales up to 10x, which would break the margin)
    const noise = (i: number) => (((i * 2654435761) >>> 0) / 4294967296) * 2 - 1;
    const x = new Float32Array(n * d);
    const y = Int32Array.from({ length: n }, (_, i) => i % 4);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = 0.5 * noise(i * d + j + 1) + (j === y[i] ? 3 : 0);
    const r = linearProbe(m(x.subarray(0, 180 * d), 180, d), y.subarray(0, 180), m(x.subarray(180 * d), 60, d), y.subarray(180));
    expect(r.trainAccuracy).toBe(1);
    expect(r.accuracy).toBe(1);
  });

  it('the L-BFGS probe reaches the float64 optimum of its objective (an unconverged probe would not)', () => {
    const n = 300;
    const d = 5;
    const C = 3;
    const lambda = 1e-2;
    const z = randn(n, d, 21);
    const y = Int32Array.from({ length: n }, (_, i) => (i * 5) % C);
    const x = new Float32Array(n * d);
    // overlapping classes, so the optimum is interior and the loss is far from 0
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) x[i * d + j] = z[i * d + j] + (j === y[i] ? 2 : 0) + 2 * j;
    const r = linearProbe(m(x, n, d), y, m(x, n, d), y, { weightDecay: lambda });
    // reference: the probe's standardization, then plain float64 gradient descent to a tiny gradient
    const mean = new Float64Array(d);
    const sd = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (x[i * d + j] - mean[j]) ** 2 / n;
    const floor = (0.01 * sd.reduce((a, v) => a + v, 0)) / d + 1e-12;
    const xs = Float64Array.from(x, (v, k) => (v - mean[k % d]) / Math.sqrt(sd[k % d] + floor));
    const W = new Float64Array(C * d);
    const b = new Float64Array(C);
    let ce = 0;
    for (let it = 0; it < 20000; it++) {
      const gW = new Float64Array(C * d);
      const gb = new Float64Array(C);
      ce = 0;
      for (let i = 0; i < n; i++) {
        const zi = Array.from({ length: C }, (_, c) => b[c] + xs.subarray(i * d, i * d + d).reduce((a, v, j) => a + v * W[c * d + j], 0));
        const mx = Math.max(...zi);
        const lse = mx + Math.log(zi.reduce((a, v) => a + Math.exp(v - mx), 0));
        ce += (lse - zi[y[i]]) / n;
        for (let c = 0; c < C; c++) {
          const g = (Math.exp(zi[c] - lse) - (c === y[i] ? 1 : 0)) / n;
          gb[c] += g;
          for (let j = 0; j < d; j++) gW[c * d + j] += g * xs[i * d + j];
        }
      }
      let gmax = 0;
      for (let k = 0; k < C * d; k++) {
        gW[k] += lambda * W[k];
        gmax = Math.max(gmax, Math.abs(gW[k]));
        W[k] -= 0.5 * gW[k];
      }
      for (let c = 0; c < C; c++) {
        gmax = Math.max(gmax, Math.abs(gb[c]));
        b[c] -= 0.5 * gb[c];
      }
      if (gmax < 1e-9) break;
    }
    expect(ce).toBeGreaterThan(0.3);
    expect(Math.abs(r.loss - ce)).toBeLessThan(1e-4);
    // 5 Adam steps stop far from it: the check can tell a converged probe from an early stop
    const early = linearProbe(m(x, n, d), y, m(x, n, d), y, { weightDecay: lambda, solver: 'adam', steps: 5 });
    expect(Math.abs(early.loss - ce)).toBeGreaterThan(1e-2);
  });

  it("weightDecay 'auto' chooses the L2 strength without looking at the test rows", () => {
    const a = blobs(400, 10, 4, 1.2, 31);
    const tr = m(a.x.data.subarray(0, 300 * 10), 300, 10);
    const yTr = a.labels.subarray(0, 300);
    const te = m(a.x.data.subarray(300 * 10), 100, 10);
    const r1 = linearProbe(tr, yTr, te, a.labels.subarray(300));
    const r2 = linearProbe(tr, yTr, m(randn(50, 10, 3), 50, 10), new Int32Array(50));
    expect(r2.weightDecay).toBe(r1.weightDecay);
    expect(r2.loss).toBe(r1.loss);
  });

  it("folds: k picks the lambda with the most validation rows right over k stratified folds (sklearn's LogisticRegressionCV)", () => {
    const a = blobs(240, 12, 4, 1.6, 42); // data where one 20% split and 4 folds disagree
    const y = a.labels;
    const opts = { maxIterations: 5000, tolerance: 1e-7 };
    const r = linearProbe(a.x, y, a.x, y, { ...opts, folds: 4 });
    // the same choice by hand: each lambda fitted on three folds, scored on the fourth
    const f = stratifiedFolds(y, 4, 0);
    const rows = (k: number, inFold: boolean) => Array.from(f).flatMap((v, i) => ((v === k) === inFold ? [i] : []));
    const take = (idx: number[]) => m(Float32Array.from(idx.flatMap((i) => Array.from(a.x.data.subarray(i * 12, i * 12 + 12)))), idx.length, 12);
    const right = AUTO_WEIGHT_DECAYS.map((l) =>
      [0, 1, 2, 3].reduce((acc, k) => {
        const fit = rows(k, false);
        const val = rows(k, true);
        const p = linearProbe(
          take(fit),
          fit.map((i) => y[i]),
          take(val),
          val.map((i) => y[i]),
          { ...opts, weightDecay: l },
        );
        return acc + Math.round(p.accuracy * val.length);
      }, 0),
    );
    const best = right.indexOf(Math.max(...right)); // ties keep the stronger (earlier) lambda
    expect(new Set(right).size, 'the lambdas must not all tie, or the check proves nothing').toBeGreaterThan(1);
    expect(r.weightDecay).toBe(AUTO_WEIGHT_DECAYS[best]);
    // folds: 1 is the single 20% validation split, which picks another lambda here; the default is 5 folds
    const holdout = linearProbe(a.x, y, a.x, y, { ...opts, folds: 1 }).weightDecay;
    expect(holdout).not.toBe(r.weightDecay);
    const byDefault = linearProbe(a.x, y, a.x, y, opts);
    expect(byDefault.weightDecay).toBe(linearProbe(a.x, y, a.x, y, { ...opts, folds: 5 }).weightDecay);
  });

  it('bad probe options raise ContrastiveError naming them', () => {
    expectError(() => linearProbe(m([1, 2, 3, 4], 2, 2), [0, 1], m([1, 2], 1, 2), [0], { folds: 0 }), 'INVALID_ARGUMENT', 'folds');
    expectError(() => linearProbe(m([1, 2, 3, 4], 2, 2), [0, 1], m([1, 2], 1, 2), [0], { folds: 21 }), 'INVALID_ARGUMENT', 'folds');
    expectError(
      () => linearProbe(m([1, 2, 3, 4], 2, 2), [0, 1], m([1, 2], 1, 2), [0], { folds: 3 }),
      'INVALID_ARGUMENT',
      'folds 3 needs at least 3 training rows',
    );
    expectError(() => linearProbe(m([1, 2, 3, 4], 2, 2), [0, 1], m([1, 2], 1, 2), [0], { folds: 2.5 }), 'INVALID_ARGUMENT', 'folds');
    const x = m([1, 2, 3, 4], 2, 2);
    expectError(() => linearProbe(x, [0, 1], x, [0, 1], { solver: 'sgd' as never }), 'INVALID_ARGUMENT', 'solver');
    expectError(() => linearProbe(x, [0, 1], x, [0, 1], { weightDecay: -1 }), 'INVALID_ARGUMENT', 'weightDecay');
    expectError(() => linearProbe(x, [0, 1], x, [0, 1], { maxIterations: 0 }), 'INVALID_ARGUMENT', 'maxIterations');
    expectError(() => linearProbe(x, [0, 1], x, [0, 1]), 'INVALID_ARGUMENT', 'weightDecay');
  });
});

describe('alignment, uniformity, recall@k', () => {
  it('identical pairs have zero alignment and perfect recall', () => {
    const x = m(randn(20, 6, 5), 20, 6);
    expect(alignment(x, x)).toBeCloseTo(0, 6);
    expect(recallAtK(x, x, [1, 5])).toEqual({ 1: 1, 5: 1 });
  });

  it('antipodal points: alignment 4, uniformity -8 (log e^(-2 * 4))', () => {
    const a = m([1, 0], 1, 2);
    const b = m([-3, 0], 1, 2);
    expect(alignment(a, b)).toBeCloseTo(4, 5);
    expect(uniformity(m([1, 0, -2, 0], 2, 2))).toBeCloseTo(-8, 5);
  });

  it('recall@1 counts a query whose own key is outranked as a miss', () => {
    const q = m([1, 0, 0, 1], 2, 2);
    // query 0 finds its own key first; query 1's own key points away, key 0 outranks it
    const k = m([1, 0, 1, -0.2], 2, 2);
    expect(recallAtK(q, k, [1])[1]).toBe(0.5);
  });
});

describe('pca', () => {
  it('finds the axes of an anisotropic Gaussian with their variances', () => {
    const n = 4000;
    const z = randn(n, 3, 6);
    const x = new Float32Array(n * 3);
    const [s1, s2, s3] = [3, 1, 0.2];
    const norm = (i: number) => Math.hypot(z[i * 3], z[i * 3 + 1], z[i * 3 + 2]) / Math.sqrt(3);
    for (let i = 0; i < n; i++) {
      const k = norm(i) || 1;
      x[i * 3] = (s2 * z[i * 3]) / k + 5;
      x[i * 3 + 1] = (s1 * z[i * 3 + 1]) / k - 2;
      x[i * 3 + 2] = (s3 * z[i * 3 + 2]) / k;
    }
    const r = pca(m(x, n, 3), 2);
    expect(Math.abs(r.components.data[1])).toBeGreaterThan(0.99); // first axis = y
    expect(Math.abs(r.components.data[3])).toBeGreaterThan(0.99); // second axis = x
    expect(r.explainedVarianceRatio[0]).toBeGreaterThan(0.8);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += r.projected.data[i * 2] / n;
    expect(Math.abs(mean)).toBeLessThan(1e-3);
  });
});

describe('stratifiedSplit', () => {
  it('keeps class proportions, is disjoint, covers every row, and repeats for a seed', () => {
    const labels = Int32Array.from({ length: 1000 }, (_, i) => (i < 100 ? 0 : i < 400 ? 1 : 2));
    const s = stratifiedSplit(labels, 0.2, 42);
    expect(s.test.length).toBe(200);
    expect(Array.from(s.test).filter((i) => labels[i] === 0).length).toBe(20);
    expect(Array.from(s.test).filter((i) => labels[i] === 1).length).toBe(60);
    expect(new Set([...s.train, ...s.test]).size).toBe(1000);
    expect(stratifiedSplit(labels, 0.2, 42)).toEqual(s);
    expect(stratifiedSplit(labels, 0.2, 43).test).not.toEqual(s.test);
  });
});

describe('stratifiedFolds', () => {
  it('deals every class evenly over the k folds, repeats for a seed, and rejects k < 2 or k > rows', () => {
    const labels = Int32Array.from({ length: 1003 }, (_, i) => (i < 101 ? 0 : i < 400 ? 1 : 2));
    const f = stratifiedFolds(labels, 5, 7);
    for (const c of [0, 1, 2]) {
      const count = [0, 1, 2, 3, 4].map((k) => Array.from(f).filter((v, i) => v === k && labels[i] === c).length);
      const size = Array.from(labels).filter((l) => l === c).length;
      expect(Math.max(...count) - Math.min(...count), `class ${c}`).toBeLessThanOrEqual(1);
      expect(count.reduce((a, v) => a + v, 0)).toBe(size);
    }
    expect(stratifiedFolds(labels, 5, 7)).toEqual(f);
    expect(stratifiedFolds(labels, 5, 8)).not.toEqual(f);
    expectError(() => stratifiedFolds(labels, 1), 'INVALID_ARGUMENT', 'k must be');
    expectError(() => stratifiedFolds([0, 1], 3), 'INVALID_ARGUMENT', 'k must be');
  });
});
