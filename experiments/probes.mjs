#!/usr/bin/env node
// Probe variants on the same frozen features: `linearProbe` at several step counts / L2
// strengths, and a float64 L-BFGS logistic regression fitted to convergence (sklearn
// LogisticRegression(C, lbfgs) semantics), with and without standardization. Each variant is
// scored on a validation split of the 8,000 training digits (fit on 6,400, score 1,600) and on
// the test split (fit on all 8,000). Features: raw pixels (default) or --features <file.f32>
// written by mlp-recipe.mjs --save (8,000 x D train rows, then 2,000 x D test rows).
//   node experiments/probes.mjs [--features out/experiments/default-s0.f32] [--variants a,b] [--test-only]
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as C from 'contrastive';
import { pick, pickL, validationSplit } from './rows.mjs';
import { loadMnist, pixelRows } from 'contrastive-cli/data';
import { lbfgsLogReg, standardizer } from './lbfgs-probe.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const get = (f, d) => (args.includes(f) ? args[args.indexOf(f) + 1] : d);
const featFile = get('--features');
const log = get('--log', `${root}out/experiments/probes.jsonl`);
await C.init();
const { train, test } = await loadMnist();
let tr;
let te;
if (featFile) {
  const all = new Float32Array(new Uint8Array(readFileSync(featFile)).buffer);
  const D = all.length / (train.n + test.n);
  tr = { data: all.subarray(0, train.n * D), rows: train.n, cols: D };
  te = { data: all.subarray(train.n * D), rows: test.n, cols: D };
} else {
  tr = pixelRows(train);
  te = pixelRows(test);
}
const val = validationSplit(train.labels);
const V = { tr: pick(tr, val.train), trl: pickL(train.labels, val.train), te: pick(tr, val.test), tel: pickL(train.labels, val.test) };
const T = { tr, trl: train.labels, te, tel: test.labels };

const ours = (o) => (s) => {
  const r = C.linearProbe(s.tr, s.trl, s.te, s.tel, o);
  return { acc: r.accuracy, trainAcc: r.trainAccuracy, loss: r.loss };
};
const lbfgs = (Creg, std) => (s) => {
  const D = s.tr.cols;
  let Xtr;
  let Xte;
  if (std) {
    const f = standardizer(s.tr.data, s.tr.rows, D);
    Xtr = f(s.tr.data, s.tr.rows);
    Xte = f(s.te.data, s.te.rows);
  } else {
    Xtr = Float64Array.from(s.tr.data);
    Xte = Float64Array.from(s.te.data);
  }
  const r = lbfgsLogReg(Xtr, s.trl, s.tr.rows, D, 10, { lambda: 1 / (Creg * s.tr.rows), maxIter: 1000, tol: 1e-5 });
  const p = r.predict(Xte, s.te.rows);
  let right = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === s.tel[i]) right++;
  return { acc: right / p.length, loss: r.loss, iterations: r.iterations };
};
const knn = (o) => (s) => ({ acc: C.knnAccuracy(s.tr, s.trl, s.te, s.tel, o) });

const VARIANTS = {
  'ours-300-wd1e-3': ours({}),
  'ours-1000-wd1e-3': ours({ steps: 1000 }),
  'ours-300-wd1e-4': ours({ weightDecay: 1e-4 }),
  'ours-1000-wd1e-4': ours({ steps: 1000, weightDecay: 1e-4 }),
  'ours-3000-wd1e-4': ours({ steps: 3000, weightDecay: 1e-4 }),
  'ours-1000-wd1e-5': ours({ steps: 1000, weightDecay: 1e-5 }),
  'ours-1000-wd1e-4-lr.005': ours({ steps: 1000, weightDecay: 1e-4, lr: 0.005 }),
  'lbfgs-C1-std': lbfgs(1, true),
  'lbfgs-C0.1-std': lbfgs(0.1, true),
  'lbfgs-C0.01-std': lbfgs(0.01, true),
  'lbfgs-C1-raw': lbfgs(1, false),
  'lbfgs-C0.1-raw': lbfgs(0.1, false),
  knn20: knn({}),
  'knn5-T.07': knn({ k: 5 }),
  'knn200-T.1': knn({ k: 200, temperature: 0.1 }),
};
const names = get('--variants', Object.keys(VARIANTS).join(',')).split(',');
for (const name of names) {
  const t0 = performance.now();
  const v = args.includes('--test-only') ? { acc: NaN } : VARIANTS[name](V);
  const t = VARIANTS[name](T);
  const rec = {
    features: featFile ?? 'pixels',
    probe: name,
    val: v.acc,
    test: t.acc,
    testTrainLoss: t.loss,
    iterations: t.iterations,
    seconds: +((performance.now() - t0) / 1000).toFixed(1),
  };
  appendFileSync(log, `${JSON.stringify(rec)}\n`);
  console.log(JSON.stringify(rec));
}
