#!/usr/bin/env node
// Where the MLP recipe's wall-clock time goes (issue #6): per training step, the two augmented
// views (smallGrayscale on 256 MNIST digits) vs the SimCLR step itself (MLP 784-512-256 + head
// 256-256-128, AdamW), plus the once-per-epoch kNN monitor and the final probes. Also times the
// augmentation with randomApply's former path (its kernels run on every image, with identity
// parameters for the skipped ones) beside the current one (only the applied images), in rounds.
// Needs `pnpm build`.  node bench/mlp-recipe-time.mjs [--seconds 3] [--threads 1] [--compare DIR]
// --compare DIR: also times the views with another build of the package (DIR holds its dist/,
// wasm/ and package.json, e.g. a copy of packages/contrastive built at an older commit), in the
// same rounds, interleaved: the before/after of a change on a machine whose speed drifts.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as C from '../packages/contrastive/dist/index.node.js';
import { loadMnist } from '../packages/cli/dist/data.js';
import { benchArgs } from './args.mjs';

const { values: args } = benchArgs({
  options: { seconds: { type: 'string', default: '3' }, threads: { type: 'string', default: '1' }, compare: { type: 'string' } },
});
const SECONDS = Number(args.seconds);
const THREADS = Number(args.threads);
const initOpts = THREADS > 1 ? { threads: THREADS } : {};
await C.init(initOpts);
const O = args.compare ? await import(pathToFileURL(path.resolve(args.compare, 'dist/index.node.js')).href) : undefined;
if (O) await O.init(initOpts);
const { train, test } = await loadMnist();
const imgs = (s) => C.toImageBatch({ data: s.images, n: s.n, height: 28, width: 28, channels: 1 });
const trB = imgs(train);
const teB = imgs(test);

/** randomApply as before this change: the inner ops run on all n images (identity parameters when skipped). */
function everyImage(ra) {
  return {
    ...ra,
    run(k, b, n, s, params, op) {
      const inner = ra.__inner;
      let { src, dst } = b;
      let at = 0;
      let swapped = false;
      inner.forEach((o, j) => {
        const m = o.paramBytes(n, s).length;
        const pp = b.params.slice(at, at + m);
        at += m;
        if (
          o.run(
            k,
            { src, dst, params: pp },
            n,
            s,
            params.map((p) => p.inner[j]),
            op,
          )
        ) {
          [src, dst] = [dst, src];
          swapped = !swapped;
        }
      });
      return swapped;
    },
  };
}
const affine = C.randomAffine({ degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1], interpolation: 'bilinear' });
const jitter = C.colorJitter({ brightness: 0.4, contrast: 0.4 });
const crop = C.randomResizedCrop({ size: 28, scale: [0.3, 1], ratio: [3 / 4, 4 / 3] });
const raA = Object.assign(C.randomApply(0.5, affine), { __inner: [affine] });
const raJ = Object.assign(C.randomApply(0.8, jitter), { __inner: [jitter] });
const current = C.compose(crop, raA, raJ); // = smallGrayscale()
const former = C.compose(crop, everyImage(raA), everyImage(raJ));
// same views either way (the skipped images are untouched in both)
const a = C.twoViews(C.toImageBatch({ data: train.images.subarray(0, 64 * 784), n: 64, height: 28, width: 28 }), current, { seed: 3 });
const b = C.twoViews(C.toImageBatch({ data: train.images.subarray(0, 64 * 784), n: 64, height: 28, width: 28 }), former, { seed: 3 });
if (a[0].data.some((v, i) => v !== b[0].data[i])) throw new Error('the two randomApply paths disagree');

const data = (p) => C.imageTrainData(trB, p, { seed: 0 });
const encoder = C.mlp([784, 512, 256], { seed: 0, batchNorm: true });
const model = new C.Sequential(encoder, C.simclrHead(256, { seed: 1 }));
const trainer = new C.Trainer({ method: 'simclr', model, optimizer: new C.AdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 0 }), temperature: 0.2 });
const order = C.epochOrder(trB.n, 0, 0);
const idx = (s) => order.subarray((s % 31) * 256, ((s % 31) + 1) * 256);
const fixedViews = data(current).views(idx(0), 0);

const currentData = data(current);
const formerData = data(former);
const cases = {
  'views, randomApply on applied images only (current)': (s) => currentData.views(idx(s), s),
  'views, randomApply kernels on every image (former)': (s) => formerData.views(idx(s), s),
  'SimCLR step (MLP + head, fixed views)': () => trainer.step(fixedViews),
};
if (O) {
  const other = O.imageTrainData(O.toImageBatch({ data: train.images, n: train.n, height: 28, width: 28, channels: 1 }), O.smallGrayscale(), { seed: 0 });
  const [x, y] = [other.views(idx(5), 5), currentData.views(idx(5), 5)];
  if (x.some((v, i) => v.data.some((f, j) => !Object.is(f, y[i].data[j])))) throw new Error(`--compare: ${args.compare} gives other views`);
  cases[`views with --compare ${args.compare} (same views, checked)`] = (s) => other.views(idx(s), s);
}
const ms = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const t0 = performance.now();
let s = 0;
while (performance.now() - t0 < SECONDS * 3000) {
  for (const [k, f] of Object.entries(cases)) {
    const t = performance.now();
    f(s);
    ms[k].push(performance.now() - t);
  }
  s++;
}
const median = (v) => [...v].sort((x, y) => x - y)[v.length >> 1];
const rows = (m) => ({ data: m.data, shape: [m.n, 784] });
const tm = performance.now();
C.knnAccuracy(C.embed(encoder, rows(trB)), train.labels, C.embed(encoder, rows(teB)), test.labels);
const monitorMs = performance.now() - tm;
console.log(
  `contrastive ${C.version} (${C.runtimeInfo().variant}, ${C.runtimeInfo().threads} thread(s)), Node ${process.version}, ${os.cpus()[0].model}, ${os.cpus().length} CPUs; ${s} rounds\n`,
);
console.log('| per training step (batch 256, two views) | median ms |\n|---|---:|');
for (const [k, v] of Object.entries(ms)) console.log(`| ${k} | ${median(v).toFixed(1)} |`);
console.log(`| kNN monitor, once per epoch (embed 8,000 + 2,000, k = 20) | ${monitorMs.toFixed(0)} |`);
const stepMs = median(ms['SimCLR step (MLP + head, fixed views)']);
const augMs = median(ms['views, randomApply on applied images only (current)']);
console.log(
  `\naugmentation share of a step: ${((100 * augMs) / (augMs + stepMs)).toFixed(0)}%; 10 epochs (310 steps): ~${((310 * (augMs + stepMs)) / 1000).toFixed(1)} s`,
);
