#!/usr/bin/env node
// Exact top-10 search, one thread: `search()` (the GEMM micro-kernel over packed corpus chunks, each
// 4 x 8 tile of scores tested against the queries' k-th best in the kernel) vs onnxruntime-web
// (Gemm(Q, C^T) + TopK per corpus chunk, merged in JS; MLAS kernels, SIMD build) vs a plain-JS
// dot-product loop with a heap. Unit-norm random vectors, score = dot product, so all three do the
// same arithmetic. On a shared machine the speed of one core drifts by several times within a
// minute, so the queries run in rounds: each round gives the same query block to ours and to
// onnxruntime-web back to back (alternating which goes first) and a slice of it to plain JS; the
// report has the totals over all queries and the median and range of the per-round ratios. Memory:
// the WebAssembly heaps (ours: queries, one packed chunk, the heaps; onnxruntime-web: its high-water
// mark); the plain-JS loop needs only the inputs.
//
// Usage: node bench/search.mjs [--queries 10000] [--corpus 100000] [--dim 384] [--k 10] [--rounds 10] [--js-queries 100]
import { benchArgs } from './args.mjs';
import { DataType, model, node, tensor, valueInfo } from './peers/onnx-proto.mjs';
import { createOnnxSession, onnxWasmMemoryBytes, setupOnnxruntimeWeb } from './peers/onnxruntime-web.mjs';

const { values: a } = benchArgs({
  options: {
    queries: { type: 'string', default: '10000' },
    corpus: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '384' },
    k: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '10' },
    'js-queries': { type: 'string', default: '100' },
    'ort-chunk': { type: 'string', default: '8192' },
  },
});
const [nq, nc, d, k, rounds] = [a.queries, a.corpus, a.dim, a.k, a.rounds].map(Number);
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

function ours(q0, b) {
  const r = pkg.search({ data: Q.subarray(q0 * d, (q0 + b) * d), rows: b, cols: d }, { data: C, rows: nc, cols: d }, { k, score: 'dot' });
  return r.indices;
}

// plain JS: dot products and a size-k min-heap per query; returns the top k best first
function plainJs(i) {
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
  return Array.from(hi)
    .map((j, t) => [hs[t], j])
    .sort((x, y) => y[0] - x[0] || x[1] - y[1])
    .map((p) => p[1]);
}

// onnxruntime-web: Gemm + TopK per corpus chunk for one query block, merged (ties to the lower index)
const info = await setupOnnxruntimeWeb();
const ort = (await import('onnxruntime-web')).default ?? (await import('onnxruntime-web'));
const cn = Number(a['ort-chunk']);
const sess = await createOnnxSession(
  model({
    nodes: [node('Gemm', ['Q', 'C'], ['S'], { transB: 1 }), node('TopK', ['S', 'K'], ['V', 'I'], { axis: 1, largest: 1, sorted: 1 })],
    initializers: [tensor('K', DataType.INT64, [1], BigInt64Array.of(BigInt(k)))],
    inputs: [valueInfo('Q', DataType.FLOAT, ['q', d]), valueInfo('C', DataType.FLOAT, ['c', d])],
    outputs: [valueInfo('V', DataType.FLOAT, ['q', k]), valueInfo('I', DataType.INT64, ['q', k])],
    opset: 17,
  }),
);
const chunks = [];
for (let c0 = 0; c0 < nc; c0 += cn) {
  const n = Math.min(cn, nc - c0);
  chunks.push([c0, new ort.Tensor('float32', C.subarray(c0 * d, (c0 + n) * d), [n, d])]);
}
async function onnx(q0, b) {
  const best = Array.from({ length: b }, () => []);
  const qt = new ort.Tensor('float32', Q.subarray(q0 * d, (q0 + b) * d), [b, d]);
  for (const [c0, ct] of chunks) {
    const out = await sess.run({ Q: qt, C: ct });
    const v = out.V.data,
      ix = out.I.data;
    for (let i = 0; i < b; i++) for (let t = 0; t < k; t++) best[i].push([v[i * k + t], Number(ix[i * k + t]) + c0]);
  }
  const idx = new Uint32Array(b * k);
  for (let i = 0; i < b; i++)
    best[i]
      .sort((x, y) => y[0] - x[0] || x[1] - y[1])
      .slice(0, k)
      .forEach((p, t) => (idx[i * k + t] = p[1]));
  return idx;
}

