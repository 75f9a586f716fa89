#!/usr/bin/env node
// One SimCLR training step of the demo's CNN (lenet28: two Conv3x3-BN-ReLU-MaxPool2 blocks of 32
// and 64 channels, Linear to 256; head 256-256-128; NT-Xent tau 0.2; AdamW) on two views of B
// fixed pseudo-random 28x28 images, per thread count, each on a fresh init({ threads }) in this
// process, for each kernel variant asked for (--variants simd128,relaxed: relaxed needs an engine
// with relaxed SIMD, so on Node 20 run `node --experimental-wasm-relaxed-simd`). Rounds interleave
// the configurations, so a slow stretch of the host hits all of them; prints the median step time
// of each and the per-round ratio to the first.
// --pkg DIR runs another build of the package (e.g. a copy of packages/contrastive from before a
// change), to compare two builds in turn.
//
// Usage: node [--experimental-wasm-relaxed-simd] bench/cnn-step.mjs [--threads 1,2] [--variants simd128]
//          [--batch 256] [--steps 8] [--rounds 5] [--pkg DIR]
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './args.mjs';
import { median } from './lib/gemm-core.mjs';

const { values: args } = benchArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    variants: { type: 'string', default: 'simd128' },
    batch: { type: 'string', default: '256' },
    steps: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '5' },
    pkg: { type: 'string' },
  },
});
const configs = args.variants.split(',').flatMap((variant) => args.threads.split(',').map((t) => ({ variant, threads: Number(t) })));
const label = (c) => `${c.variant}, ${c.threads} thread${c.threads > 1 ? 's' : ''}`;
const B = Number(args.batch);
const pkgDir = args.pkg ?? new URL('../packages/contrastive', import.meta.url).pathname;
const C = await import(pathToFileURL(`${pkgDir}/dist/index.node.js`).href);
const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => (((Math.sin(i * 12.9898 + s * 78.233) * 43758.5453) % 1) + 1) % 1);
const views = [
  { data: rnd(B * 784, 1), shape: [B, 1, 28, 28] },
  { data: rnd(B * 784, 2), shape: [B, 1, 28, 28] },
];

/** Median ms of `steps` timed steps (after one untimed) on a fresh model. */
async function run({ threads, variant }) {
  await C.init({ threads, variant });
  const encoder = C.lenet28({ seed: 0 });
  const model = new C.Sequential(encoder, C.simclrHead(256, { seed: 1 }));
  const trainer = new C.Trainer({
    method: 'simclr',
    model,
    temperature: 0.2,
    optimizer: new C.AdamW(model.namedParameters(), { lr: 2e-3, weightDecay: 1e-4 }),
  });
  trainer.step(views);
  const ms = [];
  for (let i = 0; i < Number(args.steps); i++) {
    const t = performance.now();
    trainer.step(views);
    ms.push(performance.now() - t);
  }
  model.free();
  return median(ms);
}

console.log(
  `# CNN SimCLR step, batch ${B} (2 x ${B} images) — ${new Date().toISOString()}, contrastive ${C.version} (${pkgDir}), node ${process.version}, ${os.cpus()[0]?.model} (${os.cpus().length} vCPU), load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const per = configs.map(() => []);
const ratios = [];
for (let r = 0; r < Number(args.rounds); r++) {
  const row = [];
  for (const [i, c] of configs.entries()) {
    const ms = await run(c);
    per[i].push(ms);
    row.push(ms);
  }
  ratios.push(row.map((v) => row[0] / v));
  console.log(`round ${r + 1}: ${configs.map((c, i) => `${label(c)} ${row[i].toFixed(1)} ms`).join(', ')}`);
}
console.log(`\n| kernels | median ms per step | speed-up vs ${label(configs[0])} (median of per-round ratios) |\n|---|---:|---:|`);
configs.forEach((c, i) => console.log(`| ${label(c)} | ${median(per[i]).toFixed(1)} | ${median(ratios.map((q) => q[i])).toFixed(2)}x |`));
await C.init({ threads: 1 });
