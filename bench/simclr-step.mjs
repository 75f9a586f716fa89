#!/usr/bin/env node
// `pnpm bench:step`: one SimCLR training step, contrastive vs tfjs-backend-wasm (issue #4). Two
// views (batch B each, concatenated into 2B rows, so BN statistics span both views as SimCLR's
// global BN) through the encoder MLP 784-512-256 (Linear-BN-ReLU-Linear), ReLU, and the SimCLR
// head 256-256-128 (Linear-BN-ReLU-Linear); NT-Xent (tau 0.5) on the 2B×128 output; backward;
// AdamW (lr 1e-3, weight decay 0.01, decoupled). Inputs are two fixed pseudo-random 2B×784
// batches, alternated. Reports samples/s (B samples per step, each seen in two views) and
// contrastive's WASM memory after step 1 vs the last step. Step 0 (warm-up) is not timed.
// --threads takes a list (e.g. 1,2): ours runs once per count, in this process, each on a fresh
// init({ threads }) (> 1 = the simd128-threads build); tfjs-backend-wasm always runs 1 thread.
//
// Usage: node --experimental-wasm-relaxed-simd bench/simclr-step.mjs [--steps 200] [--tfjs-steps 30]
//        [--batch 256] [--impl both|ours|tfjs] [--variant auto|simd128|relaxed] [--threads 1[,2]]
import os from 'node:os';
import { createRequire } from 'node:module';
import { benchArgs } from './args.mjs';
import { median } from './lib/gemm-core.mjs';

const { values: args } = benchArgs({
  options: {
    steps: { type: 'string', default: '200' },
    'tfjs-steps': { type: 'string', default: '30' },
    batch: { type: 'string', default: '256' },
    impl: { type: 'string', default: 'both' },
    variant: { type: 'string', default: 'auto' },
    threads: { type: 'string', default: '1' },
  },
});
const threadCounts = args.threads.split(',').map(Number);
const B = Number(args.batch);
const TAU = 0.5;
const LR = 1e-3;
const WD = 1e-2;
const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => (((Math.sin(i * 12.9898 + s * 78.233) * 43758.5453) % 1) + 1) % 1);
const views = [rnd(2 * B * 784, 1), rnd(2 * B * 784, 2)];
const results = {};

async function ours(steps, threads) {
  const pkg = await import('../packages/contrastive/dist/index.node.js');
  await pkg.init({ variant: threads > 1 && args.variant === 'relaxed' ? 'simd128' : args.variant, threads });
  const enc = pkg.mlp([784, 512, 256], { seed: 1, batchNorm: true });
  const head = pkg.simclrHead(256, { seed: 2 });
  const model = new pkg.Sequential(...enc.layers, new pkg.ReLU(), ...head.layers);
  const opt = new pkg.AdamW(model.namedParameters(), { lr: LR, weightDecay: WD });
  let memAfter1 = 0;
  let t0 = 0;
  const losses = [];
  const stepTimes = [];
  for (let s = 0; s < steps; s++) {
    if (s === 1) t0 = performance.now();
    const ts = performance.now();
    model.zeroGrad();
    const z = model.forward({ data: views[s % 2], rows: 2 * B, cols: 784 }, { training: true });
    const r = pkg.ntXent(
      { data: z.data.subarray(0, B * 128), rows: B, cols: 128 },
      { data: z.data.subarray(B * 128), rows: B, cols: 128 },
      { temperature: TAU },
    );
    const g = new Float32Array(2 * B * 128);
    g.set(r.grads.a.data);
    g.set(r.grads.b.data, B * 128);
    model.backward({ data: g, rows: 2 * B, cols: 128 }, { inputGrad: false }); // x is data: no dx
    opt.step();
    stepTimes.push(performance.now() - ts);
    losses.push(r.loss);
    if (s === 0) memAfter1 = pkg.runtimeInfo().memoryBytes;
    if (process.env.TRACE_MEM) console.error(s, pkg.runtimeInfo().memoryBytes);
  }
  const secs = (performance.now() - t0) / 1000;
  const info = pkg.runtimeInfo();
  return {
    impl: `contrastive ${info.threads > 1 ? 'simd128-threads' : info.variant} (${info.threads} thread${info.threads > 1 ? 's' : ''})`,
    batch: B,
    steps,
    samplesPerSec: Math.round(((steps - 1) * B) / secs),
    msPerStep: +((secs * 1000) / (steps - 1)).toFixed(1),
    medianStepMs: +median(stepTimes.slice(1)).toFixed(1),
    loss0: losses[0],
    lossLast: losses.at(-1),
    wasmMemoryAfterStep1: memAfter1,
    wasmMemoryAfterLastStep: info.memoryBytes,
  };
}

