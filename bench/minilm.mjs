#!/usr/bin/env node
// all-MiniLM-L6-v2 (6 layers, 384 hidden, 12 heads) on token ids, batch 32 x seq 64 by default,
// one thread: inference (transformer + mean pooling + normalize) and a training step's forward +
// backward (every parameter gradient; dropout as the config here, p = 0.1, and off in PyTorch), in
// tokens/s, contrastive (simd128) beside its peers on the same ids:
//   torch           sentence-transformers on PyTorch (bench/peers/minilm_torch.py,
//                   torch.set_num_threads(1)): inference and the training step;
//   transformersjs  @huggingface/transformers (onnxruntime-node, 1 intra-op and 1 inter-op thread)
//                   on the folder exportHuggingFace writes from the loaded model: the
//                   feature-extraction pipeline's model, then its mean_pooling and normalize;
//   ortweb          onnxruntime-web (WebAssembly SIMD, 1 thread) on exportOnnx's graph of the
//                   model (pooling and normalization inside the graph).
// The ONNX peers have no training step. Before timing, every peer's embeddings are checked
// against contrastive's (max abs difference < 1e-4; the run stops otherwise). The table's last
// column is CPU time over wall time while inference was timed: about 1 for one thread on an idle
// core.
// Needs the model in .cache/models/all-MiniLM-L6-v2 (scripts/setup.sh) or --model DIR, and
// python3 with sentence-transformers for the torch peer.
// Usage: node bench/minilm.mjs [--batch 32] [--seq 64] [--runs 3] [--model DIR]
//                              [--peers torch,transformersjs,ortweb|none]
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchArgs } from './args.mjs';

