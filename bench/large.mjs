#!/usr/bin/env node
// `pnpm bench:large`: NT-Xent at a large batch (default 2N = 65,536, D = 128), each case in a
// fresh Node process: wall time of the first call and of later calls, and the module's linear
// memory (runtimeInfo().memoryBytes) after the call. Cases: loss + gradients, loss only
// (grad: false), for each kernel build.
// (grad: false), for each kernel build, with the tile cache at the package default unless
// --tile-cache MiB says otherwise.
// Usage: node bench/large.mjs [--rows 65536] [--dim 128] [--runs 3] [--tile-cache MiB] [--variants relaxed,simd128]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';

const { values: args } = benchArgs({
  options: {
    rows: { type: 'string', default: '65536' },
    dim: { type: 'string', default: '128' },
    runs: { type: 'string', default: '3' },
    'tile-cache': { type: 'string' },
    variants: { type: 'string', default: 'relaxed,simd128' },
    child: { type: 'string' },
  },
});
const R = Number(args.rows);
const D = Number(args.dim);
const runs = Number(args.runs);

if (args.child) {
  const [variant, gradS] = args.child.split(':');
  const grad = gradS === '1';
  const pkg = await import('../packages/contrastive/dist/index.node.js');
  await pkg.init({ variant, ...(args['tile-cache'] === undefined ? {} : { tileCacheBytes: Number(args['tile-cache']) * 2 ** 20 }) });
  const n = R / 2;
  const mk = (seed) => {
    let x = seed;
    const data = new Float32Array(n * D);
    for (let i = 0; i < data.length; i++) data[i] = ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x / 4294967296 - 0.5);
    return { data, rows: n, cols: D };
  };
  const a = mk(1);
  const b = mk(2);
  const memBefore = pkg.runtimeInfo().memoryBytes;
  const times = [];
  let loss;
  let memAfterFirst;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    loss = pkg.ntXent(a, b, { temperature: 0.1, grad }).loss;
    times.push(performance.now() - t);
    if (i === 0) memAfterFirst = pkg.runtimeInfo().memoryBytes;
  }
  const rss = process.memoryUsage().rss;
  console.log(
    JSON.stringify({
      variant: pkg.runtimeInfo().variant,
      tileCacheBytes: pkg.runtimeInfo().tileCacheBytes,
      grad,
      R,
      D,
      times,
      loss,
      memBefore,
      memAfterFirst,
      memAfter: pkg.runtimeInfo().memoryBytes,
      rss,
    }),
  );
  process.exit(0);
}

const MiB = (x) => (x / 1048576).toFixed(1);
console.log(
  `# NT-Xent at 2N = ${R}, D = ${D} — ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log(
  '| variant | tile cache (MiB) | gradients | call 1 (s) | later calls (s) | memory before / after call 1 / after all (MiB) | process RSS (MiB) | loss |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const grad of ['1', '0']) {
  for (const variant of args.variants.split(',')) {
    const cache = args['tile-cache'] === undefined ? [] : ['--tile-cache', args['tile-cache']];
    const r = spawnSync(
      process.execPath,
      [
        '--experimental-wasm-relaxed-simd',
        fileURLToPath(import.meta.url),
        '--rows',
        String(R),
        '--dim',
        String(D),
        '--runs',
        String(runs),
        ...cache,
        '--child',
        `${variant}:${grad}`,
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) {
      console.log(
        `| ${variant} | ${args['tile-cache'] ?? 'default'} | ${grad === '1' ? 'yes' : 'no'} | failed: ${(r.stderr || '').split('\n').slice(0, 3).join(' ')} | | | | |`,
      );
      continue;
    }
    const j = JSON.parse(r.stdout.trim().split('\n').pop());
    const s = (x) => (x / 1000).toFixed(2);
    console.log(
      `| ${j.variant} | ${MiB(j.tileCacheBytes)} | ${j.grad ? 'yes' : 'no (grad: false)'} | ${s(j.times[0])} | ${j.times.slice(1).map(s).join(', ')} | ${MiB(j.memBefore)} / ${MiB(j.memAfterFirst)} / ${MiB(j.memAfter)} | ${MiB(j.rss)} | ${j.loss.toFixed(6)} |`,
    );
  }
}
console.log('');
console.log(
  `Each row is a fresh process. Nominal work: ${((6 * R * R * D) / 1e9).toFixed(0)} GFLOP with gradients, ${((2 * R * R * D) / 1e9).toFixed(0)} GFLOP loss only (2·(2N)²·D forward). Load at end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}.`,
);
