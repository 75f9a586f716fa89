#!/usr/bin/env node
// How hard is the fixed MNIST test split (seed 0) compared with other stratified 8,000 / 2,000
// splits of the same 10,000 digits? Raw-pixel linear probe and kNN on split seeds 0..N-1.
//   node experiments/split-difficulty.mjs [--splits 10]
import * as C from 'contrastive';
import { loadMnist, pixelRows, subset } from 'contrastive-cli/data';

const args = process.argv.slice(2);
const splits = Number(args.includes('--splits') ? args[args.indexOf('--splits') + 1] : 10);
await C.init();
const { train, test } = await loadMnist();
const images = new Uint8Array((train.n + test.n) * 784);
images.set(train.images);
images.set(test.images, train.images.length);
const labels = Int32Array.from([...train.labels, ...test.labels]);
// seed 0 here is not the CLI's split (the rows are in another order): the CLI split is row "cli"
const all = { images, n: train.n + test.n, height: 28, width: 28, channels: 1, labels };
const rows = [];
const run = (name, tr, te) => {
  const a = pixelRows(tr);
  const b = pixelRows(te);
  const lin = C.linearProbe(a, tr.labels, b, te.labels).accuracy;
  const knn = C.knnAccuracy(a, tr.labels, b, te.labels);
  rows.push({ split: name, linear: lin, knn });
  console.log(JSON.stringify(rows.at(-1)));
};
run('cli', train, test);
for (let s = 1; s <= splits; s++) {
  const sp = C.stratifiedSplit(labels, 0.2, 1000 + s);
  run(String(1000 + s), subset(all, sp.train), subset(all, sp.test));
}
const others = rows.slice(1);
const mean = (k) => others.reduce((a, r) => a + r[k], 0) / others.length;
const sd = (k) => Math.sqrt(others.reduce((a, r) => a + (r[k] - mean(k)) ** 2, 0) / (others.length - 1));
console.log(
  JSON.stringify({ otherSplits: others.length, linearMean: mean('linear'), linearSd: sd('linear'), knnMean: mean('knn'), knnSd: sd('knn'), cli: rows[0] }),
);
