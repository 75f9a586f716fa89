// How the linear probe should choose its L2 strength, by nested cross-validation on the training
// digits (the test digits are never read): outer 5 folds (cvFolds); inside each outer fit set,
// linearProbe picks lambda on one 20% split (folds: 1) or by 5-fold CV (folds: 5), and the outer
// fold scores the result. Prints and appends one JSON line per encoder file ('raw' = pixels).
//   node experiments/probe-folds.mjs raw out/a-s0.safetensors ...
import * as C from 'contrastive';
import { loadMnist, pixelRows } from 'contrastive-cli/data';
import { loadEncoder } from './encoder.mjs';
import { cvFolds, pick, pickL } from './rows.mjs';
import { appendFileSync, mkdirSync } from 'node:fs';
await C.init({ threads: 1 });
const { train } = await loadMnist();
const folds = cvFolds(train.labels);
for (const file of process.argv.slice(2)) {
  const { encoder, spec } = file === 'raw' ? { encoder: { free() {} }, spec: { kind: 'raw' } } : await loadEncoder(file);
  const p = pixelRows(train);
  const tr =
    file === 'raw'
      ? { data: p.data, rows: p.rows, cols: p.cols }
      : C.embed(encoder, spec.kind === 'mlp' ? { data: p.data, shape: [p.rows, p.cols] } : { data: p.data, shape: [p.rows, 1, 28, 28] });
  const res = {};
  for (const k of [1, 5]) {
    let right = 0;
    const lams = [];
    for (let f = 0; f < 5; f++) {
      const a = [],
        b = [];
      for (let i = 0; i < train.n; i++) (folds[i] === f ? b : a).push(i);
      const r = C.linearProbe(pick(tr, a), pickL(train.labels, a), pick(tr, b), pickL(train.labels, b), { folds: k });
      right += Math.round(r.accuracy * b.length);
      lams.push(r.weightDecay);
    }
    res[`k${k}`] = right / train.n;
    res[`lam${k}`] = lams.join(' ');
  }
  const rec = { file: file.split('/').pop(), ...res };
  console.log(JSON.stringify(rec));
  mkdirSync('out/experiments', { recursive: true });
  appendFileSync('out/experiments/probe-folds.jsonl', JSON.stringify(rec) + '\n');
  encoder.free();
}
