#!/usr/bin/env node
// 5-fold cross-validated linear-probe and kNN accuracy of trained encoders on the 8,000 training
// digits (each digit scored once, by probes fitted on the other four folds; the test digits are
// never read): a validation with 5x the scored digits of val-split.mjs's 1,597, so recipe
// variants 0.2 points apart can be told from noise with a few seeds.
//   node experiments/cv-probe.mjs out/x-s0.safetensors ... [LOG=file.jsonl] [T=threads]
// Files are named <tag>-s<seed>.safetensors (from `contrastive train --out`).
import * as C from 'contrastive';
import { loadMnist, pixelRows } from 'contrastive-cli/data';
import { loadEncoder } from './encoder.mjs';
import { cvProbe } from './rows.mjs';
import { appendFileSync, mkdirSync } from 'node:fs';
await C.init({ threads: Number(process.env.T ?? 1) });
const { train } = await loadMnist();
for (const file of process.argv.slice(2)) {
  const { encoder, spec } = await loadEncoder(file);
  const p = pixelRows(train);
  const tr = C.embed(encoder, spec.kind === 'mlp' ? { data: p.data, shape: [p.rows, p.cols] } : { data: p.data, shape: [p.rows, 1, 28, 28] });
  const m = /([^/]*)-s(\d+)\.safetensors$/.exec(file);
  const rec = { tag: m[1], seed: +m[2], ...cvProbe(C, tr, train.labels) };
  console.log(JSON.stringify(rec));
  mkdirSync('out/experiments', { recursive: true });
  appendFileSync(process.env.LOG ?? 'out/experiments/cv.jsonl', JSON.stringify(rec) + '\n');
  encoder.free();
}
