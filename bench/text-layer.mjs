#!/usr/bin/env node
// A BERT-base-shaped encoder layer (hidden 768, 12 heads, FFN 3072, post-LN, exact GELU), batch
// 32 x seq 128 by default, forward + backward (input and every parameter gradient), one thread:
// contrastive's TransformerEncoderLayer (simd128 build) next to the same layer written in
// tfjs-core ops on tfjs-backend-wasm (XNNPACK, SIMD, one thread) differentiated by tf.grads.
// FLOPs counted as 3 x the forward's multiply-adds x 2 (the usual fwd + bwd accounting):
//   forward = 2 n (4 h^2 + 2 h f) + 4 b s^2 h,   n = b s tokens.
// Usage: node bench/text-layer.mjs [--batch 32] [--seq 128] [--runs 3] [--peers tfjs|none] [--variant simd128]
import os from 'node:os';
import { createRequire } from 'node:module';
import { benchArgs } from './args.mjs';

const { values: args } = benchArgs({
  options: {
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '128' },
    hidden: { type: 'string', default: '768' },
    heads: { type: 'string', default: '12' },
    ffn: { type: 'string', default: '3072' },
    runs: { type: 'string', default: '3' },
    peers: { type: 'string', default: 'tfjs' },
    variant: { type: 'string', default: 'simd128' },
  },
});
const [b, s, h, heads, f, runs] = ['batch', 'seq', 'hidden', 'heads', 'ffn', 'runs'].map((k) => Number(args[k]));
const n = b * s;
const flop = 3 * (2 * n * (4 * h * h + 2 * h * f) + 4 * b * s * s * h);
const median = (v) => v.slice().sort((x, y) => x - y)[Math.floor(v.length / 2)];
const rand = (len, seed) => {
  const out = new Float32Array(len);
  let z = seed >>> 0;
  for (let i = 0; i < len; i++) {
    z = (Math.imul(z ^ (z >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    out[i] = (z / 4294967296 - 0.5) * 0.2;
  }
  return out;
};
const x = rand(n * h, 1);
const dy = rand(n * h, 2);
const mask = new Float32Array(n).map((_, i) => (i % s < s - (Math.floor(i / s) % 8) * 4 ? 1 : 0)); // some padding

console.log(
  `# BERT-base-shaped layer fwd+bwd, b=${b} s=${s} h=${h} heads=${heads} ffn=${f}, one thread — ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, load ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log(`# ${(flop / 1e9).toFixed(1)} GFLOP per step`);
console.log('');
console.log('| implementation | median s [min–max] (n) | GFLOP/s (median) |');
console.log('| --- | --- | --- |');
const row = (name, t) =>
  console.log(
    `| ${name} | ${median(t).toFixed(2)} [${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)}] (${t.length}) | ${(flop / median(t) / 1e9).toFixed(1)} |`,
  );

const pkg = await import('../packages/contrastive/dist/index.node.js');
await pkg.init({ variant: args.variant });
const layer = new pkg.TransformerEncoderLayer({ hidden: h, heads, intermediate: f, eps: 1e-12, dropout: 0, seed: 3 });
const X = { data: x, rows: n, cols: h };
const M = { data: mask, rows: b, cols: s };
const G = { data: dy, rows: n, cols: h };
const ours = [];
for (let r = 0; r <= runs; r++) {
  layer.zeroGrad();
  const t0 = performance.now();
  layer.forward(X, { attentionMask: M, training: true });
  layer.backward(G);
  if (r > 0) ours.push((performance.now() - t0) / 1000); // run 0 warms the buffers
}
const oursMedian = median(ours);
row(`contrastive ${pkg.runtimeInfo().variant} TransformerEncoderLayer`, ours);

if (args.peers.split(',').includes('tfjs')) {
  const { setupTfjsWasm } = await import('./peers/tfjs-wasm.mjs');
  const info = await setupTfjsWasm();
  const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core');
  // tfjs-core's Node bundle registers no gradients; the @tensorflow/tfjs union package registers
  // them all into the same tfjs-core instance (the backend stays wasm: set above)
  createRequire(import.meta.url)('@tensorflow/tfjs');
  await tf.setBackend('wasm');
  const dh = h / heads;
  const W = Object.fromEntries(layer.namedParameters().map(([k, p]) => [k, p.value()]));
  const names = Object.keys(W);
  const shapes = Object.fromEntries(layer.namedParameters().map(([k, p]) => [k, p.shape]));
  const tw = names.map((k) => tf.keep(tf.tensor(W[k], shapes[k])));
  const addMask = tf.keep(tf.reshape(tf.mul(tf.sub(tf.scalar(1), tf.tensor(mask, [b, s])), tf.scalar(-1e9)), [b, 1, 1, s]));
  const tx = tf.keep(tf.tensor2d(x, [n, h]));
  const tdy = tf.keep(tf.tensor2d(dy, [n, h]));
  const layerOut = (xx, ...ws) => {
    const w = Object.fromEntries(names.map((k, i) => [k, ws[i]]));
    const lin = (v, p) => tf.add(tf.matMul(v, w[`${p}.weight`], false, true), w[`${p}.bias`]);
    const ln = (v, p) => {
      const { mean, variance } = tf.moments(v, 1, true);
      return tf.add(tf.mul(tf.div(tf.sub(v, mean), tf.sqrt(tf.add(variance, tf.scalar(1e-12)))), w[`${p}.weight`]), w[`${p}.bias`]);
    };
    const split = (v) => tf.transpose(tf.reshape(v, [b, s, heads, dh]), [0, 2, 1, 3]);
    const q = split(lin(xx, 'attention.self.query'));
    const k = split(lin(xx, 'attention.self.key'));
    const v = split(lin(xx, 'attention.self.value'));
    const p = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), tf.scalar(1 / Math.sqrt(dh))), addMask));
    const ctx = tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [n, h]);
    const h1 = ln(tf.add(lin(ctx, 'attention.output.dense'), xx), 'attention.output.LayerNorm');
    const i1 = lin(h1, 'intermediate.dense');
    const g = tf.mul(tf.mul(i1, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.erf(tf.mul(i1, tf.scalar(Math.SQRT1_2)))));
    return ln(tf.add(lin(g, 'output.dense'), h1), 'output.LayerNorm');
  };
  const layerFn = (xx, ...ws) => tf.sum(tf.mul(layerOut(xx, ...ws), tdy));
  const gradFn = tf.grads(layerFn);
  // the two layers agree (same weights), output by output: a check that tfjs computes the same
  // layer (a summed check would cancel: sum(y dy) over millions of terms is close to 0)
  const yOurs = layer.forward(X, { attentionMask: M });
  const yTf = tf.tidy(() => layerOut(tx, ...tw).dataSync());
  let maxDiff = 0;
  for (let i = 0; i < yTf.length; i++) maxDiff = Math.max(maxDiff, Math.abs(yOurs.data[i] - yTf[i]));
  if (!(maxDiff < 1e-3)) throw new Error(`the two layers disagree: max |y - y_tfjs| = ${maxDiff}`);
  console.log(`(outputs agree with tfjs: max |y - y_tfjs| = ${maxDiff.toExponential(2)})`);
  const theirs = [];
  for (let r = 0; r <= runs; r++) {
    const t0 = performance.now();
    tf.tidy(() => {
      const gs = gradFn([tx, ...tw]);
      for (const g of gs) g.dataSync();
    });
    if (r > 0) theirs.push((performance.now() - t0) / 1000);
  }
  row(`tfjs-backend-wasm ${info.tfjsBackendWasm} (${info.binary}), tf.grads`, theirs);
  console.log('');
  console.log(`ratio (tfjs time / contrastive time): ${(median(theirs) / oursMedian).toFixed(2)}x`);
}
layer.free();
