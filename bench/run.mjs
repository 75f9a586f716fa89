#!/usr/bin/env node
// `pnpm bench`: NT-Xent forward + backward, contrastive vs plain JS vs tfjs-backend-wasm, in one
// process. See bench/README.md. Needs `pnpm build` first (it imports packages/contrastive/dist).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchArgs, benchArgv } from './args.mjs';
import { gaussianFill, median } from './lib/gemm-core.mjs';

const RELAXED_FLAG = '--experimental-wasm-relaxed-simd';
const CHILD_ENV = 'CONTRASTIVE_BENCH_CHILD';

const HELP = `usage: pnpm bench [options]   (or: node bench/run.mjs [options])

  --sizes LIST        comma-separated 2N values (default 512,2048,8192; --quick: 512,2048)
  --quick             fewer sizes and runs (about half a minute)
  --runs N            timed runs per implementation and size (default: by size)
  --warmup N          warm-up runs per implementation and size (default: by size)
  --peers LIST        peers to run: plainjs,tfjs,onnx (default all three; "none" for none)
  --dim D             columns per row (default 128)
  --temperature T     tau (default 0.1)
  --tile-cache LIST   MiB the loss may keep between its passes (setTileCache), comma-separated:
                      the first is "ours", the others get rows of their own (default: the package's, 64)
  --no-relaxed        do not re-exec with ${RELAXED_FLAG} on Node < 22
  --no-gemm           skip the cosine-similarity (GEMM) throughput line
  --markdown FILE     also write the report (markdown) to FILE
  --json FILE         also write the raw measurements to FILE
  -h, --help          this text
`;

const argv = benchArgv();
const { values: args } = benchArgs(
  {
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      peers: { type: 'string', default: 'plainjs,tfjs,onnx' },
      dim: { type: 'string', default: '128' },
      temperature: { type: 'string', default: '0.1' },
      'tile-cache': { type: 'string' },
      'no-relaxed': { type: 'boolean', default: false },
      'no-gemm': { type: 'boolean', default: false },
      markdown: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  },
  argv,
);

