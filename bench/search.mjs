#!/usr/bin/env node
// Exact top-10 search, one thread: `search()` (GEMM over corpus chunks + per-query heaps) vs
// onnxruntime-web (Gemm(Q, C^T) + TopK per corpus chunk, merged in JS; MLAS kernels, SIMD build)
// vs a plain-JS dot-product loop with a heap. Unit-norm random vectors, score = dot product, so all
// three do the same arithmetic. Reports queries/s, the ratio to ours, and memory (WebAssembly heaps;
// the plain-JS loop needs only the inputs). The plain-JS loop runs a subset of the queries
// (--js-queries) and is reported per query.
//
// Usage: node bench/search.mjs [--queries 10000] [--corpus 100000] [--dim 384] [--k 10] [--js-queries 100] [--ort-queries 10000]
import { benchArgs } from './args.mjs';
import { DataType, model, node, tensor, valueInfo } from './peers/onnx-proto.mjs';
import { onnxWasmMemoryBytes, setupOnnxruntimeWeb } from './peers/onnxruntime-web.mjs';

const { values: a } = benchArgs({
  options: {
    queries: { type: 'string', default: '10000' },
    corpus: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '384' },
    k: { type: 'string', default: '10' },
    'js-queries': { type: 'string', default: '100' },
    'ort-queries': { type: 'string', default: '10000' },
    'ort-chunk': { type: 'string', default: '8192' },
    'ort-qblock': { type: 'string', default: '1000' },
  },
});
const [nq, nc, d, k] = [a.queries, a.corpus, a.dim, a.k].map(Number);
const pkg = await import('../packages/contrastive/dist/index.node.js');
await pkg.init({ variant: 'simd128' });

function unitRows(n, seed) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());
      x[i * d + j] = v;
      ss += v * v;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let j = 0; j < d; j++) x[i * d + j] *= inv;
  }
  return x;
}
const Q = unitRows(nq, 1);
const C = unitRows(nc, 2);
const rows = {};

// ours
{
  const t0 = performance.now();
  const r = pkg.search({ data: Q, rows: nq, cols: d }, { data: C, rows: nc, cols: d }, { k, score: 'dot' });
  const s = (performance.now() - t0) / 1000;
  rows.ours = {
    seconds: s,
    queriesPerSecond: nq / s,
    gflops: (2 * nq * nc * d) / s / 1e9,
    wasmMemoryMB: pkg.runtimeInfo().memoryBytes / 2 ** 20,
    top: Array.from(r.indices.subarray(0, k)),
  };
}

// plain JS: dot products and a size-k min-heap per query
{
  const m = Math.min(nq, Number(a['js-queries']));
  const t0 = performance.now();
  let first;
  for (let i = 0; i < m; i++) {
    const hs = new Float32Array(k).fill(-Infinity);
    const hi = new Int32Array(k).fill(-1);
    const qo = i * d;
    for (let j = 0; j < nc; j++) {
      let dot = 0;
      const co = j * d;
      for (let t = 0; t < d; t++) dot += Q[qo + t] * C[co + t];
      if (dot > hs[0]) {
        hs[0] = dot;
        hi[0] = j;
        let p = 0; // sift down
        for (;;) {
          const l = 2 * p + 1,
            r = l + 1;
          let c = l;
          if (l >= k) break;
          if (r < k && hs[r] < hs[l]) c = r;
          if (hs[c] < hs[p]) {
            [hs[c], hs[p]] = [hs[p], hs[c]];
            [hi[c], hi[p]] = [hi[p], hi[c]];
            p = c;
          } else break;
        }
      }
    }
    if (i === 0)
      first = Array.from(hi)
        .map((j, t) => [hs[t], j])
        .sort((x, y) => y[0] - x[0])
        .map((p) => p[1]);
  }
  const s = (performance.now() - t0) / 1000;
  rows.plainjs = { queries: m, seconds: s, queriesPerSecond: m / s, top: first };
}

// onnxruntime-web: Gemm + TopK per (query block, corpus chunk), merged
{
  const info = await setupOnnxruntimeWeb();
  const ort = (await import('onnxruntime-web')).default ?? (await import('onnxruntime-web'));
  const qb = Number(a['ort-qblock']);
  const cn = Number(a['ort-chunk']);
  const m = Math.min(nq, Number(a['ort-queries']));
  const bytes = model({
    nodes: [node('Gemm', ['Q', 'C'], ['S'], { transB: 1 }), node('TopK', ['S', 'K'], ['V', 'I'], { axis: 1, largest: 1, sorted: 1 })],
    initializers: [tensor('K', DataType.INT64, [1], BigInt64Array.of(BigInt(k)))],
    inputs: [valueInfo('Q', DataType.FLOAT, ['q', d]), valueInfo('C', DataType.FLOAT, ['c', d])],
    outputs: [valueInfo('V', DataType.FLOAT, ['q', k]), valueInfo('I', DataType.INT64, ['q', k])],
    opset: 17,
  });
  const sess = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const t0 = performance.now();
  let first;
  for (let q0 = 0; q0 < m; q0 += qb) {
    const b = Math.min(qb, m - q0);
    const best = Array.from({ length: b }, () => []);
    const qt = new ort.Tensor('float32', Q.subarray(q0 * d, (q0 + b) * d), [b, d]);
    for (let c0 = 0; c0 < nc; c0 += cn) {
      const n = Math.min(cn, nc - c0);
      const out = await sess.run({ Q: qt, C: new ort.Tensor('float32', C.subarray(c0 * d, (c0 + n) * d), [n, d]) });
      const v = out.V.data,
        ix = out.I.data;
      for (let i = 0; i < b; i++) for (let t = 0; t < k; t++) best[i].push([v[i * k + t], Number(ix[i * k + t]) + c0]);
    }
    for (let i = 0; i < b; i++) best[i] = best[i].sort((x, y) => y[0] - x[0] || x[1] - y[1]).slice(0, k);
    if (q0 === 0) first = best[0].map((p) => p[1]);
  }
  const s = (performance.now() - t0) / 1000;
  rows.onnxruntime = {
    version: info.version,
    queries: m,
    seconds: s,
    queriesPerSecond: m / s,
    wasmMemoryMB: (onnxWasmMemoryBytes() ?? 0) / 2 ** 20,
    top: first,
  };
}

const same = (x) => JSON.stringify(x) === JSON.stringify(rows.ours.top);
const out = {
  task: `exact top-${k}, ${nq} queries x ${nc} corpus x ${d} dims, one thread`,
  node: process.version,
  variant: pkg.runtimeInfo().variant,
  ours: rows.ours,
  onnxruntimeWeb: { ...rows.onnxruntime, speedupOfOurs: rows.ours.queriesPerSecond / rows.onnxruntime.queriesPerSecond, sameTop: same(rows.onnxruntime.top) },
  plainJs: { ...rows.plainjs, speedupOfOurs: rows.ours.queriesPerSecond / rows.plainjs.queriesPerSecond, sameTop: same(rows.plainjs.top) },
  rssMB: process.memoryUsage().rss / 2 ** 20,
};
for (const r of [out.ours, out.onnxruntimeWeb, out.plainJs]) delete r.top;
console.log(JSON.stringify(out, null, 1));
