#!/usr/bin/env node
// `pnpm bench:augment`: two-view SimCLR augmentation throughput (pairs/s, one thread) for 28x28
// grayscale and 32x32 RGB batches: contrastive (WebAssembly kernels) beside the same pipeline in
// plain JS (bench/augment-plainjs.mjs). Needs `pnpm build` first (imports packages/contrastive/dist).
//   node bench/augment.mjs [--batch 256] [--seconds 2] [--markdown FILE]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as lib from '../packages/contrastive/dist/index.node.js';
import { plainView } from './augment-plainjs.mjs';
import { benchArgs } from './args.mjs';

const { values: args } = benchArgs({
  options: { batch: { type: 'string', default: '256' }, seconds: { type: 'string', default: '2' }, markdown: { type: 'string' } },
});
const B = Number(args.batch);
const SECONDS = Number(args.seconds);

await lib.init();
const info = lib.runtimeInfo();

function images(c, h, w) {
  const d = new Uint8Array(B * h * w * c);
  let s = 12345;
  for (let i = 0; i < d.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    d[i] = (s >>> 24) ^ ((i % w) * 4);
  }
  return d;
}

function time(fn) {
  for (let i = 0; i < 3; i++) fn(i); // warm-up
  let pairs = 0,
    step = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < SECONDS * 1000) {
    fn(step++);
    pairs += B;
  }
  return pairs / ((performance.now() - t0) / 1000);
}

const rows = [];
for (const [label, c, h] of [
  ['28x28 gray', 1, 28],
  ['32x32 RGB', 3, 32],
]) {
  const raw = images(c, h, h);
  const pipeline = lib.simclrCifar10({ size: h });
  // contrastive: uint8 HWC in (as from IDX / canvas), two float32 NCHW views out
  const ours = time((step) => {
    const x = lib.toImageBatch({ data: raw, n: B, height: h, width: h, channels: c });
    lib.twoViews(x, pipeline, { seed: 1, step });
  });
  const x0 = lib.toImageBatch({ data: raw, n: B, height: h, width: h, channels: c });
  const oursPre = time((step) => lib.twoViews(x0, pipeline, { seed: 1, step }));
  const plain = time(() => {
    const f = new Float32Array(B * c * h * h);
    for (let i = 0; i < B; i++)
      for (let p = 0; p < h * h; p++) for (let ch = 0; ch < c; ch++) f[(i * c + ch) * h * h + p] = raw[(i * h * h + p) * c + ch] / 255;
    plainView(f, B, c, h, h, h);
    plainView(f, B, c, h, h, h);
  });
  rows.push({ label, ours, oursPre, plain });
  console.log(
    `${label}: contrastive ${ours.toFixed(0)} pairs/s (from uint8 HWC), ${oursPre.toFixed(0)} pairs/s (from float32 NCHW); plain JS ${plain.toFixed(0)} pairs/s`,
  );
}

const md = `| batch ${B}, SimCLR CIFAR-10 pipeline, two views | contrastive, from uint8 HWC | contrastive, from float32 NCHW | plain JS | speed-up |
|---|---:|---:|---:|---:|
${rows.map((r) => `| ${r.label} | ${r.ours.toFixed(0)} pairs/s | ${r.oursPre.toFixed(0)} pairs/s | ${r.plain.toFixed(0)} pairs/s | ${(r.ours / r.plain).toFixed(1)}x |`).join('\n')}

Node ${process.version}, contrastive ${info.version} (${info.variant} build), ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} vCPU), one thread, ${SECONDS} s per cell.
`;
console.log('\n' + md);
if (args.markdown) writeFileSync(args.markdown, md);
