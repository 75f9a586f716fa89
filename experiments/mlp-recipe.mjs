#!/usr/bin/env node
// Issue #6 experiments: the 784-512-256 MLP SimCLR recipe on the built-in MNIST split.
// Trains one configuration per --config (key=value,... over the defaults below) and seed,
// in this process, then logs one JSON line per run to --log: training time split into
// augmentation (views) / step / monitor, the default linear probe and kNN on the test split, and
// the same probes on a validation split carved from the 8,000 training digits. With --save the
// frozen features go to out/experiments/<name>-s<seed>.f32 for experiments/probes.mjs.
//   node experiments/mlp-recipe.mjs --config tau=0.5 --config end=relu --seeds 0,1,2
// Needs `pnpm build` first (imports the built packages).
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as C from 'contrastive';
import { pick, pickL, validationSplit } from './rows.mjs';
import { loadMnist } from 'contrastive-cli/data';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const get = (flag, dflt) => {
  const i = args.indexOf(flag);
  return i < 0 ? dflt : args[i + 1];
};
const configs = args.flatMap((a, i) => (a === '--config' ? [args[i + 1]] : []));
if (!configs.length) configs.push('');
const seeds = get('--seeds', '0').split(',').map(Number);
const log = get('--log', `${root}out/experiments/mlp.jsonl`);
const save = args.includes('--save');
mkdirSync(`${root}out/experiments`, { recursive: true });

export const DEFAULTS = {
  epochs: 10,
  batch: 256,
  tau: 0.2,
  lr: 2e-3,
  wd: 1e-4,
  warmup: 0.1,
  bn: 1,
  headBn: 1,
  // encoder's end: 'linear' (Linear 512->256 is the output), 'relu' (+ReLU), 'bnrelu' (+BN+ReLU)
  end: 'linear',
  hidden: '512',
  crop: '0.3,1',
  ratio: '0.75,1.333',
  affineP: 0.5,
  deg: 10,
  trans: 0.1,
  ascale: '0.9,1.1',
  jitterP: 0.8,
  jitter: 0.4,
  blurP: 0,
  noise: 0,
  eraseP: 0,
  opt: 'adamw',
};
const parse = (s) => {
  const c = { ...DEFAULTS };
  for (const kv of s.split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (!(k in DEFAULTS)) throw new Error(`unknown key ${k}`);
    c[k] = typeof DEFAULTS[k] === 'number' ? Number(v) : v.replaceAll(';', ',');
  }
  return c;
};
const pair = (s) => s.split(',').map(Number);

function pipeline(c) {
  const ops = [C.randomResizedCrop({ size: 28, scale: pair(c.crop), ratio: pair(c.ratio) })];
  if (c.affineP > 0)
    ops.push(C.randomApply(c.affineP, C.randomAffine({ degrees: c.deg, translate: [c.trans, c.trans], scale: pair(c.ascale), interpolation: 'bilinear' })));
  if (c.jitterP > 0) ops.push(C.randomApply(c.jitterP, C.colorJitter({ brightness: c.jitter, contrast: c.jitter })));
  if (c.blurP > 0) ops.push(C.randomApply(c.blurP, C.gaussianBlur({ kernelSize: 3, sigma: [0.1, 1.0] })));
  if (c.noise > 0) ops.push(C.gaussianNoise({ sigma: c.noise }));
  if (c.eraseP > 0) ops.push(C.randomErasing({ p: c.eraseP, scale: [0.02, 0.15] }));
  return C.compose(...ops);
}

function encoder(c, seed) {
  const sizes = [784, ...c.hidden.split(';').join(',').split(',').map(Number), 256];
  const enc = C.mlp(sizes, { seed, batchNorm: !!c.bn });
  if (c.end === 'linear') return enc;
  const extra = c.end === 'relu' ? [new C.ReLU()] : [new C.BatchNorm1d(256), new C.ReLU()];
  return new C.Sequential(enc, ...extra);
}

