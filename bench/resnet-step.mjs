#!/usr/bin/env node
// One SimCLR training step (both views in one forward, NT-Xent tau 0.2, backward, AdamW) of
//   --model resnet18-cifar: ResNet-18 with the CIFAR stem (3x3, no max pool) + SimCLR head
//                           512-512-128, on 32x32 RGB images (default batch 128 x 2 views);
//   --model lenet28:        the demo's CNN, lenet28({ bnRelu: true }) + simclrHead(256), 28x28
//                           gray (default batch 256 x 2 views);
// beside its PyTorch twin (bench/peers/torch_step.py: the same layers, loss and optimizer),
// each PyTorch given by --python (comma-separated interpreters: /usr/bin/python3 is Debian's
// torch 1.13 on OpenBLAS; `python3` may be a PyPI torch 2.x). Rounds interleave every
// configuration so a slow stretch of the shared host hits all of them; per round it prints
// each median step time, and at the end the median of the per-round ratios torch / ours at
// the same thread count (> 1: ours is faster). --conv auto,im2col also times our im2col path.
//
// Usage: node [--experimental-wasm-relaxed-simd] bench/resnet-step.mjs [--model resnet18-cifar|lenet28]
//          [--threads 1,2] [--variant simd128|relaxed] [--conv auto] [--batch B] [--steps 2] [--rounds 3]
//          [--python /usr/bin/python3[,python3]] [--no-torch]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { benchArgs } from './args.mjs';
import { median } from './lib/gemm-core.mjs';

const { values: args } = benchArgs({
  options: {
    model: { type: 'string', default: 'resnet18-cifar' },
    threads: { type: 'string', default: '1,2' },
    variant: { type: 'string', default: 'simd128' },
    conv: { type: 'string', default: 'auto' },
    batch: { type: 'string' },
    steps: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-torch': { type: 'boolean', default: false },
  },
});
const C = await import(new URL('../packages/contrastive/dist/index.node.js', import.meta.url).href);
const lenet = args.model === 'lenet28';
if (!lenet && args.model !== 'resnet18-cifar') throw new Error(`--model must be resnet18-cifar or lenet28, got ${args.model}`);
const B = Number(args.batch ?? (lenet ? 256 : 128));
const shape = lenet ? [1, 28, 28] : [3, 32, 32];
const per = shape[0] * shape[1] * shape[2];
const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => (((Math.sin(i * 12.9898 + s * 78.233) * 43758.5453) % 1) + 1) % 1);
const both = new Float32Array(2 * B * per);
both.set(rnd(B * per, 1));
both.set(rnd(B * per, 2), B * per);
const views = [
  { data: both.subarray(0, B * per), shape: [B, ...shape] },
  { data: both.subarray(B * per), shape: [B, ...shape] },
];
const threads = args.threads.split(',').map(Number);

const ours = args.conv
  .split(',')
  .flatMap((conv) =>
    threads.map((t) => ({ kind: 'ours', conv, threads: t, label: `contrastive ${args.variant}${args.conv.includes(',') ? ` ${conv}` : ''}, ${t}T` })),
  );
const pythons = args['no-torch'] ? [] : args.python.split(',');
const peers = pythons.flatMap((py) => threads.map((t) => ({ kind: 'torch', py, threads: t, label: `torch (${py}), ${t}T` })));
const configs = [...ours, ...peers];

async function runOurs(c) {
  await C.init({ threads: c.threads, variant: args.variant });
  C.setConvAlgorithm(c.conv);
  const encoder = lenet ? C.lenet28({ seed: 0, bnRelu: true }) : C.resnet18Cifar({ seed: 0 });
  const model = new C.Sequential(encoder, C.simclrHead(lenet ? 256 : 512, { seed: 1 }));
  const [lr, wd] = lenet ? [2e-3, 1e-4] : [1e-3, 1e-6];
  const optimizer = new C.AdamW(model.namedParameters(), { lr, weightDecay: wd });
  const trainer = new C.Trainer({ method: 'simclr', model, temperature: 0.2, optimizer });
  trainer.step(views);
  const ms = [];
  const cpu = [];
  for (let i = 0; i < Number(args.steps); i++) {
    const t = performance.now();
    const u = process.cpuUsage();
    trainer.step(views);
    const d = process.cpuUsage(u);
    ms.push(performance.now() - t);
    cpu.push((d.user + d.system) / 1000);
  }
  optimizer.free();
  model.free();
  return { ms: median(ms), cpuMs: median(cpu), memoryBytes: C.runtimeInfo().memoryBytes };
}

