#!/usr/bin/env node
// 5-fold cross-validated linear-probe and kNN accuracy of trained encoders on the 8,000 training
// digits (each digit scored once, by probes fitted on the other four folds; the test digits are
// never read): a validation with 5x the scored digits of val-split.mjs's 1,597, so recipe
// variants 0.2 points apart can be told from noise with a few seeds.
//   node scripts/experiments/cv-probe.mjs out/x-s0.safetensors ... [LOG=file.jsonl] [T=threads]
// Files are named <tag>-s<seed>.safetensors (from `contrastive train --out`).
import * as C from '../../packages/contrastive/dist/index.node.js';
import { loadMnist, pixelRows } from '../../packages/cli/dist/data.js';
import { loadEncoder } from '../../packages/cli/dist/model.js';
import { pick, pickL } from './rows.mjs';
import { appendFileSync } from 'node:fs';
await C.init({ threads: Number(process.env.T ?? 1) });
const { train } = await loadMnist();
const folds = new Int32Array(train.n);
{ // stratified: within each class, a seeded shuffle dealt round-robin into 5 folds
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let c = 0; c < 10; c++) {
    const idx = []; for (let i = 0; i < train.n; i++) if (train.labels[i] === c) idx.push(i);
    for (let i = idx.length - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [idx[i], idx[j]] = [idx[j], idx[i]]; }
    idx.forEach((r, k) => { folds[r] = k % 5; });
  }
}
for (const file of process.argv.slice(2)) {
  const { encoder, spec } = await loadEncoder(file);
  const p = pixelRows(train);
  const tr = C.embed(encoder, spec.kind === 'mlp' ? { data: p.data, shape: [p.rows, p.cols] } : { data: p.data, shape: [p.rows, 1, 28, 28] });
  let lin = 0, knn = 0;
  for (let f = 0; f < 5; f++) {
    const a = [], b = []; for (let i = 0; i < train.n; i++) (folds[i] === f ? b : a).push(i);
    const l = C.linearProbe(pick(tr, a), pickL(train.labels, a), pick(tr, b), pickL(train.labels, b));
    lin += l.accuracy * b.length; knn += C.knnAccuracy(pick(tr, a), pickL(train.labels, a), pick(tr, b), pickL(train.labels, b)) * b.length;
  }
  const m = /([^/]*)-s(\d+)\.safetensors$/.exec(file);
  const rec = { tag: m[1], seed: +m[2], cvLinear: lin / train.n, cvKnn: knn / train.n };
  console.log(JSON.stringify(rec));
  appendFileSync(process.env.LOG ?? 'out/experiments/cv.jsonl', JSON.stringify(rec) + '\n');
  encoder.free();
}