const per = Math.ceil(nq / rounds);
const jsPer = Math.max(1, Math.ceil(Number(a['js-queries']) / rounds));
const time = { ours: 0, onnx: 0, js: 0 };
let jsDone = 0;
let mismatchOnnx = 0;
let mismatchJs = 0;
const ratios = { onnx: [], js: [] };
const loads = [];
for (let r = 0, q0 = 0; q0 < nq; r++, q0 += per) {
  const b = Math.min(per, nq - q0);
  const t = {};
  let mine;
  let theirs;
  const runOurs = () => {
    const t0 = performance.now();
    mine = ours(q0, b);
    t.ours = performance.now() - t0;
  };
  const runOnnx = async () => {
    const t0 = performance.now();
    theirs = await onnx(q0, b);
    t.onnx = performance.now() - t0;
  };
  if (r % 2 === 0) {
    runOurs();
    await runOnnx();
  } else {
    await runOnnx();
    runOurs();
  }
  for (let i = 0; i < b * k; i++) if (mine[i] !== theirs[i]) mismatchOnnx++;
  const m = Math.min(jsPer, b);
  const t0 = performance.now();
  for (let i = 0; i < m; i++) {
    const top = plainJs(q0 + i);
    for (let j = 0; j < k; j++) if (top[j] !== mine[i * k + j]) mismatchJs++;
  }
  t.js = performance.now() - t0;
  jsDone += m;
  time.ours += t.ours;
  time.onnx += t.onnx;
  time.js += t.js;
  ratios.onnx.push(t.onnx / t.ours);
  ratios.js.push(t.js / m / (t.ours / b));
  loads.push((await import('node:os')).loadavg()[0]);
  process.stderr.write(
    `round ${r + 1}: ${b} queries, ours ${(t.ours / 1000).toFixed(1)} s, onnxruntime-web ${(t.onnx / 1000).toFixed(1)} s (${(t.onnx / t.ours).toFixed(2)}x)\n`,
  );
}
const median = (x) => {
  const s = [...x].sort((p, q) => p - q);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = (x) => ({ median: +median(x).toFixed(2), min: +Math.min(...x).toFixed(2), max: +Math.max(...x).toFixed(2) });
const qps = (n, ms) => n / (ms / 1000);
const out = {
  task: `exact top-${k}, ${nq} queries x ${nc} corpus x ${d} dims, one thread, ${ratios.onnx.length} rounds`,
  node: process.version,
  variant: pkg.runtimeInfo().variant,
  loadAverage1m: summary(loads),
  ours: {
    seconds: time.ours / 1000,
    queriesPerSecond: qps(nq, time.ours),
    gflops: (2 * nq * nc * d) / (time.ours / 1000) / 1e9,
    wasmMemoryMB: pkg.runtimeInfo().memoryBytes / 2 ** 20,
  },
  onnxruntimeWeb: {
    version: info.version,
    seconds: time.onnx / 1000,
    queriesPerSecond: qps(nq, time.onnx),
    gflops: (2 * nq * nc * d) / (time.onnx / 1000) / 1e9,
    wasmMemoryMB: (onnxWasmMemoryBytes() ?? Number.NaN) / 2 ** 20,
    speedupOfOurs: time.onnx / time.ours,
    perRoundSpeedupOfOurs: summary(ratios.onnx),
    topKMismatches: mismatchOnnx,
  },
  plainJs: {
    queries: jsDone,
    seconds: time.js / 1000,
    queriesPerSecond: qps(jsDone, time.js),
    speedupOfOurs: qps(nq, time.ours) / qps(jsDone, time.js),
    perRoundSpeedupOfOurs: summary(ratios.js),
    topKMismatches: mismatchJs,
  },
  rssMB: process.memoryUsage().rss / 2 ** 20,
};
console.log(JSON.stringify(out, null, 1));
