// The methods table (docs/methods.md): every `contrastive train --method` on the same encoder,
// augmentations, optimizer and epochs, then `contrastive eval` (linear probe and weighted kNN on
// the encoder's embeddings), over several seeds; beside raw pixels and a random-init encoder.
// With --lightly, bench/peers/lightly_methods.py trains the same encoder, heads, augmentations and
// schedule with lightly's losses in PyTorch, and its encoders are scored by the same `eval`.
//
//   nice node bench/methods.mjs --encoder mlp --epochs 2 --seeds 0,1,2 [--methods simclr,byol]
//        [--images F --labels F --test-images F --test-labels F] [--lightly simclr,byol,barlowtwins]
//        [--out bench/methods-results.json]
// Prints a Markdown table; --out also writes every run as JSON. One thread per run (--threads 1).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'packages/cli/dist/main.js');
const { values: o } = benchArgs({
  options: {
    encoder: { type: 'string', default: 'mlp' },
    epochs: { type: 'string', default: '2' },
    seeds: { type: 'string', default: '0,1,2' },
    methods: { type: 'string', default: 'simclr,moco,supcon,dcl,dclw,byol,simsiam,barlowtwins,vicreg,nnclr,triplet,multisimilarity' },
    'batch-size': { type: 'string', default: '256' },
    images: { type: 'string' },
    labels: { type: 'string' },
    'test-images': { type: 'string' },
    'test-labels': { type: 'string' },
    lightly: { type: 'string' },
    python: { type: 'string', default: 'python3' },
    out: { type: 'string' },
  },
});
const seeds = o.seeds.split(',').map(Number);
const tmp = mkdtempSync(join(tmpdir(), 'ct-methods-'));
const trainData = o.images ? ['--images', o.images, '--labels', o.labels] : ['--dataset', 'mnist'];
const evalData = o.images
  ? ['--train-images', o.images, '--train-labels', o.labels, '--test-images', o['test-images'], '--test-labels', o['test-labels']]
  : ['--dataset', 'mnist'];
const node = (args) => JSON.parse(execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', cli, ...args, '--threads', '1', '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 }).trim().split('\n').at(-1));
const runs = [];
const log = (r) => {
  runs.push(r);
  console.error(JSON.stringify(r));
};

// baselines: raw pixels; the encoder at its initialization (trained for 0 steps: lr 1e-30, one epoch, so only BN statistics move)
const raw = node(['eval', ...evalData]);
log({ method: 'raw pixels', seed: 0, linear: raw.linearProbeAccuracy, knn: raw.knnAccuracy });
for (const seed of seeds) {
  const out = join(tmp, `random-${seed}.safetensors`);
  node(['train', ...trainData, '--encoder', o.encoder, '--epochs', '1', '--lr', '1e-30', '--seed', String(seed), '--out', out]);
  const e = node(['eval', '--model', out, ...evalData]);
  log({ method: 'random init', seed, linear: e.linearProbeAccuracy, knn: e.knnAccuracy });
}
for (const method of o.methods.split(',')) {
  for (const seed of seeds) {
    const out = join(tmp, `${method}-${seed}.safetensors`);
    const t = node(['train', ...trainData, '--encoder', o.encoder, '--method', method, '--epochs', o.epochs, '--batch-size', o['batch-size'], '--seed', String(seed), '--out', out]);
    const e = node(['eval', '--model', out, ...evalData]);
    log({ method, seed, linear: e.linearProbeAccuracy, knn: e.knnAccuracy, secondsPerEpoch: t.seconds / t.epochs, firstLoss: t.firstLoss, finalLoss: t.finalLoss });
  }
}
if (o.lightly) {
  for (const method of o.lightly.split(',')) {
    for (const seed of seeds) {
      const out = join(tmp, `lightly-${method}-${seed}.safetensors`);
      const py = execFileSync(o.python, [join(root, 'bench/peers/lightly_methods.py'), '--method', method, '--encoder', o.encoder, '--epochs', o.epochs,
        '--batch-size', o['batch-size'], '--seed', String(seed), '--out', out, ...(o.images ? ['--images', o.images, '--labels', o.labels] : [])], { encoding: 'utf8' });
      const t = JSON.parse(py.trim().split('\n').at(-1));
      const e = node(['eval', '--model', out, ...evalData]);
      log({ method: `${method} (lightly)`, seed, linear: e.linearProbeAccuracy, knn: e.knnAccuracy, secondsPerEpoch: t.secondsPerEpoch, firstLoss: t.firstLoss, finalLoss: t.finalLoss });
    }
  }
}

const stat = (v) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)) : 0;
  return { m, sd };
};
const pct = (v) => {
  const { m, sd } = stat(v.map((x) => 100 * x));
  return v.length > 1 ? `${m.toFixed(2)} ± ${sd.toFixed(2)}` : m.toFixed(2);
};
console.log(`| method | kNN (%) | linear probe (%) | s / epoch (1 thread) | seeds |\n| --- | --- | --- | --- | --- |`);
for (const name of [...new Set(runs.map((r) => r.method))]) {
  const rs = runs.filter((r) => r.method === name);
  const sec = rs.filter((r) => r.secondsPerEpoch !== undefined).map((r) => r.secondsPerEpoch);
  console.log(`| ${name} | ${pct(rs.map((r) => r.knn))} | ${pct(rs.map((r) => r.linear))} | ${sec.length ? stat(sec).m.toFixed(1) : '-'} | ${rs.length} |`);
}
if (o.out) writeFileSync(o.out, JSON.stringify({ encoder: o.encoder, epochs: Number(o.epochs), batchSize: Number(o['batch-size']), seeds, runs }, null, 1));
