#!/usr/bin/env node
// `pnpm bench:gemm`: single-precision GEMM throughput, m = n = k = 1024 (default), of the kernels'
// ct_gemm (NN, NT, TN; simd128 and relaxed builds) next to tfjs-backend-wasm's matMul (XNNPACK)
// and onnxruntime-web's MatMul (MLAS), all one thread. With --threads N (> 1) it adds the
// simd128-threads build on N threads (the package's init({ threads: N })), the same instance
// with 1 thread, and a sweep of square sizes 1 vs N threads (how PAR_MIN_MADDS in gemm.rs was
// chosen); the peers stay single-threaded.
// Usage: node --experimental-wasm-relaxed-simd bench/gemm.mjs [--size 1024] [--runs 9] [--peers tfjs,onnx|none] [--threads 1]
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { checkGemm, instantiateKernels, median, timeGemm } from './lib/gemm-core.mjs';
import { benchArgs } from './args.mjs';

const { values: args } = benchArgs({
  options: {
    size: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '9' },
    peers: { type: 'string', default: 'tfjs,onnx' },
    threads: { type: 'string', default: '1' },
  },
});
const threads = Number(args.threads);
const size = Number(args.size);
const runs = Number(args.runs);
const peers = new Set(args.peers === 'none' ? [] : args.peers.split(','));
const flop = 2 * size ** 3;
let relaxedOk = true;
try {
  new WebAssembly.Module(readFileSync(new URL('../packages/contrastive/wasm/contrastive-relaxed.wasm', import.meta.url)));
} catch {
  relaxedOk = false;
}
console.log(
  `# GEMM ${size}³ f32, one thread${threads > 1 ? ` (and the threads build on ${threads})` : ''} — ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log('| implementation | mode | median ms [min–max] (n) | GFLOP/s (median) | GFLOP/s (best) |');
console.log('| --- | --- | --- | --- | --- |');
const fmt = (r) => `${r.median.toFixed(1)} [${r.min.toFixed(1)}–${r.max.toFixed(1)}] (${r.runs})`;
for (const v of relaxedOk ? ['simd128', 'relaxed'] : ['simd128']) {
  const k = await instantiateKernels(readFileSync(new URL(`../packages/contrastive/wasm/contrastive-${v}.wasm`, import.meta.url)));
  checkGemm(k);
  const res = timeGemm(k, { size, runs });
  for (const [mode, r] of Object.entries(res))
    console.log(`| contrastive ${v} ct_gemm | ${mode} | ${fmt(r)} | ${r.gflops.toFixed(1)} | ${r.gflopsBest.toFixed(1)} |`);
}
if (!relaxedOk) console.log('| contrastive relaxed | — | not run: engine lacks relaxed SIMD (node: pass --experimental-wasm-relaxed-simd) | | |');
const sweep = [];
if (threads > 1) {
  const pkg = await import('../packages/contrastive/dist/index.node.js');
  const { getRuntime } = await import('../packages/contrastive/dist/runtime/init.js');
  await pkg.init({ threads });
  const k = getRuntime('bench').k;
  checkGemm(k);
  // The same instance with the pool limited to 1 thread, then N: only the split differs.
  for (const t of [1, threads]) {
    k.ct_set_threads(t);
    const res = timeGemm(k, { size, runs });
    for (const [mode, r] of Object.entries(res))
      console.log(
        `| contrastive simd128-threads ct_gemm, ${t} thread${t > 1 ? 's' : ''} | ${mode} | ${fmt(r)} | ${r.gflops.toFixed(1)} | ${r.gflopsBest.toFixed(1)} |`,
      );
  }
  // every size split (threshold 1 multiply-add), to see where splitting starts to pay
  k.ct_set_threads_min_work(1);
  for (const n of [32, 48, 64, 96, 128, 160, 192, 256, 384, 512]) {
    const row = { n };
    for (const t of [1, threads]) {
      k.ct_set_threads(t);
      row[t] = timeGemm(k, { size: n, modes: ['NN'], warmup: 20, runs: Math.max(31, Math.round(2e8 / n ** 3)) }).NN.median;
    }
    sweep.push(row);
  }
  k.ct_set_threads_min_work(0);
  k.ct_set_threads(threads);
}

function timeIt(fn, warm, n) {
  for (let i = 0; i < warm; i++) fn();
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    ts.push(performance.now() - t);
  }
  return { median: median(ts), min: Math.min(...ts), max: Math.max(...ts), runs: n };
}
async function timeAsync(fn, warm, n) {
  for (let i = 0; i < warm; i++) await fn();
  const ts = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  return { median: median(ts), min: Math.min(...ts), max: Math.max(...ts), runs: n };
}
const rand = (len, seed) => {
  let x = seed;
  return Float32Array.from({ length: len }, () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x / 4294967296 - 0.5));
};
if (peers.has('tfjs')) {
  const { setupTfjsWasm } = await import('./peers/tfjs-wasm.mjs');
  const info = await setupTfjsWasm();
  const { createRequire } = await import('node:module');
  const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core');
  const a = tf.tensor2d(rand(size * size, 1), [size, size]);
  const b = tf.tensor2d(rand(size * size, 2), [size, size]);
  const bt = tf.transpose(b);
  // dataSync inside tidy but not returned from it: tidy walks every element of a returned
  // typed array looking for tensors (≈ 1.7 s for 1M elements), which is not matMul's cost.
  const r = timeIt(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), 2, runs);
  console.log(
    `| tfjs-backend-wasm ${info.tfjsBackendWasm} matMul (${info.binary}) | NN | ${fmt(r)} | ${(flop / (r.median * 1e6)).toFixed(1)} | ${(flop / (r.min * 1e6)).toFixed(1)} |`,
  );
  const r2 = timeIt(() => tf.tidy(() => void tf.matMul(a, bt, false, true).dataSync()), 1, Math.min(runs, 5));
  console.log(`| tfjs-backend-wasm matMul(transposeB) | NT | ${fmt(r2)} | ${(flop / (r2.median * 1e6)).toFixed(1)} | ${(flop / (r2.min * 1e6)).toFixed(1)} |`);
}
if (peers.has('onnx')) {
  const { setupOnnxruntimeWeb } = await import('./peers/onnxruntime-web.mjs');
  const { DataType, model, node, valueInfo } = await import('./peers/onnx-proto.mjs');
  const info = await setupOnnxruntimeWeb();
  const ort = (await import('onnxruntime-web')).default ?? (await import('onnxruntime-web'));
  const bytes = model({
    nodes: [node('MatMul', ['A', 'B'], ['C'])],
    inputs: [valueInfo('A', DataType.FLOAT, [size, size]), valueInfo('B', DataType.FLOAT, [size, size])],
    outputs: [valueInfo('C', DataType.FLOAT, [size, size])],
  });
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const feeds = { A: new ort.Tensor('float32', rand(size * size, 1), [size, size]), B: new ort.Tensor('float32', rand(size * size, 2), [size, size]) };
  const r = await timeAsync(async () => (await s.run(feeds)).C.data, 2, runs);
  console.log(
    `| onnxruntime-web ${info.version} MatMul (session.run, incl. 8 MiB in / 4 MiB out) | NN | ${fmt(r)} | ${(flop / (r.median * 1e6)).toFixed(1)} | ${(flop / (r.min * 1e6)).toFixed(1)} |`,
  );
}
if (sweep.length) {
  const { parallelControl } = await import('./lib/parallel-control.mjs');
  console.log('');
  console.log(
    `Control: independent scalar work on ${threads} worker_threads runs ${(await parallelControl(threads)).toFixed(2)}× faster than on 1 right now (the most any threaded code could gain on this machine at this load).`,
  );
  console.log('');
  console.log(`Every size split over the threads (ct_set_threads_min_work(1)); the default threshold is gemm.rs PAR_MIN_MADDS.`);
  console.log('');
  console.log(`| n = m = k (NN) | madds | 1 thread ms | ${threads} threads ms | speed-up |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of sweep) console.log(`| ${r.n} | ${r.n ** 3} | ${r[1].toFixed(3)} | ${r[threads].toFixed(3)} | ${(r[1] / r[threads]).toFixed(2)}× |`);
}
console.log('');
console.log(
  `GFLOP/s = 2·${size}³ / time. contrastive: only the ct_gemm call is timed (operands in the module's memory). tfjs: matMul + dataSync on uploaded tensors. load at end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
