// Quality of the default CLI recipe on a labeled image folder (dir/<class>/*.png): for each seed,
// `contrastive train --data DIR --val-split 0.2` with the default recipe, then linear probe and
// kNN of its embeddings against raw pixels on the same held-out 20% (`contrastive eval --data DIR
// --val-split 0.2`, same seed, same split). Prints a table with mean +- std over the seeds.
//
//   node bench/folder-quality.mjs DIR [--image-size 32] [--seeds 0,1,2] [--threads 2] [-- extra train flags]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../packages/cli/bin/contrastive.mjs', import.meta.url));
const cli = (...args) =>
  JSON.parse(execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 }));
const pct = (x) => (100 * x).toFixed(2);
const meanStd = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${pct(m)} ± ${pct(s)}`;
};

/** Trains and evaluates on `dir` once per seed; returns the rows and prints the table. */
export function folderQuality(dir, { size = '32', seeds = ['0'], threads = '1', extra = [], label = dir } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'contrastive-quality-'));
  const rows = [];
  for (const seed of seeds) {
    const common = ['--image-size', size, '--val-split', '0.2', '--seed', seed];
    const t0 = performance.now();
    const model = join(out, `model-${seed}.safetensors`);
    const train = cli('train', '--data', dir, ...common, '--threads', threads, ...extra, '--out', model, '--json');
    const seconds = (performance.now() - t0) / 1000;
    const raw = cli('eval', '--data', dir, ...common, '--json');
    const enc = cli('eval', '--model', model, '--data', dir, '--val-split', '0.2', '--seed', seed, '--json');
    rows.push({ seed, train, raw, enc, seconds });
    console.log(
      `seed ${seed}: raw ${pct(raw.linearProbeAccuracy)} / ${pct(raw.knnAccuracy)}, recipe ${pct(enc.linearProbeAccuracy)} / ${pct(enc.knnAccuracy)} (linear / kNN); ${train.encoder} ${train.input.join('x')}, ${train.epochs} epochs, ${train.steps} steps, ${JSON.stringify(train.recipe)}; ${seconds.toFixed(0)} s`,
    );
  }
  rmSync(out, { recursive: true, force: true });
  const col = (f) => meanStd(rows.map(f));
  console.log(`\n${label}: ${rows[0].raw.train} train / ${rows[0].raw.test} held-out images, seeds ${seeds.join(', ')}`);
  console.log('| features | linear probe | kNN (k = 20) | dims |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| raw pixels (${size}x${size}) | ${col((r) => r.raw.linearProbeAccuracy)} | ${col((r) => r.raw.knnAccuracy)} | ${rows[0].raw.dims} |`);
  console.log(
    `| default CLI recipe (${rows[0].train.encoder}, SimCLR) | ${col((r) => r.enc.linearProbeAccuracy)} | ${col((r) => r.enc.knnAccuracy)} | ${rows[0].enc.dims} |`,
  );
  const gain = (f, g) => meanStd(rows.map((r) => f(r) - g(r)));
  console.log(
    `gain over raw pixels: linear ${gain(
      (r) => r.enc.linearProbeAccuracy,
      (r) => r.raw.linearProbeAccuracy,
    )}, kNN ${gain(
      (r) => r.enc.knnAccuracy,
      (r) => r.raw.knnAccuracy,
    )} points`,
  );
  return rows;
}

/** The flags of a bench script: --image-size, --seeds, --threads, and after `--` extra train flags. */
export function benchArgs(argv) {
  const dash = argv.indexOf('--');
  const own = dash >= 0 ? argv.slice(0, dash) : argv;
  const arg = (name, dflt) => {
    const i = own.indexOf(`--${name}`);
    return i >= 0 ? own[i + 1] : dflt;
  };
  return {
    size: arg('image-size', '32'),
    seeds: arg('seeds', arg('seed', '0')).split(','),
    threads: arg('threads', '1'),
    extra: dash >= 0 ? argv.slice(dash + 1) : [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node bench/folder-quality.mjs DIR [--image-size N] [--seeds 0,1,2] [--threads n] [-- train flags]');
  folderQuality(dir, benchArgs(process.argv.slice(3)));
}