await C.init();
const { train, test } = await loadMnist();
const imgs = (s) => C.toImageBatch({ data: s.images, n: s.n, height: 28, width: 28, channels: 1 });
const trB = imgs(train);
const teB = imgs(test);
const rows = (b) => ({ data: b.data, shape: [b.n, 784] });
const val = validationSplit(train.labels);

for (const cs of configs) {
  const c = parse(cs);
  for (const seed of seeds) {
    const enc = encoder(c, seed);
    const head = c.headBn ? C.simclrHead(256, { seed: seed + 1 }) : C.mlp([256, 256, 128], { seed: seed + 1 });
    const model = new C.Sequential(enc, head);
    const steps = Math.floor(train.n / c.batch) * c.epochs;
    const optimizer =
      c.opt === 'adam'
        ? new C.AdamW(model.namedParameters(), { lr: c.lr, weightDecay: 0 })
        : new C.AdamW(model.namedParameters(), { lr: c.lr, weightDecay: c.wd });
    const trainer = new C.Trainer({
      method: 'simclr',
      model,
      optimizer,
      temperature: c.tau,
      schedule: c.warmup < 0 ? () => c.lr : C.warmupCosine({ baseLr: c.lr, warmupSteps: Math.min(Math.round(steps * c.warmup), 200), totalSteps: steps }),
    });
    const data = C.imageTrainData(trB, pipeline(c), { seed });
    let augMs = 0;
    const timed = {
      n: data.n,
      views: (idx, step) => {
        const t = performance.now();
        const v = data.views(idx, step);
        augMs += performance.now() - t;
        return v;
      },
    };
    const t0 = performance.now();
    const r = await C.fit(trainer, timed, { epochs: c.epochs, batchSize: c.batch, seed });
    const trainMs = performance.now() - t0;
    const te0 = performance.now();
    const ztr = C.embed(enc, rows(trB));
    const zte = C.embed(enc, rows(teB));
    const embedMs = performance.now() - te0;
    const tp = performance.now();
    const probe = C.linearProbe(ztr, train.labels, zte, test.labels);
    const probeMs = performance.now() - tp;
    const tk = performance.now();
    const knn = C.knnAccuracy(ztr, train.labels, zte, test.labels);
    const knnMs = performance.now() - tk;
    const vprobe = C.linearProbe(pick(ztr, val.train), pickL(train.labels, val.train), pick(ztr, val.test), pickL(train.labels, val.test));
    const vknn = C.knnAccuracy(pick(ztr, val.train), pickL(train.labels, val.train), pick(ztr, val.test), pickL(train.labels, val.test));
    const name = cs || 'default';
    const rec = {
      config: name,
      seed,
      linear: probe.accuracy,
      knn,
      valLinear: vprobe.accuracy,
      valKnn: vknn,
      probeTrainAcc: probe.trainAccuracy,
      finalLoss: r.losses.at(-1),
      trainS: +(trainMs / 1000).toFixed(2),
      augS: +(augMs / 1000).toFixed(2),
      stepS: +((trainMs - augMs) / 1000).toFixed(2),
      embedS: +(embedMs / 1000).toFixed(2),
      probeS: +(probeMs / 1000).toFixed(2),
      knnS: +(knnMs / 1000).toFixed(2),
      variant: C.runtimeInfo().variant,
    };
    if (save) {
      const safe = name.replace(/[^a-z0-9=.,_-]/gi, '_');
      writeFileSync(
        `${root}out/experiments/${safe}-s${seed}.f32`,
        Buffer.concat([
          Buffer.from(ztr.data.buffer, ztr.data.byteOffset, ztr.data.byteLength),
          Buffer.from(zte.data.buffer, zte.data.byteOffset, zte.data.byteLength),
        ]),
      );
    }
    appendFileSync(log, `${JSON.stringify(rec)}\n`);
    console.log(JSON.stringify(rec));
  }
}
