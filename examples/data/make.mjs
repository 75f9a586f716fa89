// Writes the small data sets the docs/data.md examples read (committed, so the examples need no
// generator): 12 MNIST digits per class as PNGs from the mnist package, a CSV table and JSONL pairs.
//   node examples/data/make.mjs
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sharp = createRequire(new URL('../../packages/contrastive/package.json', import.meta.url))('sharp');
const digits = join(dirname(createRequire(new URL('../../packages/cli/package.json', import.meta.url)).resolve('mnist/package.json')), 'src', 'digits');
rmSync(join(here, 'digits'), { recursive: true, force: true });
for (let d = 0; d < 10; d++) {
  const data = JSON.parse(readFileSync(join(digits, `${d}.json`), 'utf8')).data;
  mkdirSync(join(here, 'digits', String(d)), { recursive: true });
  for (let i = 0; i < 12; i++) {
    const px = Buffer.from(Array.from({ length: 784 }, (_, p) => Math.round(data[i * 784 + p] * 255)));
    await sharp(px, { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(here, 'digits', String(d), `${i}.png`));
  }
}
// a table: sensor readings of three machine states, a text column and an id
let s = 3;
const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
const rows = ['id,site,temperature,vibration,current,state'];
for (let i = 0; i < 90; i++) {
  const k = i % 3;
  rows.push(`${i},${['north', 'south'][Math.floor(rand() * 2)]},${(40 + 15 * k + 5 * rand()).toFixed(2)},${(0.2 + 0.5 * k * rand()).toFixed(3)},${(3 - k + rand()).toFixed(2)},${['idle', 'running', 'worn bearing'][k]}`);
}
writeFileSync(join(here, 'machines.csv'), rows.join('\n') + '\n');
// pairs: a 6-d "query" vector and a 4-d "document" vector that a fixed map of it explains
const pairs = [];
for (let i = 0; i < 128; i++) {
  const a = Array.from({ length: 6 }, () => +(rand() * 2 - 1).toFixed(4));
  const p = [a[0] + a[1], a[2] - a[3], 2 * a[4], a[5]].map((v) => +(v + 0.05 * (rand() - 0.5)).toFixed(4));
  pairs.push(JSON.stringify({ anchor: a, positive: p }));
}
writeFileSync(join(here, 'pairs.jsonl'), pairs.join('\n') + '\n');
// triplets as column groups of one CSV: a query (q_0..q_5), its document (d_0..d_3) and a hard
// negative (n_0..n_3): the document of the query with one feature's sign flipped, so it agrees
// with the true document on three of its four values
const doc = (a) => [a[0] + a[1], a[2] - a[3], 2 * a[4], a[5]];
const trip = [['id', ...[0, 1, 2, 3, 4, 5].map((k) => `q_${k}`), ...[0, 1, 2, 3].map((k) => `d_${k}`), ...[0, 1, 2, 3].map((k) => `n_${k}`)].join(',')];
for (let i = 0; i < 128; i++) {
  const a = Array.from({ length: 6 }, () => +(rand() * 2 - 1).toFixed(4));
  const flip = a.map((v, k) => (k === 4 ? -v : v));
  const noisy = (v) => +(v + 0.05 * (rand() - 0.5)).toFixed(4);
  trip.push([`t${i}`, ...a, ...doc(a).map(noisy), ...doc(flip).map(noisy)].join(','));
}
writeFileSync(join(here, 'triplets.csv'), trip.join('\n') + '\n');