function runTorch(c) {
  const script = new URL('./peers/torch_step.py', import.meta.url).pathname;
  const r = spawnSync(c.py, [script, '--model', args.model, '--batch', String(B), '--threads', String(c.threads), '--steps', args.steps], {
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: String(c.threads), OPENBLAS_NUM_THREADS: String(c.threads) },
  });
  if (r.status !== 0) throw new Error(`${c.py} torch_step.py failed: ${r.stderr.trim().split('\n').at(-1)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const blas = (() => {
  try {
    return spawnSync('readlink', ['-f', '/etc/alternatives/libblas.so.3-x86_64-linux-gnu'], { encoding: 'utf8' }).stdout.trim();
  } catch {
    return '?';
  }
})();
console.log(
  `# ${args.model} SimCLR step, batch ${B} (2 x ${B} images ${shape.join('x')}) - ${new Date().toISOString()}, contrastive ${C.version}, node ${process.version}, ${os.cpus()[0]?.model} (${os.cpus().length} vCPU), load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; Debian BLAS alternative: ${blas}`,
);
const times = configs.map(() => []);
const cpus = configs.map(() => []);
const info = new Map();
for (let r = 0; r < Number(args.rounds); r++) {
  const row = [];
  for (const [i, c] of configs.entries()) {
    const res = c.kind === 'ours' ? await runOurs(c) : runTorch(c);
    if (c.kind === 'ours' && r === 0) console.log(`# ${c.label}: wasm memory after the steps ${(res.memoryBytes / 2 ** 20).toFixed(0)} MiB`);
    // process CPU time of the step (all threads of this process; torch_step.py reports its own)
    if (res.cpuMs !== undefined) console.log(`# ${c.label}: CPU time per step ${res.cpuMs.toFixed(0)} ms`);
    if (c.kind === 'torch' && !info.has(c.py)) {
      info.set(c.py, res);
      console.log(`# ${c.py}: torch ${res.torch}, BLAS ${res.blas}, mkldnn ${res.mkldnn}, threads ${res.threads}`);
    }
    times[i].push(res.ms);
    cpus[i].push(res.cpuMs ?? Number.NaN);
    row.push(res.ms);
  }
  console.log(`round ${r + 1}: ${configs.map((c, i) => `${c.label} ${row[i].toFixed(0)} ms`).join(', ')}  (load ${os.loadavg()[0].toFixed(2)})`);
}
console.log(
  `\n| configuration | median ms per step | samples/s (2 x ${B} views) | torch / ours, same threads (median of per-round ratios) |\n|---|---:|---:|---|`,
);
configs.forEach((c, i) => {
  const m = median(times[i]);
  let ratio = '';
  if (c.kind === 'ours') {
    ratio = peers
      .filter((p) => p.threads === c.threads)
      .map((p) => {
        const j = configs.indexOf(p);
        return `${median(times[j].map((t, r) => t / times[i][r])).toFixed(2)}x vs ${p.py}`;
      })
      .join(', ');
  }
  console.log(`| ${c.label} | ${m.toFixed(0)} | ${((2 * B) / (m / 1000)).toFixed(0)} | ${ratio} |`);
});
// the same from process CPU time (user + system of each process): what a busy shared host distorts least
console.log('\n| configuration | median CPU ms per step | torch / ours by CPU time, same threads |\n|---|---:|---|');
configs.forEach((c, i) => {
  const ratio =
    c.kind !== 'ours'
      ? ''
      : peers
          .filter((p) => p.threads === c.threads)
          .map((p) => `${median(cpus[configs.indexOf(p)].map((t, r) => t / cpus[i][r])).toFixed(2)}x vs ${p.py}`)
          .join(', ');
  console.log(`| ${c.label} | ${median(cpus[i]).toFixed(0)} | ${ratio} |`);
});
await C.init({ threads: 1 });
