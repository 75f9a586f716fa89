// Loading a folder of 256x256 JPEGs into 64x64 RGB uint8: contrastive's loadImageFolder (sharp
// underneath, plus listing, ordering, labels and the copy into one array) against a plain sharp
// decode + resize loop over the same files, side by side, several interleaved rounds.
//
//   node bench/image-folder.mjs [--files 400] [--rounds 5]
//
// Needs the built package (pnpm --filter contrastive build) and sharp (a dev dependency of it).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadImageFolder, listImageFiles } from '../packages/contrastive/dist/data/node-images.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FILES = arg('files', 400);
const ROUNDS = arg('rounds', 5);
const sharp = createRequire(new URL('../packages/contrastive/package.json', import.meta.url))('sharp');

// photo-like content: smooth colour fields, edges and noise (JPEG sizes ~ real photos of this size)
const dir = mkdtempSync(join(tmpdir(), 'contrastive-bench-images-'));
let s = 12345;
const rand = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
for (let i = 0; i < FILES; i++) {
  const cls = `class${i % 4}`;
  mkdirSync(join(dir, cls), { recursive: true });
  const px = Buffer.alloc(256 * 256 * 3);
  const [a, b, c] = [rand() * 6, rand() * 6, rand() * 255];
  for (let y = 0; y < 256; y++)
    for (let x = 0; x < 256; x++) {
      const o = 3 * (y * 256 + x);
      px[o] = (128 + 100 * Math.sin(x / 20 + a) + 20 * rand()) & 255;
      px[o + 1] = (128 + 100 * Math.cos(y / 25 + b) + 20 * rand()) & 255;
      px[o + 2] = ((x + y) / 2 + c) & 255;
    }
  writeFileSync(
    join(dir, cls, `${i}.jpg`),
    await sharp(px, { raw: { width: 256, height: 256, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer(),
  );
}
const files = (await listImageFiles(dir)).map((f) => join(dir, f));

async function plainLoop() {
  const out = [];
  for (const f of files)
    out.push(
      await sharp(await readFile(f))
        .resize({ width: 64, height: 64, fit: 'cover' })
        .removeAlpha()
        .raw()
        .toBuffer(),
    );
  return out.length;
}
async function plainConcurrent(k) {
  let next = 0;
  const out = new Array(files.length);
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (next < files.length) {
        const i = next++;
        out[i] = await sharp(await readFile(files[i]))
          .resize({ width: 64, height: 64, fit: 'cover' })
          .removeAlpha()
          .raw()
          .toBuffer();
      }
    }),
  );
  return out.length;
}
const runs = {
  'loadImageFolder (concurrency 1)': () => loadImageFolder(dir, { size: 64, concurrency: 1 }).then((x) => x.n),
  'plain sharp loop (one at a time)': plainLoop,
  'loadImageFolder (default, concurrency 4)': () => loadImageFolder(dir, { size: 64 }).then((x) => x.n),
  'plain sharp, 4 at a time': () => plainConcurrent(4),
};
const times = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
await runs['plain sharp loop (one at a time)'](); // warm-up: file cache, libvips init
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(runs)) {
    const t0 = performance.now();
    const n = await fn();
    if (n !== FILES) throw new Error(`${name} loaded ${n} images`);
    times[name].push(performance.now() - t0);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
console.log(
  `${FILES} JPEGs 256x256 -> 64x64 RGB, ${ROUNDS} interleaved rounds; node ${process.version}, sharp ${sharp.versions.sharp} (libvips ${sharp.versions.vips}), ${cpus().length} cores, sharp.concurrency() = ${sharp.concurrency()}`,
);
for (const [name, t] of Object.entries(times))
  console.log(`${name.padEnd(42)} ${(FILES / (median(t) / 1000)).toFixed(0).padStart(6)} images/s  (median ${median(t).toFixed(0)} ms)`);
const ratio = (a, b) => (median(times[b]) / median(times[a])).toFixed(3);
console.log(`loader / plain, one at a time: ${ratio('loadImageFolder (concurrency 1)', 'plain sharp loop (one at a time)')}x the plain loop's images/s`);
console.log(`loader / plain, 4 at a time:   ${ratio('loadImageFolder (default, concurrency 4)', 'plain sharp, 4 at a time')}x`);
console.log(`loader (default) / plain loop: ${ratio('loadImageFolder (default, concurrency 4)', 'plain sharp loop (one at a time)')}x`);
rmSync(dir, { recursive: true, force: true });
