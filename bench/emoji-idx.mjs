// The RGB image folder of the methods table (docs/methods.md) as IDX files, so that
// bench/methods.mjs runs it exactly as it runs MNIST and Fashion-MNIST: the Noto emoji of the npm
// package emoji-datasource-google, one folder per Unicode category, flattened onto white
// (bench/lib/emoji-folder.mjs, as for bench/emoji-quality.mjs), loaded by the CLI's folder loader
// (contrastive/node-images) at --image-size x --image-size RGB, and split 80 / 20, stratified by
// class, with seed 0 (trainValTestSplit). Writes train-images-idx3-ubyte (N x H x W x 3),
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, plus classes.txt,
// into OUT.
//
//   npm i --prefix /tmp/emoji emoji-datasource-google@16.0.0
//   node bench/emoji-idx.mjs /tmp/emoji/node_modules/emoji-datasource-google OUT [--image-size 32]
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeEmojiFolder } from './lib/emoji-folder.mjs';

const [pkg, out] = process.argv.slice(2);
if (!pkg || !out || !existsSync(join(pkg, 'emoji.json')))
  throw new Error('usage: node bench/emoji-idx.mjs <path of emoji-datasource-google> OUT [--image-size N]');
const i = process.argv.indexOf('--image-size');
const size = i > 0 ? Number(process.argv[i + 1]) : 32;
const root = new URL('../packages/contrastive/', import.meta.url);
const lib = await import(new URL('dist/index.node.js', root).href);
const { loadImageFolder } = await import(new URL('dist/data/node-images.js', root).href);

const dir = mkdtempSync(join(tmpdir(), 'contrastive-emoji-'));
await writeEmojiFolder(pkg, dir);
const set = await loadImageFolder(dir, { size: [size, size], channels: 3 });
rmSync(dir, { recursive: true, force: true });
const split = lib.trainValTestSplit(set.labels, { val: 0.2, seed: 0 });
const px = size * size * 3;
mkdirSync(out, { recursive: true });
for (const [name, idx] of [
  ['train', split.train],
  ['t10k', split.val],
]) {
  const images = new Uint8Array(idx.length * px);
  idx.forEach((r, k) => images.set(set.data.subarray(r * px, (r + 1) * px), k * px));
  writeFileSync(join(out, `${name}-images-idx3-ubyte`), lib.writeIdx([idx.length, size, size, 3], images));
  writeFileSync(
    join(out, `${name}-labels-idx1-ubyte`),
    lib.writeIdx(
      [idx.length],
      Uint8Array.from(idx, (r) => set.labels[r]),
    ),
  );
}
writeFileSync(join(out, 'classes.txt'), `${set.classes.join('\n')}\n`);
console.log(`${set.n} emoji in ${set.classes.length} classes at ${size}x${size}: ${split.train.length} train / ${split.val.length} test -> ${out}`);
