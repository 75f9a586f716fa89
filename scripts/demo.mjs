#!/usr/bin/env node
// `pnpm demo`: learns an embedding without labels and reports its quality.
//
// Until the Trainer and the MNIST recipe land (issue #6), the built-in dataset is synthetic:
// 10 classes, each a prototype in 16 informative dimensions, hidden among 112 nuisance
// dimensions of larger variance. Two views of a sample share its informative part and differ in
// the nuisance part and in noise, so SimCLR's NT-Xent (this package's kernel) must learn to
// keep the informative directions and drop the rest. A linear encoder W (128 -> 32) is trained
// with Adam on dL/dz from ntXent; quality is the kNN accuracy of held-out samples, against the
// raw inputs.
import { parseArgs } from 'node:util';
import { init, ntXent, runtimeInfo } from '../packages/contrastive/dist/index.node.js';

const { values: opt } = parseArgs({
  options: {
    steps: { type: 'string', default: '600' },
    'batch-size': { type: 'string', default: '256' },
    temperature: { type: 'string', default: '0.2' },
    lr: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '1' },
  },
});
const STEPS = Number(opt.steps);
const B = Number(opt['batch-size']);
const TAU = Number(opt.temperature);
const LR = Number(opt.lr);
const [K, DI, DN, DOUT] = [10, 16, 112, 32];
const D = DI + DN;

let s = Number(opt.seed) >>> 0;
const rand = () => {
  s = (s + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const randn = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

const protos = Array.from({ length: K }, () => Float32Array.from({ length: DI }, randn));
/** One view of a sample: its class prototype plus small noise, nuisance dimensions drawn anew. */
function view(label, base, out, o) {
  for (let j = 0; j < DI; j++) out[o + j] = protos[label][j] + 0.35 * base[j] + 0.15 * randn();
  for (let j = DI; j < D; j++) out[o + j] = 1.5 * randn();
}
function dataset(n) {
  const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * K));
  const bases = Array.from({ length: n }, () => Float32Array.from({ length: DI }, randn));
  const x = new Float32Array(n * D);
  labels.forEach((l, i) => view(l, bases[i], x, i * D));
  return { labels, bases, x, n };
}

const train = dataset(4000);
const test = dataset(1000);

// W: D x DOUT, z = x W
const W = Float32Array.from({ length: D * DOUT }, () => randn() / Math.sqrt(D));
const m1 = new Float32Array(W.length);
const m2 = new Float32Array(W.length);
const embed = (x, n) => {
  const z = new Float32Array(n * DOUT);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < D; p++) {
      const v = x[i * D + p];
      if (v === 0) continue;
      for (let j = 0; j < DOUT; j++) z[i * DOUT + j] += v * W[p * DOUT + j];
    }
  }
  return z;
};

function knnAccuracy(trainX, trainY, nTrain, testX, testY, nTest, d, k = 5) {
  const norm = (x, n) => {
    const u = new Float32Array(x.length);
    for (let i = 0; i < n; i++) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += x[i * d + j] ** 2;
      const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
      for (let j = 0; j < d; j++) u[i * d + j] = x[i * d + j] * inv;
    }
    return u;
  };
  const a = norm(trainX, nTrain);
  const b = norm(testX, nTest);
  let correct = 0;
  for (let i = 0; i < nTest; i++) {
    const best = [];
    for (let t = 0; t < nTrain; t++) {
      let c = 0;
      for (let j = 0; j < d; j++) c += b[i * d + j] * a[t * d + j];
      if (best.length < k || c > best[best.length - 1][0]) {
        best.push([c, trainY[t]]);
        best.sort((p, q) => q[0] - p[0]);
        if (best.length > k) best.pop();
      }
    }
    const votes = new Map();
    for (const [c, y] of best) votes.set(y, (votes.get(y) ?? 0) + c);
    const pred = [...votes.entries()].sort((p, q) => q[1] - p[1])[0][0];
    if (pred === testY[i]) correct++;
  }
  return correct / nTest;
}

await init();
const info = runtimeInfo();
console.log(`contrastive ${info.version} (${info.variant}) on Node ${process.versions.node}`);
console.log(`synthetic dataset: ${K} classes, ${DI} informative + ${DN} nuisance dims; ${train.n} train / ${test.n} test`);
const rawKnn = knnAccuracy(train.x, train.labels, train.n, test.x, test.labels, test.n, D);
console.log(`raw inputs: kNN accuracy ${(rawKnn * 100).toFixed(1)}%`);

const xa = new Float32Array(B * D);
const xb = new Float32Array(B * D);
const t0 = performance.now();
let first = 0;
let last = 0;
for (let step = 1; step <= STEPS; step++) {
  for (let i = 0; i < B; i++) {
    const idx = Math.floor(rand() * train.n);
    view(train.labels[idx], train.bases[idx], xa, i * D);
    view(train.labels[idx], train.bases[idx], xb, i * D);
  }
  const za = embed(xa, B);
  const zb = embed(xb, B);
  const r = ntXent({ data: za, rows: B, cols: DOUT }, { data: zb, rows: B, cols: DOUT }, { temperature: TAU });
  if (step === 1) first = r.loss;
  last = r.loss;
  // dL/dW = xa^T dL/dza + xb^T dL/dzb, then Adam
  const g = new Float32Array(W.length);
  for (const [x, gz] of [[xa, r.grads.a.data], [xb, r.grads.b.data]]) {
    for (let i = 0; i < B; i++) {
      for (let p = 0; p < D; p++) {
        const v = x[i * D + p];
        for (let j = 0; j < DOUT; j++) g[p * DOUT + j] += v * gz[i * DOUT + j];
      }
    }
  }
  const [b1, b2] = [0.9, 0.999];
  for (let e = 0; e < W.length; e++) {
    m1[e] = b1 * m1[e] + (1 - b1) * g[e];
    m2[e] = b2 * m2[e] + (1 - b2) * g[e] * g[e];
    W[e] -= (LR * (m1[e] / (1 - b1 ** step))) / (Math.sqrt(m2[e] / (1 - b2 ** step)) + 1e-8);
  }
  if (step % 100 === 0 || step === STEPS) {
    const rate = (step * B) / ((performance.now() - t0) / 1000);
    console.log(`step ${String(step).padStart(4)}/${STEPS}  NT-Xent ${r.loss.toFixed(4)}  ${rate.toFixed(0)} pairs/s`);
  }
}
const zTrain = embed(train.x, train.n);
const zTest = embed(test.x, test.n);
const knn = knnAccuracy(zTrain, train.labels, train.n, zTest, test.labels, test.n, DOUT);
console.log(`loss ${first.toFixed(3)} -> ${last.toFixed(3)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(`learned ${DOUT}-d embedding: kNN accuracy ${(knn * 100).toFixed(1)}% (raw inputs ${(rawKnn * 100).toFixed(1)}%), no labels used in training`);