const PEERS = ['torch', 'transformersjs', 'ortweb'];
const { values: args } = benchArgs({
  options: {
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    model: { type: 'string', default: fileURLToPath(new URL('../.cache/models/all-MiniLM-L6-v2', import.meta.url)) },
    peers: { type: 'string', default: PEERS.join(',') },
    variant: { type: 'string', default: 'simd128' },
  },
});
const peers = args.peers === 'none' ? [] : args.peers.split(',');
const unknown = peers.filter((p) => !PEERS.includes(p));
if (unknown.length) throw new Error(`--peers: unknown ${unknown.join(', ')} (known: ${PEERS.join(', ')}, or none)`);
const [b, s, runs] = ['batch', 'seq', 'runs'].map((k) => Number(args[k]));
const tokens = b * s;
const TOL = 1e-4;
const median = (v) => v.slice().sort((x, y) => x - y)[Math.floor(v.length / 2)];
const maxAbs = (a, c) => {
  if (a.length !== c.length) throw new Error(`embeddings of ${a.length} values beside ${c.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - c[i]));
  return m;
};
const loadavg = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
const require = createRequire(import.meta.url);
const pkg = await import('../packages/contrastive/dist/index.node.js');
await pkg.init({ variant: args.variant });
const { model } = await pkg.loadSentenceTransformer(args.model);
// fixed ids: [CLS] word pieces [SEP] per row, no padding; every implementation gets these
const ids = new Int32Array(tokens).map((_, i) => (i % s === 0 ? 101 : i % s === s - 1 ? 102 : 1000 + ((i * 7919) % 29000)));
const X = { data: ids, rows: b, cols: s };
const M = { data: new Int32Array(tokens).fill(1), rows: b, cols: s };
const dy = { data: new Float32Array(b * 384).map((_, i) => Math.sin(i)), rows: b, cols: 384 };
const want = Float32Array.from(model.forward(X, { attentionMask: M }).data);

// the peers, set up and checked before anything is timed: name -> { label, short, infer, dispose }
const tmp = mkdtempSync(path.join(os.tmpdir(), 'minilm-bench-'));
const impl = {};
const agreement = {};
const versions = [];
let torchArgs;
try {
  if (peers.includes('transformersjs')) {
    const dir = path.join(tmp, 'minilm');
    for (const [rel, contents] of Object.entries(pkg.exportHuggingFace(model))) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), contents);
    }
    const hf = await import('@huggingface/transformers');
    hf.env.allowRemoteModels = false;
    hf.env.allowLocalModels = true;
    hf.env.localModelPath = `${tmp}/`;
    hf.env.useBrowserCache = false;
    hf.env.useFSCache = false;
    const extractor = await hf.pipeline('feature-extraction', 'minilm', {
      dtype: 'fp32',
      device: 'cpu',
      local_files_only: true,
      session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 },
    });
    const t64 = (a) =>
      new hf.Tensor(
        'int64',
        BigInt64Array.from(a, (v) => BigInt(v)),
        [b, s],
      );
    const inputs = { input_ids: t64(ids), attention_mask: t64(M.data), token_type_ids: t64(new Int32Array(tokens)) };
    // what the pipeline's _call does after tokenizing: model, mean_pooling, normalize(2, -1)
    const infer = async () => hf.mean_pooling((await extractor.model(inputs)).last_hidden_state, inputs.attention_mask).normalize(2, -1).data;
    impl.transformersjs = {
      label: `transformers.js ${hf.env.version} (onnxruntime-node ${hf.env.backends.onnx.versions.node}, 1 intra-op thread)`,
      short: 'transformers.js',
      infer,
      dispose: () => extractor.dispose(),
    };
    versions.push(`transformers.js ${hf.env.version} on onnxruntime-node ${hf.env.backends.onnx.versions.node}`);
    agreement.transformersjs = maxAbs(await infer(), want);
  }
  if (peers.includes('ortweb')) {
    let ort = await import('onnxruntime-web');
    ort = ort.default ?? ort;
    const dist = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.wasm.wasmPaths = pathToFileURL(dist + path.sep).href;
    const version = JSON.parse(readFileSync(path.join(dist, '..', 'package.json'), 'utf8')).version;
    const session = await ort.InferenceSession.create(pkg.exportOnnx(model), {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    const t64 = (a) =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from(a, (v) => BigInt(v)),
        [b, s],
      );
    const feeds = { input_ids: t64(ids), attention_mask: t64(M.data), token_type_ids: t64(new Int32Array(tokens)) };
    const infer = async () => (await session.run(feeds, ['sentence_embedding'])).sentence_embedding.data;
    impl.ortweb = {
      label: `onnxruntime-web ${version} (wasm SIMD, ${ort.env.wasm.numThreads} thread)`,
      short: 'onnxruntime-web',
      infer,
      dispose: () => session.release(),
    };
    versions.push(`onnxruntime-web ${version}`);
    agreement.ortweb = maxAbs(await infer(), want);
  }
  if (peers.includes('torch')) {
    const idsFile = path.join(tmp, 'ids.json');
    writeFileSync(idsFile, JSON.stringify(Array.from(ids)));
    torchArgs = (n) => [fileURLToPath(new URL('./peers/minilm_torch.py', import.meta.url)), args.model, String(b), String(s), String(n), idsFile];
    const t = torchRun(torchArgs(0));
    versions.push(`sentence-transformers ${t.sentence_transformers} on PyTorch ${t.torch} (python3)`);
    agreement.torch = maxAbs(t.embeddings, want);
  }
  console.log(
    `# all-MiniLM-L6-v2, batch ${b} x seq ${s} = ${tokens} tokens, one thread — ${new Date().toISOString()}, contrastive ${pkg.version} ${pkg.runtimeInfo().variant}, node ${process.version}, ${os.cpus()[0].model}, load ${loadavg()}`,
  );
  if (versions.length) console.log(`# peers: ${versions.join('; ')}`);
  const names = { transformersjs: 'transformers.js', ortweb: 'onnxruntime-web', torch: 'PyTorch' };
  if (peers.length)
    console.log(
      `# agreement with contrastive's embeddings (max abs difference, ${b} x 384): ${peers.map((p) => `${names[p]} ${agreement[p].toExponential(2)}`).join(', ')}`,
    );
  const bad = peers.filter((p) => !(agreement[p] < TOL));
  if (bad.length) throw new Error(`embeddings differ from contrastive's by ${TOL} or more: ${bad.map((p) => names[p]).join(', ')}`);
  // median seconds per call; cpu: the process's CPU time over wall time across the timed calls
  // (about 1 on one thread of an idle core, more with extra threads: onnxruntime-node's count in
  // it; less when other processes take the core)
  const cpu = {};
  const time = async (f, key) => {
    await f();
    const t = [];
    const c0 = process.cpuUsage();
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      await f();
      t.push((performance.now() - t0) / 1000);
    }
    const c = process.cpuUsage(c0);
    if (key) cpu[key] = (c.user + c.system) / 1e6 / t.reduce((x, y) => x + y, 0);
    return median(t);
  };
  const rows = [];
  const ours = {
    inference: await time(() => model.forward(X, { attentionMask: M }), 'ours'),
    train: await time(() => {
      model.zeroGrad();
      model.forward(X, { attentionMask: M, training: true });
      model.backward(dy, { inputGrad: false });
    }),
  };
  for (const p of ['transformersjs', 'ortweb']) {
    if (!impl[p]) continue;
    rows.push({ ...impl[p], inference: await time(impl[p].infer, p), cpu: cpu[p] });
    await impl[p].dispose();
  }
  if (torchArgs) {
    const t = torchRun(torchArgs(runs));
    rows.push({
      label: `sentence-transformers ${t.sentence_transformers}, PyTorch ${t.torch} (${t.threads} thread)`,
      short: 'PyTorch',
      inference: t.inference,
      train: t.train,
      cpu: t.inference_cpu,
    });
  }
  // dropout: the encoder's dropout layers are active in training mode (p = 0.1 from config.json);
  // the torch script sets p = 0, so the comparison times the same arithmetic plus our masks
  const tps = (sec) => (sec === undefined ? '—' : (tokens / sec).toFixed(0));
  console.log('');
  const perWall = (v) => (v === undefined ? '—' : v.toFixed(2));
  console.log('| implementation | inference tokens/s | training step (fwd + bwd) tokens/s | inference CPU / wall time |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| contrastive ${pkg.runtimeInfo().variant} | ${tps(ours.inference)} | ${tps(ours.train)} | ${perWall(cpu.ours)} |`);
  for (const r of rows) console.log(`| ${r.label} | ${tps(r.inference)} | ${tps(r.train)} | ${perWall(r.cpu)} |`);
  if (rows.length) {
    const ratio = (peer, mine) => (peer === undefined ? '—' : `${(peer / mine).toFixed(2)}x`);
    console.log('');
    console.log('| contrastive / peer (tokens/s) | inference | training step |');
    console.log('| --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.short} | ${ratio(r.inference, ours.inference)} | ${ratio(r.train, ours.train)} |`);
  }
  console.log('');
  console.log(`load at end ${loadavg()}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
  model.free();
}

function torchRun(argv) {
  const r = spawnSync('python3', argv, {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    timeout: 1_800_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`minilm_torch.py failed: ${r.error ?? r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
