#!/usr/bin/env node
// all-MiniLM-L6-v2 (6 layers, 384 hidden, 12 heads) on token ids, batch 32 x seq 64 by default,
// one thread: inference (transformer + mean pooling + normalize) and a training step's forward +
// backward (every parameter gradient, dropout off), in tokens/s, contrastive (simd128) beside
// sentence-transformers on PyTorch (bench/peers/minilm_torch.py, torch.set_num_threads(1)) run
// in the same script on the same ids. Needs the model in .cache/models/all-MiniLM-L6-v2
// (scripts/setup.sh) or --model DIR, and python3 with sentence-transformers for the peer.
// Usage: node bench/minilm.mjs [--batch 32] [--seq 64] [--runs 3] [--model DIR] [--peers torch|none]
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';

const { values: args } = benchArgs({
  options: {
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    model: { type: 'string', default: fileURLToPath(new URL('../.cache/models/all-MiniLM-L6-v2', import.meta.url)) },
    peers: { type: 'string', default: 'torch' },
    variant: { type: 'string', default: 'simd128' },
  },
});
const [b, s, runs] = ['batch', 'seq', 'runs'].map((k) => Number(args[k]));
const tokens = b * s;
const median = (v) => v.slice().sort((x, y) => x - y)[Math.floor(v.length / 2)];
const pkg = await import('../packages/contrastive/dist/index.node.js');
await pkg.init({ variant: args.variant });
const { model } = await pkg.loadSentenceTransformer(args.model);
// fixed ids: [CLS] random word pieces [SEP], no padding (the same rule as the torch script's
// ids is not needed: throughput does not depend on the ids)
const ids = new Int32Array(tokens).map((_, i) => (i % s === 0 ? 101 : i % s === s - 1 ? 102 : 1000 + ((i * 7919) % 29000)));
const X = { data: ids, rows: b, cols: s };
const M = { data: new Int32Array(tokens).fill(1), rows: b, cols: s };
const dy = { data: new Float32Array(b * 384).map((_, i) => Math.sin(i)), rows: b, cols: 384 };
const time = (f) => {
  f();
  const t = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    f();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
};
const ours = {
  inference: time(() => model.forward(X, { attentionMask: M })),
  train: time(() => {
    model.zeroGrad();
    model.forward(X, { attentionMask: M, training: true });
    model.backward(dy, { inputGrad: false });
  }),
};
// dropout: the encoder's dropout layers are active in training mode (p = 0.1 from config.json);
// the torch script sets p = 0, so the comparison times the same arithmetic plus our masks
console.log(
  `# all-MiniLM-L6-v2, batch ${b} x seq ${s} = ${tokens} tokens, one thread — ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, load ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log('');
console.log('| implementation | inference tokens/s | training step (fwd + bwd) tokens/s |');
console.log('| --- | --- | --- |');
console.log(`| contrastive ${pkg.runtimeInfo().variant} | ${(tokens / ours.inference).toFixed(0)} | ${(tokens / ours.train).toFixed(0)} |`);
if (args.peers !== 'none') {
  const r = spawnSync('python3', [fileURLToPath(new URL('./peers/minilm_torch.py', import.meta.url)), args.model, String(b), String(s), String(runs)], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    timeout: 1_800_000,
  });
  if (r.status !== 0) throw new Error(`minilm_torch.py failed: ${r.stderr}`);
  const t = JSON.parse(r.stdout.trim().split('\n').pop());
  console.log(`| sentence-transformers, PyTorch ${t.torch} (${t.threads} thread) | ${(tokens / t.inference).toFixed(0)} | ${(tokens / t.train).toFixed(0)} |`);
  console.log('');
  console.log(
    `ratio (contrastive / PyTorch tokens/s): inference ${(t.inference / ours.inference).toFixed(2)}x, training step ${(t.train / ours.train).toFixed(2)}x`,
  );
}
model.free();
