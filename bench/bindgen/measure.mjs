// wasm-bindgen as the ABI generator, measured against this package's hand-written loader.
// Needs the probe built first: bash bench/bindgen/build.sh (see bench/RESULTS.md).
//   node bench/bindgen/measure.mjs [--runs 7] [--calls 2000]
// Prints: glue size (raw, gzip), eval/Function in the glue (CSP), init time of each loader from
// a precompiled module (one fresh process per run), and the per-call cost of one kernel through
// wasm-bindgen's slice arguments vs this package's convention (pointers into a reserved arena),
// with the data copied in each call and resident in wasm memory.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = `${here}out/`;
const args = process.argv.slice(2);
const get = (f, d) => (args.includes(f) ? Number(args[args.indexOf(f) + 1]) : d);
const median = (v) => v.slice().sort((a, b) => a - b)[v.length >> 1];

if (args[0] === '--child') {
  const which = args[1];
  if (which === 'bindgen') {
    const module = new WebAssembly.Module(readFileSync(`${pkg}bgprobe_bg.wasm`));
    const glue = await import(`${pkg}bgprobe.js`);
    const t0 = performance.now();
    glue.initSync({ module });
    console.log(performance.now() - t0);
  } else if (which === 'instantiate') {
    // the package's module alone, no loader: what of 'ours' is the module's own instantiation
    const module = new WebAssembly.Module(readFileSync(`${root}packages/contrastive/wasm/contrastive-simd128.wasm`));
    const t0 = performance.now();
    await WebAssembly.instantiate(module, {});
    console.log(performance.now() - t0);
  } else {
    const module = new WebAssembly.Module(readFileSync(`${root}packages/contrastive/wasm/contrastive-simd128.wasm`));
    const C = await import(`${root}packages/contrastive/dist/index.node.js`);
    const t0 = performance.now();
    await C.init({ wasm: module });
    console.log(performance.now() - t0);
  }
  process.exit(0);
}

const runs = get('--runs', 7);
const calls = get('--calls', 2000);

// 1. glue size and CSP
const glueFiles = readdirSync(pkg).filter((f) => f.endsWith('.js'));
const glue = glueFiles.map((f) => readFileSync(`${pkg}${f}`));
const glueBytes = glue.reduce((s, b) => s + b.length, 0);
const glueGzip = glue.reduce((s, b) => s + gzipSync(b).length, 0);
const evalish = glue.some((b) => /\beval\(|new Function\(/.test(b.toString()));
const ours = [
  'abi.js',
  'init.js',
  'kernel.js',
  'memory.js',
  'threads.js',
  ...readdirSync(`${root}packages/contrastive/dist/runtime/abi`).map((f) => `abi/${f}`),
]
  .filter((f) => f.endsWith('.js'))
  .map((f) => readFileSync(`${root}packages/contrastive/dist/runtime/${f}`));
const oursBytes = ours.reduce((s, b) => s + b.length, 0);
const oursGzip = ours.reduce((s, b) => s + gzipSync(b).length, 0);
console.log(`glue: wasm-bindgen --target web ${glueBytes} B (${glueGzip} B gzip) for 1 export; eval/new Function: ${evalish ? 'yes' : 'no'}`);
console.log(
  `      this package's runtime/ (loader, ABI table of every export, arena, threads host) ${oursBytes} B (${oursGzip} B gzip), unminified with comments`,
);

// 2. init from a precompiled module, one fresh process each
for (const which of ['bindgen', 'instantiate', 'ours']) {
  const t = [];
  for (let r = 0; r < runs; r++) {
    const p = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', which], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(p.stderr);
    t.push(Number(p.stdout.trim()));
  }
  const label = {
    bindgen: 'wasm-bindgen initSync, 16 KB probe',
    instantiate: 'WebAssembly.instantiate of the 210 KB kernels, no loader',
    ours: 'init({ wasm }) of the 210 KB kernels',
  }[which];
  console.log(`init (${label}): median ${median(t).toFixed(3)} ms over ${runs} processes (${t.map((v) => v.toFixed(2)).join(', ')})`);
}

// 3. per-call cost of the same kernel, both conventions, in the same module
const module = new WebAssembly.Module(readFileSync(`${pkg}bgprobe_bg.wasm`));
const g = await import(`${pkg}bgprobe.js`);
const wasm = g.initSync({ module });
const n = 512;
const d = 128;
const a = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i));
const b = Float32Array.from({ length: n * d }, (_, i) => Math.cos(i));
const out = new Float32Array(n);
const time = (f) => {
  for (let i = 0; i < 50; i++) f();
  const t = [];
  for (let r = 0; r < 9; r++) {
    const t0 = performance.now();
    for (let i = 0; i < calls / 9; i++) f();
    t.push(((performance.now() - t0) * 1000) / (calls / 9));
  }
  return median(t);
};
const tb = time(() => g.rowdot(a, b, d, out));
const expect = out.slice();
const pa = wasm.raw_alloc(4 * n * d) >>> 0;
const pb = wasm.raw_alloc(4 * n * d) >>> 0;
const po = wasm.raw_alloc(4 * n) >>> 0;
let got;
const tr = time(() => {
  new Float32Array(wasm.memory.buffer, pa, n * d).set(a);
  new Float32Array(wasm.memory.buffer, pb, n * d).set(b);
  if (wasm.rowdot_raw(pa, pb, n, d, po) !== 0) throw new Error('status');
  got = new Float32Array(wasm.memory.buffer, po, n).slice();
});
const tz = time(() => {
  if (wasm.rowdot_raw(pa, pb, n, d, po) !== 0) throw new Error('status');
});
if (got.some((v, i) => v !== expect[i])) throw new Error('the two conventions disagree');
console.log(`call, ${n} x ${d} rows in, ${n} out (µs per call, median):`);
console.log(`  wasm-bindgen &[f32]/&mut [f32] (malloc + copy in, copy out, free per call): ${tb.toFixed(1)}`);
console.log(`  raw pointers into a reserved block, copy in + copy out:                   ${tr.toFixed(1)}`);
console.log(`  raw pointers, data resident in wasm memory (a layer's activations):       ${tz.toFixed(1)}`);
console.log(`node ${process.version}`);