async function tfjsStep(steps) {
  const peer = await import('./peers/tfjs-wasm.mjs');
  const info = await peer.setupTfjsWasm();
  const tf = createRequire(import.meta.url)('@tensorflow/tfjs-core');
  // tfjs-core's Node (CommonJS) bundle registers no gradients (the @tensorflow/tfjs union
  // package would), so every layer is a tf.customGrad with its hand-written backward, like the
  // NT-Xent loss. That is at least as fast as tfjs's generic autodiff would be.
  const lossOnZ = peer.ntXentOnZ(TAU);
  const T = (x) => tf.transpose(x); // explicit transposes: faster than matMul's flags here
  // First layer: x is data (no dx), so a customGrad over (w, b) only.
  const linearIn = (x) =>
    tf.customGrad((w, b, save) => {
      save([w]);
      return { value: tf.add(tf.matMul(x, w), b), gradFunc: (dy) => [tf.matMul(T(x), dy), tf.sum(dy, 0)] };
    });
  const linear = tf.customGrad((x, w, b, save) => {
    save([x, w]);
    return {
      value: tf.add(tf.matMul(x, w), b),
      gradFunc: (dy, [x_, w_]) => [tf.matMul(dy, T(w_)), tf.matMul(T(x_), dy), tf.sum(dy, 0)],
    };
  });
  const relu = tf.customGrad((x, save) => {
    const y = tf.relu(x);
    save([y]);
    return { value: y, gradFunc: (dy, [y_]) => [tf.mul(dy, tf.cast(tf.greater(y_, 0), 'float32'))] };
  });
  // Training-mode BatchNorm1d (eps 1e-5, momentum 0.1, unbiased running variance).
  const bn = (p) =>
    tf.customGrad((x, g, be, save) => {
      const n = x.shape[0];
      const { mean, variance } = tf.moments(x, 0);
      p.rm.assign(tf.add(tf.mul(p.rm, 0.9), tf.mul(mean, 0.1)));
      p.rv.assign(tf.add(tf.mul(p.rv, 0.9), tf.mul(variance, (0.1 * n) / (n - 1))));
      const invstd = tf.rsqrt(tf.add(variance, 1e-5));
      const xhat = tf.mul(tf.sub(x, mean), invstd);
      save([xhat, invstd, g]);
      return {
        value: tf.add(tf.mul(xhat, g), be),
        gradFunc: (dy, [xh, is, g_]) => {
          const dxhat = tf.mul(dy, g_);
          const dx = tf.mul(tf.mul(is, 1 / n), tf.sub(tf.sub(tf.mul(dxhat, n), tf.sum(dxhat, 0)), tf.mul(xh, tf.sum(tf.mul(dxhat, xh), 0))));
          return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)];
        },
      };
    });
  // PyTorch-style init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
  let seed = 7;
  const lin = (din, dout) => {
    const k = 1 / Math.sqrt(din);
    return { w: tf.variable(tf.randomUniform([din, dout], -k, k, 'float32', seed++)), b: tf.variable(tf.randomUniform([dout], -k, k, 'float32', seed++)) };
  };
  const bnp = (c) => ({
    g: tf.variable(tf.ones([c])),
    be: tf.variable(tf.zeros([c])),
    rm: tf.variable(tf.zeros([c]), false),
    rv: tf.variable(tf.ones([c]), false),
  });
  const L1 = lin(784, 512),
    N1 = bnp(512),
    L2 = lin(512, 256),
    L3 = lin(256, 256),
    N3 = bnp(256),
    L4 = lin(256, 128);
  const bn1 = bn(N1);
  const bn3 = bn(N3);
  const forward = (x) => {
    let h = linearIn(x)(L1.w, L1.b);
    h = relu(bn1(h, N1.g, N1.be));
    h = relu(linear(h, L2.w, L2.b)); // encoder output, then the ReLU before the head
    h = linear(h, L3.w, L3.b);
    h = relu(bn3(h, N3.g, N3.be));
    return linear(h, L4.w, L4.b);
  };
  const trainable = [L1.w, L1.b, N1.g, N1.be, L2.w, L2.b, L3.w, L3.b, N3.g, N3.be, L4.w, L4.b];
  const adam = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  const xs = views.map((v) => tf.keep(tf.tensor2d(v, [2 * B, 784])));
  const stepTimes = [];
  const losses = [];
  let t0 = 0;
  for (let s = 0; s < steps; s++) {
    if (s === 1) t0 = performance.now();
    const ts = performance.now();
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => lossOnZ(forward(xs[s % 2])), trainable);
      // AdamW: decoupled decay p <- p (1 - lr wd) before the Adam update, on every parameter
      // (as torch.optim.AdamW and ours do).
      for (const p of trainable) p.assign(tf.mul(p, 1 - LR * WD));
      adam.applyGradients(grads);
      losses.push(value.dataSync()[0]);
    });
    stepTimes.push(performance.now() - ts);
  }
  const secs = (performance.now() - t0) / 1000;
  return {
    impl: `tfjs-backend-wasm ${info.tfjsBackendWasm} (${info.binary}, ${info.threads} thread)`,
    batch: B,
    steps,
    samplesPerSec: Math.round(((steps - 1) * B) / secs),
    msPerStep: +((secs * 1000) / (steps - 1)).toFixed(1),
    medianStepMs: +median(stepTimes.slice(1)).toFixed(1),
    loss0: losses[0],
    lossLast: losses.at(-1),
    wasmMemoryAfterLastStep: peer.tfjsWasmMemoryBytes(),
    tensorsAlive: tf.memory().numTensors,
  };
}

console.error(
  `# SimCLR step, batch ${B} (2×${B} rows) — ${new Date().toISOString()}, node ${process.version}, ${os.cpus()[0].model}, load ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
if (args.impl !== 'tfjs') for (const t of threadCounts) results[`ours${t}`] = await ours(Number(args.steps), t);
if (args.impl !== 'ours') results.tfjs = await tfjsStep(Number(args['tfjs-steps']));
for (const r of Object.values(results)) console.log(JSON.stringify(r));
if (threadCounts.some((t) => t > 1)) {
  const { parallelControl } = await import('./lib/parallel-control.mjs');
  const t = Math.max(...threadCounts);
  console.log(
    `control: independent scalar work on ${t} worker_threads runs ${(await parallelControl(t)).toFixed(2)}× faster than on 1 right now (the ceiling for any threaded speed-up at this load)`,
  );
}
if (results.tfjs) {
  for (const t of threadCounts) {
    const r = results[`ours${t}`];
    if (r) console.log(`ours (${t} thread${t > 1 ? 's' : ''}) / tfjs (1 thread) samples/s: ${(r.samplesPerSec / results.tfjs.samplesPerSec).toFixed(2)}×`);
  }
}
console.error(
  `load at end ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
