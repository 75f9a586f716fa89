#!/usr/bin/env node
// `pnpm bench:wrapper`: what the kernel-call wrapper costs per call. Three tiny kernels, each
// called through the public API (argument checks, the arena reserve, the copy in, the export,
// the status check, the copy out) and as the raw export on inputs already placed in wasm memory
// (the same machine code, nothing around it). The difference is the wrapper's overhead.
// Usage: node bench/wrapper-overhead.mjs [--calls 20000] [--runs 9] [--variant simd128|relaxed]
import { benchArgs } from './args.mjs';
import { median } from './lib/gemm-core.mjs';
import { machine } from './lib/machine.mjs';

const { values: args } = benchArgs({
  options: {
    calls: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '9' },
    variant: { type: 'string', default: 'simd128' },
  },
});
const calls = Number(args.calls);
const runs = Number(args.runs);
const lib = await import('../packages/contrastive/dist/index.node.js');
const { getRuntime } = await import('../packages/contrastive/dist/runtime/init.js');
await lib.init({ variant: args.variant, threads: 1 });
const { k } = getRuntime('bench');

const n = 4;
const d = 8;
const data = (s) => Float32Array.from({ length: n * d }, (_, i) => Math.sin(i + s));
const a = { data: data(1), rows: n, cols: d };
const b = { data: data(2), rows: n, cols: d };
// the raw calls' buffers, placed once
const bytes = n * d * 4;
const pa = k.ct_alloc(2 * bytes);
const pb = pa + bytes;
const pg = k.ct_alloc(2 * bytes);
const po = k.ct_alloc(16);
const py = k.ct_alloc(n * n * 4);
new Float32Array(k.memory.buffer, pa, n * d).set(a.data);
new Float32Array(k.memory.buffer, pb, n * d).set(b.data);
const linear = new lib.Linear(d, d, { seed: 1 });

const cases = [
  {
    name: `ntXent, 2 x (${n} x ${d}), with gradients`,
    api: () => lib.ntXent(a, b, { temperature: 0.5 }),
    raw: () => k.ct_ntxent(pa, 2 * n, d, 0.5, pg, po),
  },
  {
    name: `cosineSimilarity, ${n} x ${d} against ${n} x ${d}`,
    api: () => lib.cosineSimilarity(a, b),
    raw: () => k.ct_cosine(pa, n, pb, n, d, py),
  },
  {
    name: `Linear(${d}, ${d}).forward, ${n} rows`,
    api: () => linear.forward(a),
    raw: () => k.ct_linear_forward(pa, n, d, linear.weight.ptr, d, linear.bias.ptr, pg),
  },
];

/** ns per call of `f`: the median (and min) over `runs` runs of `calls` calls. */
function time(f) {
  for (let i = 0; i < calls / 10; i++) f();
  const per = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) f();
    per.push(Number(process.hrtime.bigint() - t0) / calls);
  }
  return { med: median(per), min: Math.min(...per) };
}

console.log(`# kernel-call wrapper overhead — ${new Date().toISOString()}, node ${process.version}, ${lib.runtimeInfo().variant}, 1 thread, ${machine()}`);
console.log('');
console.log('| kernel | public API ns/call (median, min) | raw export ns/call (median, min) | wrapper overhead ns/call (median) | ratio |');
console.log('|---|---|---|---|---|');
for (const c of cases) {
  if (c.raw() !== 0) throw new Error(`${c.name}: raw call failed`);
  const api = time(c.api);
  const raw = time(c.raw);
  console.log(
    `| ${c.name} | ${api.med.toFixed(0)} (${api.min.toFixed(0)}) | ${raw.med.toFixed(0)} (${raw.min.toFixed(0)}) | ${(api.med - raw.med).toFixed(0)} | ${(api.med / raw.med).toFixed(2)}x |`,
  );
}
