#!/usr/bin/env node
// Re-scores saved features (mlp-recipe.mjs --save) with today's probes, so runs made before and
// after a probe change compare on one protocol: linearProbe (L-BFGS, 'auto' L2), the former
// default (Adam 300 steps, L2 1e-3) and kNN (k 20, T 0.07), on the test split.
//   node experiments/reprobe.mjs out/experiments/default-s0.f32 ... [--log file]
import { appendFileSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import * as C from 'contrastive';
import { loadMnist } from 'contrastive-cli/data';

const args = process.argv.slice(2);
const log = args.includes('--log') ? args[args.indexOf('--log') + 1] : undefined;
const files = args.filter((a, i) => a.endsWith('.f32') && args[i - 1] !== '--log');
await C.init();
const { train, test } = await loadMnist();
for (const f of files) {
  const all = new Float32Array(new Uint8Array(readFileSync(f)).buffer);
  const D = all.length / (train.n + test.n);
  const tr = { data: all.subarray(0, train.n * D), rows: train.n, cols: D };
  const te = { data: all.subarray(train.n * D), rows: test.n, cols: D };
  const t0 = performance.now();
  const lin = C.linearProbe(tr, train.labels, te, test.labels);
  const s = (performance.now() - t0) / 1000;
  const adam = C.linearProbe(tr, train.labels, te, test.labels, { solver: 'adam', weightDecay: 1e-3 });
  const knn = C.knnAccuracy(tr, train.labels, te, test.labels);
  const m = /^(.*)-s(\d+)\.f32$/.exec(basename(f));
  const rec = {
    config: m?.[1],
    seed: Number(m?.[2]),
    linear: lin.accuracy,
    probeL2: lin.weightDecay,
    probeSeconds: +s.toFixed(1),
    adamProbe: adam.accuracy,
    knn,
  };
  console.log(JSON.stringify(rec));
  if (log) appendFileSync(log, `${JSON.stringify(rec)}\n`);
}
