// Runtime-agnostic GEMM timing on the kernels' raw C ABI (ct_gemm), shared by bench/gemm.mjs
// (Node), bench/browser/deno.mjs (Deno) and bench/browser/page.html (Chromium). Takes the bytes
// of one contrastive-*.wasm build; the module has no imports.
//
//   ct_gemm(m, n, k, a, transA, b, transB, c, accumulate): C[m×n] (+)= op(A)[m×k] · op(B)[k×n]
//   with op(X) = Xᵀ when trans is set (A stored k×m, B stored n×k), row-major, f32.
import { mulberry32Words } from '../../packages/contrastive/dist/rng.js';

export const MODES = { NN: [0, 0], NT: [0, 1], TN: [1, 0] };

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function fill(view, seed) {
  let x = seed >>> 0;
  for (let i = 0; i < view.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    view[i] = x / 4294967296 - 0.5;
  }
}

export async function instantiateKernels(bytes) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return instance.exports;
}

/** Checks ct_gemm against a naive float64 product on a small odd-shaped problem, all modes. */
export function checkGemm(k) {
  const [m, n, kk] = [37, 29, 45];
  const pa = k.ct_alloc(4 * m * kk);
  const pb = k.ct_alloc(4 * kk * n);
  const pc = k.ct_alloc(4 * m * n);
  let worst = 0;
  for (const [mode, [ta, tb]] of Object.entries(MODES)) {
    const A = new Float32Array(k.memory.buffer, pa, m * kk);
    const B = new Float32Array(k.memory.buffer, pb, kk * n);
    fill(A, 1);
    fill(B, 2);
    const st = k.ct_gemm(m, n, kk, pa, ta, pb, tb, pc, 0);
    if (st !== 0) throw new Error(`ct_gemm ${mode}: status ${st}`);
    // ct_gemm may grow the memory (its packing buffers), which detaches earlier views.
    const C = new Float32Array(k.memory.buffer, pc, m * n);
    const A2 = new Float32Array(k.memory.buffer, pa, m * kk);
    const B2 = new Float32Array(k.memory.buffer, pb, kk * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < kk; p++) s += (ta ? A2[p * m + i] : A2[i * kk + p]) * (tb ? B2[j * kk + p] : B2[p * n + j]);
        worst = Math.max(worst, Math.abs(s - C[i * n + j]));
      }
    }
    if (!(worst < 1e-4)) throw new Error(`ct_gemm ${mode}: max abs error ${worst}`);
  }
  k.ct_free(pa, 4 * m * kk);
  k.ct_free(pb, 4 * kk * n);
  k.ct_free(pc, 4 * m * n);
  return worst;
}

/**
 * Times ct_gemm for each mode at m = n = k = size. Returns { mode: { median, min, max, gflops } }.
 * Only the kernel call is timed (operands stay in the module's memory).
 */
export function timeGemm(k, { size = 1024, modes = Object.keys(MODES), warmup = 2, runs = 9, now = () => performance.now() } = {}) {
  const bytes = 4 * size * size;
  const pa = k.ct_alloc(bytes);
  const pb = k.ct_alloc(bytes);
  const pc = k.ct_alloc(bytes);
  fill(new Float32Array(k.memory.buffer, pa, size * size), 3);
  fill(new Float32Array(k.memory.buffer, pb, size * size), 4);
  const flop = 2 * size ** 3;
  const out = {};
  for (const mode of modes) {
    const [ta, tb] = MODES[mode];
    for (let i = 0; i < warmup; i++) k.ct_gemm(size, size, size, pa, ta, pb, tb, pc, 0);
    const ts = [];
    for (let i = 0; i < runs; i++) {
      const t = now();
      const st = k.ct_gemm(size, size, size, pa, ta, pb, tb, pc, 0);
      ts.push(now() - t);
      if (st !== 0) throw new Error(`ct_gemm ${mode}: status ${st}`);
    }
    const med = median(ts);
    out[mode] = { median: med, min: Math.min(...ts), max: Math.max(...ts), runs, gflops: flop / (med * 1e6), gflopsBest: flop / (Math.min(...ts) * 1e6) };
  }
  k.ct_free(pa, bytes);
  k.ct_free(pb, bytes);
  k.ct_free(pc, bytes);
  return out;
}

/** Times the package's ntXent (loss + gradients) at 2N = R, D = 128, as bench/run.mjs does. */
export function timeNtXent(ntXent, R, { D = 128, tau = 0.1, warmup = 2, runs = 7, now = () => performance.now() } = {}) {
  const n = R / 2;
  const a = { data: new Float32Array(n * D), rows: n, cols: D };
  const b = { data: new Float32Array(n * D), rows: n, cols: D };
  gaussianFill(a.data, 1000 + R);
  gaussianFill(b.data, 2000 + R);
  for (let i = 0; i < warmup; i++) ntXent(a, b, { temperature: tau });
  const ts = [];
  let loss;
  for (let i = 0; i < runs; i++) {
    const t = now();
    loss = ntXent(a, b, { temperature: tau }).loss;
    ts.push(now() - t);
  }
  return { median: median(ts), min: Math.min(...ts), max: Math.max(...ts), runs, loss };
}

/** Fills `data` with seeded standard normals: mulberry32 uniforms + Box-Muller. */
export function gaussianFill(data, seed) {
  const word = mulberry32Words(seed);
  const next = () => (word() + 0.5) / 4294967296; // in (0, 1): log(next()) is finite
  for (let i = 0; i < data.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const th = 2 * Math.PI * next();
    data[i] = r * Math.cos(th);
    if (i + 1 < data.length) data[i + 1] = r * Math.sin(th);
  }
}

export { median };