if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const nodeMajor = Number(process.versions.node.split('.')[0]);
const needsFlag = nodeMajor < 22 && !process.execArgv.includes(RELAXED_FLAG);
if (needsFlag && !args['no-relaxed'] && !process.env[CHILD_ENV]) {
  // Node 20 ships relaxed SIMD behind a V8 flag: run ourselves again with it, so that both
  // builds of the kernels (simd128 and relaxed) are measured. --expose-gc lets us collect
  // between implementations.
  const extra = process.execArgv.includes('--expose-gc') ? [] : ['--expose-gc'];
  const child = spawn(process.execPath, [RELAXED_FLAG, ...extra, ...process.execArgv, fileURLToPath(import.meta.url), ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_ENV]: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
} else {
  main().catch((e) => {
    console.error(e?.stack ?? e);
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------

function intArg(name, v) {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return x;
}

/** Seeded Gaussian matrix (mulberry32 uniforms + Box-Muller, as the GEMM benches fill theirs). */
function gaussian(rows, cols, seed) {
  const data = new Float32Array(rows * cols);
  gaussianFill(data, seed);
  return { data, rows, cols };
}

/** max |x - y| / max |y|: the gradient error relative to the gradient's scale. */
function gradErr(x, y) {
  let num = 0;
  let den = 0;
  for (let i = 0; i < y.length; i++) {
    num = Math.max(num, Math.abs(x[i] - y[i]));
    den = Math.max(den, Math.abs(y[i]));
  }
  return den > 0 ? num / den : num;
}

function relErr(x, y) {
  return Math.abs(x - y) / Math.max(Math.abs(y), 1e-300);
}

function gitCommit() {
  try {
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages', '../crates'], { cwd, encoding: 'utf8' }).trim();
    return dirty ? `${head}, with uncommitted changes in packages/ or crates/` : head;
  } catch {
    return 'unknown commit';
  }
}

function gc() {
  if (typeof globalThis.gc === 'function') globalThis.gc();
}

function schedule(R) {
  // [warmup, runs] for the fast implementations, and for plain JS (O((2N)^2 D) scalar JS).
  if (R <= 1024) return { fast: [3, 15], plain: [2, 7] };
  if (R <= 4096) return { fast: [2, 7], plain: [1, 3] };
  return { fast: [1, 5], plain: [0, 1] };
}

function fmtMs(x) {
  if (x === undefined) return '—';
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function fmtRatio(x) {
  return x === undefined ? '—' : `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×`;
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main() {
  const t0 = performance.now();
  const quick = args.quick;
  const sizes = (args.sizes ?? (quick ? '512,2048' : '512,2048,8192')).split(',').map((s) => intArg('sizes', s.trim()));
  for (const R of sizes) if (R < 4 || R % 2) throw new Error(`--sizes: 2N must be even and >= 4, got ${R}`);
  const D = intArg('dim', args.dim);
  const tau = Number(args.temperature);
  if (!(tau > 0)) throw new Error(`--temperature must be > 0, got ${args.temperature}`);
  const peers = new Set(args.peers === 'none' ? [] : args.peers.split(',').map((s) => s.trim()));
  for (const p of peers) if (!['plainjs', 'tfjs', 'onnx'].includes(p)) throw new Error(`--peers: unknown peer ${p}`);
  const runsOverride = args.runs === undefined ? undefined : Math.max(1, intArg('runs', args.runs));
  const warmOverride = args.warmup === undefined ? undefined : intArg('warmup', args.warmup);

  let pkg;
  try {
    pkg = await import('../packages/contrastive/dist/index.node.js');
  } catch (e) {
    throw new Error(`cannot import packages/contrastive/dist (run \`pnpm build\` first): ${e.message}`);
  }
  const { init, ntXent, runtimeInfo, cosineSimilarity, relaxedSimdSupported, setTileCache, version, DEFAULT_TILE_CACHE_BYTES } = pkg;
  const caches =
    args['tile-cache'] === undefined ? [DEFAULT_TILE_CACHE_BYTES / 2 ** 20] : args['tile-cache'].split(',').map((s) => intArg('tile-cache', s.trim()));
  await init({ tileCacheBytes: caches[0] * 2 ** 20 });
  const autoVariant = runtimeInfo().variant;
  const variants = relaxedSimdSupported() ? ['simd128', 'relaxed'] : ['simd128'];

  const { ntXentPlain } = await import('./peers/plainjs.mjs');
  let tfjs;
  let tfInfo;
  if (peers.has('tfjs')) {
    tfjs = await import('./peers/tfjs-wasm.mjs');
    tfInfo = await tfjs.setupTfjsWasm();
  }
  let onnx;
  let ortInfo;
  if (peers.has('onnx')) {
    onnx = await import('./peers/onnxruntime-web.mjs');
    ortInfo = await onnx.setupOnnxruntimeWeb();
  }

  const out = [];
  const log = (s = '') => {
    out.push(s);
    console.log(s);
  };
  const cpus = os.cpus();
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    flags: process.execArgv.join(' ') || '(none)',
    cpu: `${cpus[0]?.model ?? 'unknown'} (${cpus.length} logical CPUs)`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    contrastive: version,
    defaultVariant: autoVariant,
    variants: variants.join(', '),
    tfjs: tfInfo
      ? `tfjs-core ${tfInfo.tfjsCore}, tfjs-backend-wasm ${tfInfo.tfjsBackendWasm} (backend ${tfInfo.backend}, ` +
        `WASM_HAS_SIMD_SUPPORT=${tfInfo.simd}, WASM_HAS_MULTITHREAD_SUPPORT=${tfInfo.multithread}, ` +
        `threads=${tfInfo.threads}, binary ${tfInfo.binary})`
      : '(not run)',
    onnxruntimeWeb: ortInfo
      ? `onnxruntime-web ${ortInfo.version} (wasm execution provider, ort-wasm-simd-threaded.wasm, ` +
        `numThreads=${ortInfo.numThreads}, graphOptimizationLevel all, opset 17 graph built in bench/peers/onnx-proto.mjs)`
      : '(not run)',
    commit: gitCommit(),
    wasm: ['simd128', 'relaxed']
      .map((v) => {
        try {
          const bytes = readFileSync(new URL(`../packages/contrastive/wasm/contrastive-${v}.wasm`, import.meta.url));
          return `${v} ${bytes.length} B sha256 ${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}`;
        } catch {
          return `${v} missing`;
        }
      })
      .join(', '),
    loadavgStart: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
  log('# contrastive benchmark: NT-Xent forward + backward');
  log('');
  log(`- date: ${env.date}`);
  log(`- node: ${env.node} (V8 ${env.v8}), flags: ${env.flags}`);
  log(`- cpu: ${env.cpu}; ${env.os}`);
  log(`- contrastive: ${env.contrastive} (repo at ${env.commit}), default variant (runtimeInfo): ${env.defaultVariant}; variants timed: ${env.variants}`);
  log(`- contrastive kernels: ${env.wasm}`);
  log(`- tfjs: ${env.tfjs}`);
  log(`- onnxruntime-web: ${env.onnxruntimeWeb}`);
  log(`- workload: D = ${D}, temperature = ${tau}, seeded Gaussian inputs, loss + gradients w.r.t. both views`);
  log(`- contrastive tile cache (setTileCache): ${caches.map((c) => `${c} MiB`).join(', ')}${caches.length > 1 ? ' (the first is "ours")' : ''}`);
  log(`- load average at start: ${env.loadavgStart}`);
  if (variants.length === 1 && nodeMajor < 22) log(`- note: relaxed SIMD not available (run without --no-relaxed, or with ${RELAXED_FLAG})`);
  log('');

  // --- 1. Correctness gate at 2N = 64 -------------------------------------------------------
  {
    const n = 32;
    const a = gaussian(n, D, 1);
    const b = gaussian(n, D, 2);
    const checks = [];
    const check = (what, got, tol) => {
      checks.push(`${what} ${got.toExponential(1)}`);
      if (!(got <= tol)) throw new Error(`correctness check failed at 2N=64: ${what} = ${got} > ${tol}`);
    };
    const plain = ntXentPlain(a, b, { temperature: tau });
    for (const v of variants) {
      await init({ variant: v });
      const ours = ntXent(a, b, { temperature: tau });
      check(`plainjs vs ${v}: loss`, relErr(plain.loss, ours.loss), 1e-4);
      check(`dTemperature`, relErr(plain.dTemperature, ours.dTemperature), 1e-4);
      check(`grads`, Math.max(gradErr(plain.grads.a.data, ours.grads.a.data), gradErr(plain.grads.b.data, ours.grads.b.data)), 1e-4);
      if (tfjs) {
        const tf = tfjs.ntXentTfjs(a, b, { temperature: tau });
        check(`tfjs vs ${v}: loss`, relErr(tf.loss, ours.loss), 1e-4);
        check(`grads`, Math.max(gradErr(tf.grads.a.data, ours.grads.a.data), gradErr(tf.grads.b.data, ours.grads.b.data)), 1e-4);
      }
      if (onnx) {
        const ox = await onnx.ntXentOnnx(a, b, { temperature: tau });
        check(`onnxruntime-web vs ${v}: loss`, relErr(ox.loss, ours.loss), 1e-4);
        check(`grads`, Math.max(gradErr(ox.grads.a.data, ours.grads.a.data), gradErr(ox.grads.b.data, ours.grads.b.data)), 1e-4);
      }
    }
    log(`Correctness at 2N = 64 (relative errors; limit 1e-4): ${checks.join(', ')}.`);
    log('');
  }

  // --- 2. Timing -----------------------------------------------------------------------------
  const impls = [
    ...variants.flatMap((v) =>
      caches.map((c, i) => ({
        key: i === 0 ? `contrastive:${v}` : `contrastive:${v}@${c}`,
        label: i === 0 && caches.length === 1 ? `contrastive ${v}` : `contrastive ${v} (cache ${c} MiB)`,
        variant: v,
        fn: (a, b, o) => {
          setTileCache(c * 2 ** 20);
          return ntXent(a, b, o);
        },
        plain: false,
      })),
    ),
    ...(tfjs ? [{ key: 'tfjs', label: 'tfjs-backend-wasm', fn: tfjs.ntXentTfjs, plain: false }] : []),
    ...(onnx ? [{ key: 'onnx', label: 'onnxruntime-web', fn: onnx.ntXentOnnx, plain: false, prepare: (n) => onnx.prepareOnnx(n, D, tau) }] : []),
    ...(peers.has('plainjs') ? [{ key: 'plainjs', label: 'plain JS', fn: ntXentPlain, plain: true }] : []),
  ];
  const results = [];
  for (const R of sizes) {
    const n = R / 2;
    const a = gaussian(n, D, 1000 + R);
    const b = gaussian(n, D, 2000 + R);
    const sched = schedule(R);
    const row = { R, n, D, impls: {} };
    const plan = impls.map((impl) => {
      let [warm, runs] = impl.plain ? sched.plain : sched.fast;
      if (quick) {
        warm = Math.min(warm, 1);
        runs = Math.max(1, Math.ceil(runs / 3));
      }
      if (warmOverride !== undefined) warm = warmOverride;
      if (runsOverride !== undefined) runs = runsOverride;
      return { impl, warm, runs, times: [], res: undefined, memoryBytes: undefined };
    });
    // Warm-up, implementation by implementation.
    for (const p of plan) {
      if (p.impl.variant) await init({ variant: p.impl.variant });
      if (p.impl.prepare) await p.impl.prepare(n); // session creation: untimed
      gc();
      for (let i = 0; i < p.warm; i++) await p.impl.fn(a, b, { temperature: tau });
    }
    // Timed runs in rounds (one call of each implementation per round), so that load from
    // elsewhere on the machine falls on all of them alike. Switching the contrastive variant
    // instantiates a fresh module; one untimed call after each switch grows its memory again.
    // A full GC before every timed call keeps one implementation's garbage out of another's time.
    const rounds = Math.max(...plan.map((p) => p.runs));
    for (let r = 0; r < rounds; r++) {
      for (const p of plan) {
        if (r >= p.runs) continue;
        if (p.impl.variant && runtimeInfo().variant !== p.impl.variant) {
          await init({ variant: p.impl.variant });
          p.impl.fn(a, b, { temperature: tau });
        }
        gc();
        const t = performance.now();
        p.res = await p.impl.fn(a, b, { temperature: tau });
        p.times.push(performance.now() - t);
        if (p.impl.variant) p.memoryBytes = runtimeInfo().memoryBytes;
        else if (p.impl.key === 'tfjs') p.memoryBytes = tfjs.tfjsWasmMemoryBytes();
        else if (p.impl.key === 'onnx') p.memoryBytes = onnx.onnxWasmMemoryBytes();
      }
    }
    for (const p of plan) {
      row.impls[p.impl.key] = {
        memoryBytes: p.memoryBytes,
        median: median(p.times),
        min: Math.min(...p.times),
        max: Math.max(...p.times),
        runs: p.runs,
        warmup: p.warm,
        times: p.times,
        loss: p.res.loss,
        grads: p.res.grads,
      };
      process.stderr.write(`  2N=${R} ${p.impl.label}: median ${fmtMs(median(p.times))} ms over ${p.runs} run(s)\n`);
    }
    results.push(row);
  }

  const ours = `contrastive:${autoVariant}`;
  const header = ['2N', 'D'];
  for (const impl of impls) header.push(`${impl.label} (ms)`);
  if (peers.has('plainjs')) header.push('plain JS / ours');
  if (tfjs) header.push('tfjs / ours');
  if (onnx) header.push('onnxruntime-web / ours');
  if (variants.length > 1) header.push('simd128 / relaxed');
  header.push('ours GFLOP/s*');
  const rows = results.map((r) => {
    const cells = [String(r.R), String(r.D)];
    for (const impl of impls) {
      const m = r.impls[impl.key];
      cells.push(m.runs > 1 ? `${fmtMs(m.median)} [${fmtMs(m.min)}–${fmtMs(m.max)}] (n=${m.runs})` : `${fmtMs(m.median)} (n=1)`);
    }
    const o = r.impls[ours].median;
    if (peers.has('plainjs')) cells.push(fmtRatio(r.impls.plainjs.median / o));
    if (tfjs) cells.push(fmtRatio(r.impls.tfjs.median / o));
    if (onnx) cells.push(fmtRatio(r.impls.onnx.median / o));
    if (variants.length > 1) cells.push(fmtRatio(r.impls['contrastive:simd128'].median / r.impls['contrastive:relaxed'].median));
    cells.push(((6 * r.R * r.R * r.D) / (o * 1e6)).toFixed(1));
    return cells;
  });
  log(`## NT-Xent forward + backward, median wall time (ms); "ours" = contrastive ${autoVariant}`);
  log('');
  log(table(header, rows));
  log('');
  // The host's speed drifts by 15-30% within a minute (shared machine, no steal time reported), and
  // a round's calls run back to back: the ratio within each round cancels most of the drift.
  {
    const pairs = [];
    for (const v of variants) {
      for (const peer of [tfjs && 'tfjs', onnx && 'onnx'].filter(Boolean)) pairs.push([`contrastive:${v}`, peer]);
    }
    if (variants.length > 1) pairs.push(['contrastive:relaxed', 'contrastive:simd128']);
    for (const r of results) {
      const parts = [];
      for (const [mine, other] of pairs) {
        const a = r.impls[mine].times;
        const b = r.impls[other].times;
        const q = a
          .slice(0, Math.min(a.length, b.length))
          .map((t, i) => b[i] / t)
          .sort((x, y) => x - y);
        if (q.length > 0)
          parts.push(
            `${other.replace('contrastive:', '')} / ${mine.replace('contrastive:', '')} ${fmtRatio(median(q))} [${fmtRatio(q[0])}–${fmtRatio(q[q.length - 1])}]`,
          );
      }
      if (parts.length > 0) log(`Per-round ratios at 2N = ${r.R} (median [min–max] of the rounds): ${parts.join('; ')}.`);
    }
    log('');
  }
  log('[min–max] over n = timed runs (after warm-up), taken in rounds of one call per implementation. Times include');
  log('copying inputs in and gradients out as Float32Arrays.');
  log("*Nominal 6·(2N)²·D flop (forward u·uᵀ, backward two (2N)²·D products) over ours' median time; not a");
  log(' count of what any implementation actually executes.');
  log('');

  {
    const mib = (x) => (x === undefined ? '—' : (x / 1048576).toFixed(x < 1048576 * 10 ? 1 : 0));
    const mh = ['2N'];
    for (const impl of impls) if (!impl.plain) mh.push(`${impl.label} wasm memory (MiB)`);
    if (peers.has('plainjs')) mh.push('plain JS logits matrix (MiB)');
    const mrows = results.map((r) => {
      const cells = [String(r.R)];
      for (const impl of impls) if (!impl.plain) cells.push(mib(r.impls[impl.key].memoryBytes));
      if (peers.has('plainjs')) cells.push(mib(4 * r.R * r.R));
      return cells;
    });
    log('## Memory');
    log('');
    log(table(mh, mrows));
    log('');
    log('WebAssembly linear memory after the runs at that size (contrastive: a fresh instance per variant and');
    log('size; tfjs and onnxruntime-web: one heap for the whole process, so a high-water mark). Plain JS allocates a (2N)² float32');
    log('matrix per call.');
    log('');
  }

  // Agreement at benchmark sizes, against plain JS (float64 accumulation) when it ran.
  if (peers.has('plainjs')) {
    const ah = ['2N', 'loss (plain JS)'];
    const others = impls.filter((i) => !i.plain);
    for (const impl of others) ah.push(`${impl.label}: loss rel. err / grad err`);
    const arows = results.map((r) => {
      const ref = r.impls.plainjs;
      const cells = [String(r.R), ref.loss.toFixed(7)];
      for (const impl of others) {
        const m = r.impls[impl.key];
        const ge = Math.max(gradErr(m.grads.a.data, ref.grads.a.data), gradErr(m.grads.b.data, ref.grads.b.data));
        cells.push(`${relErr(m.loss, ref.loss).toExponential(1)} / ${ge.toExponential(1)}`);
      }
      return cells;
    });
    log('## Agreement with plain JS (double-precision accumulation) at the benchmark sizes');
    log('');
    log(table(ah, arows));
    log('');
    log('grad err = max |g − g_plain| / max |g_plain| over both views.');
    log('');
  }

  // --- 3. GEMM-ish throughput: cosine-similarity matrix -----------------------------------
  let gemm;
  if (!args['no-gemm']) {
    const M = 2048;
    const a = gaussian(M, D, 7);
    const b = gaussian(M, D, 8);
    const flop = 2 * M * M * D;
    const time = (fn, warm, runs) => {
      gc();
      for (let i = 0; i < warm; i++) fn();
      const ts = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        fn();
        ts.push(performance.now() - t);
      }
      return median(ts);
    };
    gemm = {};
    for (const v of variants) {
      await init({ variant: v });
      gemm[`contrastive ${v}`] = time(() => cosineSimilarity(a, b), 2, quick ? 3 : 9);
    }
    if (tfjs) gemm['tfjs-backend-wasm'] = time(() => tfjs.cosineTfjs(a, b), 2, quick ? 3 : 9);
    log(`## GEMM-ish: cosine-similarity matrix ${M}×${D} · (${M}×${D})ᵀ → ${M}×${M}`);
    log('');
    log(
      Object.entries(gemm)
        .map(([k, t]) => `${k}: ${fmtMs(t)} ms = ${(flop / (t * 1e6)).toFixed(1)} GFLOP/s`)
        .join('; ') + ' (median; includes normalization and copying the 16 MiB result out).',
    );
    log('');
  }
  await init({ variant: autoVariant });
  setTileCache(caches[0] * 2 ** 20);

  env.loadavgEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  env.seconds = ((performance.now() - t0) / 1000).toFixed(0);
  log(`Load average at end: ${env.loadavgEnd}. Total time ${env.seconds} s.`);

  if (args.markdown) writeFileSync(args.markdown, out.join('\n') + '\n');
  if (args.json) {
    const json = {
      env,
      results: results.map((r) => ({
        R: r.R,
        D: r.D,
        impls: Object.fromEntries(Object.entries(r.impls).map(([k, m]) => [k, { ...m, grads: undefined }])),
      })),
      gemm,
    };
    writeFileSync(args.json, JSON.stringify(json, null, 2) + '\n');
  }
  if (tfjs && tfjs.tfjsLeakedTensors() !== 0) console.warn(`warning: tfjs leaked ${tfjs.tfjsLeakedTensors()} tensors`);
}
