// Quality on a real RGB image folder: the Noto emoji that the npm package emoji-datasource-google
// ships (64x64 PNGs), one folder per Unicode category (Smileys & Emotion, People & Body, Animals &
// Nature, Food & Drink, Travel & Places, Activities, Objects, Symbols, Flags; skin-tone variants
// and the 5 "Component" images left out), flattened onto white. The default CLI recipe
// (`contrastive train --data DIR --val-split 0.2`) against raw pixels, linear probe and kNN on
// the same held-out 20% (`contrastive eval --data DIR --val-split 0.2`, same seed, same split).
//
//   npm i --prefix /tmp/emoji emoji-datasource-google@16.0.0
//   node bench/emoji-quality.mjs /tmp/emoji/node_modules/emoji-datasource-google [--image-size 32] [--seed 0] [--threads 2]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = process.argv[2];
if (!pkg || !existsSync(join(pkg, 'emoji.json')))
  throw new Error('usage: node bench/emoji-quality.mjs <path of emoji-datasource-google> [--image-size N] [--seed S]');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const size = arg('image-size', '32');
const seed = arg('seed', '0');
const threads = arg('threads', '1');
const sharp = createRequire(new URL('../packages/contrastive/package.json', import.meta.url))('sharp');
const bin = fileURLToPath(new URL('../packages/cli/bin/contrastive.mjs', import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'contrastive-emoji-'));
const emoji = JSON.parse(readFileSync(join(pkg, 'emoji.json'), 'utf8')).filter((e) => e.has_img_google && e.category !== 'Component');
for (const e of emoji) {
  const cls = e.category.replace(/[^A-Za-z]+/g, '-');
  mkdirSync(join(dir, cls), { recursive: true });
  await sharp(join(pkg, 'img', 'google', '64', e.image))
    .flatten({ background: '#ffffff' })
    .png()
    .toFile(join(dir, cls, e.image));
}
console.log(`${emoji.length} emoji in ${new Set(emoji.map((e) => e.category)).size} classes -> ${dir}`);
const cli = (...args) =>
  JSON.parse(execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }));
const common = ['--image-size', size, '--val-split', '0.2', '--seed', seed, '--threads', threads];
const t0 = performance.now();
const train = cli('train', '--data', dir, ...common, '--out', join(dir, 'model.safetensors'), '--json');
const trainSeconds = (performance.now() - t0) / 1000;
const raw = cli('eval', '--data', dir, '--image-size', size, '--val-split', '0.2', '--seed', seed, '--json');
const model = cli('eval', '--model', join(dir, 'model.safetensors'), '--data', dir, '--val-split', '0.2', '--seed', seed, '--json');
const pct = (x) => `${(100 * x).toFixed(2)}%`;
console.log(
  `recipe: ${train.encoder} encoder on ${train.input.join('x')}, ${train.epochs} epochs, ${train.steps} steps, ${JSON.stringify(train.recipe)}; ${trainSeconds.toFixed(0)} s`,
);
console.log('| features | linear probe | kNN (k = 20) | dims |');
console.log('| --- | --- | --- | --- |');
console.log(`| raw pixels (${size}x${size} RGB) | ${pct(raw.linearProbeAccuracy)} | ${pct(raw.knnAccuracy)} | ${raw.dims} |`);
console.log(`| default CLI recipe (${train.encoder}, SimCLR) | ${pct(model.linearProbeAccuracy)} | ${pct(model.knnAccuracy)} | ${model.dims} |`);
console.log(`(${raw.train} train / ${raw.test} held-out images)`);
rmSync(dir, { recursive: true, force: true });
