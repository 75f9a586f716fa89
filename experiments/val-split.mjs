#!/usr/bin/env node
// Writes the CLI's 8,000 MNIST training digits as two IDX sets, 6,403 "fit" and 1,597 "val"
// (every 5th digit of each class goes to val), so a recipe choice can be scored without the 2,000
// test digits:
//   node experiments/val-split.mjs
//   pnpm contrastive eval --model m.safetensors --train-images out/experiments/fit-images.idx \
//     --train-labels out/experiments/fit-labels.idx --test-images out/experiments/val-images.idx \
//     --test-labels out/experiments/val-labels.idx --json
// (SimCLR training may see all 8,000 images: it reads no labels.)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadMnist, subset } from 'contrastive-cli/data';
import { writeIdx } from 'contrastive';

const out = new URL('../out/experiments/', import.meta.url);
mkdirSync(out, { recursive: true });
const { train } = await loadMnist();
const seen = new Map();
const fit = [];
const val = [];
for (let i = 0; i < train.n; i++) {
  const c = seen.get(train.labels[i]) ?? 0;
  seen.set(train.labels[i], c + 1);
  (c % 5 === 4 ? val : fit).push(i);
}
for (const [name, rows] of [
  ['fit', fit],
  ['val', val],
]) {
  const s = subset(train, rows);
  writeFileSync(new URL(`${name}-images.idx`, out), writeIdx([s.n, s.height, s.width], s.images));
  writeFileSync(new URL(`${name}-labels.idx`, out), writeIdx([s.n], Uint8Array.from(s.labels)));
  console.log(`${name}: ${s.n} digits -> out/experiments/${name}-{images,labels}.idx`);
}
