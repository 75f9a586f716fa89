// The CLI's CNN recipe (`contrastive train --encoder conv`) with overrides the CLI has no flag
// for (augmentation strengths, the encoder's end, the head), trained on one thread, then scored
// by 5-fold cross-validated probes on the training digits (cvProbe; the test digits are never read).
//   node experiments/conv-variant.mjs TAG SEED [key=value,...]   e.g. end=bnrelu,epochs=20
// Keys and defaults in D (the recipe as it was before session 5: end=linear); appends a JSON line
// to out/experiments/conv-variants.jsonl. `end=bnrelu` is lenet28({ bnRelu: true }).
import * as C from 'contrastive';
import { loadMnist, pixelRows } from 'contrastive-cli/data';
import { cvProbe } from './rows.mjs';
import { appendFileSync, mkdirSync } from 'node:fs';

const [tag, seedS, cfgS = ''] = process.argv.slice(2);
const seed = Number(seedS);
const D = {
  epochs: 10,
  bs: 256,
  lr: 2e-3,
  wd: 1e-4,
  tau: 0.2,
  cropMin: 0.3,
  affP: 0.5,
  deg: 10,
  trans: 0.1,
  scl: 0.1,
  jitP: 0.8,
  bri: 0.4,
  con: 0.4,
  end: 'linear',
  hidden: 256,
  out: 128,
  noise: 0,
  erase: 0,
  w1: 32,
  w2: 64,
  dim: 256,
};
const cfg = { ...D };
for (const kv of cfgS.split(',').filter(Boolean)) {
  const [k, v] = kv.split('=');
  if (!(k in D)) throw new Error(`unknown key ${k} (keys: ${Object.keys(D).join(', ')})`);
  cfg[k] = typeof D[k] === 'number' ? Number(v) : v;
}
await C.init({ threads: 1 });
const { train } = await loadMnist();
const batch = C.toImageBatch({ data: train.images, n: train.n, height: 28, width: 28, channels: 1 });
// smallGrayscale() with its knobs exposed
const ops = [C.randomResizedCrop({ size: 28, scale: [cfg.cropMin, 1], ratio: [3 / 4, 4 / 3] })];
if (cfg.affP > 0)
  ops.push(
    C.randomApply(
      cfg.affP,
      C.randomAffine({ degrees: cfg.deg, translate: [cfg.trans, cfg.trans], scale: [1 - cfg.scl, 1 + cfg.scl], interpolation: 'bilinear' }),
    ),
  );
if (cfg.jitP > 0) ops.push(C.randomApply(cfg.jitP, C.colorJitter({ brightness: cfg.bri, contrast: cfg.con })));
if (cfg.noise > 0) ops.push(C.gaussianNoise({ sigma: cfg.noise }));
if (cfg.erase > 0) ops.push(C.randomErasing({ p: cfg.erase, scale: [0.02, 0.15] }));
const encoder = C.lenet28({ seed, widths: [cfg.w1, cfg.w2], dim: cfg.dim, bnRelu: cfg.end === 'bnrelu' });
const model = new C.Sequential(encoder, C.simclrHead(cfg.dim, { seed: seed + 1, hidden: cfg.hidden, out: cfg.out }));
const steps = Math.floor(train.n / cfg.bs) * cfg.epochs;
const trainer = new C.Trainer({
  method: 'simclr',
  model,
  temperature: cfg.tau,
  optimizer: new C.AdamW(model.namedParameters(), { lr: cfg.lr, weightDecay: cfg.wd }),
  schedule: C.warmupCosine({ baseLr: cfg.lr, warmupSteps: Math.min(Math.round(steps / 10), 200), totalSteps: steps }),
});
const t0 = performance.now();
await C.fit(trainer, C.imageTrainData(batch, C.compose(...ops), { seed, labels: train.labels }), { epochs: cfg.epochs, batchSize: cfg.bs, seed });
const trainS = (performance.now() - t0) / 1000;
const p = pixelRows(train);
const rec = {
  tag,
  seed,
  cfg: cfgS,
  trainS: Number(trainS.toFixed(1)),
  ...cvProbe(C, C.embed(encoder, { data: p.data, shape: [p.rows, 1, 28, 28] }), train.labels),
};
console.log(JSON.stringify(rec));
mkdirSync('out/experiments', { recursive: true });
appendFileSync('out/experiments/conv-variants.jsonl', `${JSON.stringify(rec)}\n`);
