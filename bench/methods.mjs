// The methods table (docs/methods.md): every `contrastive train --method` on the same encoder,
// augmentations, optimizer and epochs, then `contrastive eval` (linear probe and weighted kNN on
// the encoder's embeddings), over several seeds; beside raw pixels and a random-init encoder.
// With --lightly, bench/peers/lightly_methods.py trains the same encoder, heads, augmentations and
// schedule with lightly's losses in PyTorch, and its encoders are scored by the same `eval`.
//
//   nice node bench/methods.mjs --encoder mlp --epochs 2 --seeds 0,1,2 [--methods simclr,byol | --methods none]
//        [--images F --labels F --test-images F --test-labels F] [--lightly simclr,byol,barlowtwins]
//        [--train-samples N --test-samples M] [--no-baselines] [--out runs.json]
//   node bench/methods.mjs --table a.json,b.json      # one table from the runs of several invocations
// Prints a Markdown table; --out also writes every run as JSON. One thread per run (--threads 1).
// --train-samples / --test-samples: train and fit the probes on the first N training images, score
// on the first M test images (the whole files by default; Fashion-MNIST's files are in random class
// order, so the first N are a fair sample).
// Evaluation (in this process, the same for every feature set): weighted kNN (k = 20, the CLI's)
// and the L-BFGS linear probe at one fixed weight decay, --probe-wd (default 3e-3; `contrastive
// eval` instead picks it among nine by 5-fold cross-validation, ten times the fits).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'packages/cli/dist/main.js');
const { values: o } = benchArgs({
  options: {
    encoder: { type: 'string', default: 'mlp' },
    epochs: { type: 'string', default: '2' },
    seeds: { type: 'string', default: '0,1,2' },
    methods: { type: 'string', default: 'simclr,moco,supcon,dcl,dclw,byol,simsiam,barlowtwins,vicreg,nnclr,triplet,multisimilarity' },
    'batch-size': { type: 'string', default: '256' },
    images: { type: 'string' },
    labels: { type: 'string' },
    'test-images': { type: 'string' },
    'test-labels': { type: 'string' },
    lightly: { type: 'string' },
    python: { type: 'string', default: 'python3' },
    out: { type: 'string' },
    'no-baselines': { type: 'boolean', default: false },
    'probe-wd': { type: 'string', default: '3e-3' },
    'train-samples': { type: 'string' },
    'test-samples': { type: 'string' },
    table: { type: 'string' },
  },
});
const seeds = o.seeds.split(',').map(Number);
const lib = await import(join(root, 'packages/contrastive/dist/index.node.js'));
const { loadEncoder } = await import(join(root, 'packages/cli/dist/model.js'));
const { loadIdxImages, loadMnist, pixelRows } = await import(join(root, 'packages/cli/dist/data.js'));
const tmp = mkdtempSync(join(tmpdir(), 'ct-methods-'));
const trainData = [
  ...(o.images ? ['--images', o.images, '--labels', o.labels] : ['--dataset', 'mnist']),
  ...(o['train-samples'] ? ['--max-samples', o['train-samples']] : []),
];
await lib.init({ variant: 'simd128' });
const first = (set, n) => {
  if (n === undefined || Number(n) >= set.n) return set;
  const k = Number(n);
  const per = set.images.length / set.n;
  return { ...set, n: k, images: set.images.subarray(0, k * per), labels: set.labels.subarray(0, k) };
};
const loaded = o.images ? { train: await loadIdxImages(o.images, o.labels), test: await loadIdxImages(o['test-images'], o['test-labels']) } : await loadMnist();
const sets = { train: first(loaded.train, o['train-samples']), test: first(loaded.test, o['test-samples']) };
const rowsOf = (set) => {
  const b = lib.toImageBatch({ data: set.images, n: set.n, height: set.height, width: set.width, channels: set.channels });
  return { data: b.data, shape: [b.n, b.channels * b.height * b.width] };
};
const score = (tr, te) => ({
  linear: lib.linearProbe(tr, sets.train.labels, te, sets.test.labels, { weightDecay: Number(o['probe-wd']) }).accuracy,
  knn: lib.knnAccuracy(tr, sets.train.labels, te, sets.test.labels, { k: 20 }),
});
const evaluate = async (file) => {
  const { encoder } = await loadEncoder(file);
  const r = score(lib.embed(encoder, rowsOf(sets.train)), lib.embed(encoder, rowsOf(sets.test)));
  encoder.free?.();
  return r;
};
const node = (args) =>
  JSON.parse(
    execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', cli, ...args, '--threads', '1', '--variant', 'simd128', '--json'], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    })
      .trim()
      .split('\n')
      .at(-1),
  );
const runs = [];
const log = (r) => {
  runs.push(r);
  console.error(JSON.stringify(r));
};

// baselines: raw pixels; the encoder at its initialization (trained for 0 steps: lr 1e-30, one epoch, so only BN statistics move)
if (o.table) {
  // --out files, or the JSON lines a run printed on stderr
  for (const f of o.table.split(',')) {
    const text = readFileSync(f, 'utf8');
    runs.push(
      ...(f.endsWith('.json')
        ? JSON.parse(text).runs
        : text
            .split('\n')
            .filter((l) => l.startsWith('{'))
            .map((l) => JSON.parse(l))),
    );
  }
} else if (!o['no-baselines']) {
  const raw = score(pixelRows(sets.train), pixelRows(sets.test));
  log({ method: 'raw pixels', seed: 0, ...raw });
  for (const seed of seeds) {
    const out = join(tmp, `random-${seed}.safetensors`);
    node(['train', ...trainData, '--encoder', o.encoder, '--epochs', '1', '--lr', '1e-30', '--seed', String(seed), '--out', out]);
    log({ method: 'random init', seed, ...(await evaluate(out)) });
  }
}
for (const method of o.table || o.methods === 'none' ? [] : o.methods.split(',')) {
  for (const seed of seeds) {
    const out = join(tmp, `${method}-${seed}.safetensors`);
    const t = node([
      'train',
      ...trainData,
      '--encoder',
      o.encoder,
      '--method',
      method,
      '--epochs',
      o.epochs,
      '--batch-size',
      o['batch-size'],
      '--seed',
      String(seed),
      '--out',
      out,
    ]);
    log({ method, seed, ...(await evaluate(out)), secondsPerEpoch: t.seconds / t.epochs, firstLoss: t.firstLoss, finalLoss: t.finalLoss });
  }
}
if (o.lightly && !o.table) {
  // the Python side reads IDX files: the CLI's MNIST train split, written out
  let images = o.images;
  if (!images || o['train-samples']) {
    images = join(tmp, 'train-images-idx3-ubyte');
    writeFileSync(images, lib.writeIdx([sets.train.n, 28, 28], sets.train.images));
  }
  for (const method of o.lightly.split(',')) {
    for (const seed of seeds) {
      const out = join(tmp, `lightly-${method}-${seed}.safetensors`);
      const py = execFileSync(
        o.python,
        [
          join(root, 'bench/peers/lightly_methods.py'),
          '--method',
          method,
          '--encoder',
          o.encoder,
          '--epochs',
          o.epochs,
          '--batch-size',
          o['batch-size'],
          '--seed',
          String(seed),
          '--out',
          out,
          '--images',
          images,
        ],
        { encoding: 'utf8' },
      );
      const t = JSON.parse(py.trim().split('\n').at(-1));
      log({
        method: `${method} (lightly)`,
        seed,
        ...(await evaluate(out)),
        secondsPerEpoch: t.secondsPerEpoch,
        firstLoss: t.firstLoss,
        finalLoss: t.finalLoss,
        torch: t.torch,
        lightly: t.lightly,
      });
    }
  }
}

const stat = (v) => {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1)) : 0;
  return { m, sd };
};
const pct = (v) => {
  const { m, sd } = stat(v.map((x) => 100 * x));
  return v.length > 1 ? `${m.toFixed(2)} ± ${sd.toFixed(2)}` : m.toFixed(2);
};
// lightly's benchmark layout (Model, Backbone, Batch Size, Epochs, Linear Top1, kNN Top1), plus the
// cost of an epoch and the number of seeds; with --table, pass the runs' --encoder/--epochs/--batch-size
const backbone = { mlp: 'MLP 784-512-256', conv: 'demo CNN (lenet-BN)', gap: 'CNN + GAP' }[o.encoder] ?? o.encoder;
const order = (name) => (name === 'raw pixels' ? 0 : name === 'random init' ? 1 : 2);
console.log(
  `| Model | Backbone | Batch Size | Epochs | Linear Top1 (%) | kNN Top1 (%) | s / epoch (1 thread) | seeds |\n| --- | --- | --- | --- | --- | --- | --- | --- |`,
);
for (const name of [...new Set(runs.map((r) => r.method))].sort((a, b) => order(a) - order(b))) {
  const rs = runs.filter((r) => r.method === name);
  const sec = rs.filter((r) => r.secondsPerEpoch !== undefined).map((r) => r.secondsPerEpoch);
  const trained = order(name) === 2;
  console.log(
    `| ${name} | ${name === 'raw pixels' ? '-' : backbone} | ${trained ? o['batch-size'] : '-'} | ${trained ? o.epochs : '-'} | ${pct(rs.map((r) => r.linear))} | ${pct(rs.map((r) => r.knn))} | ${sec.length ? stat(sec).m.toFixed(1) : '-'} | ${rs.length} |`,
  );
}
if (o.out)
  writeFileSync(
    o.out,
    JSON.stringify(
      { encoder: o.encoder, epochs: Number(o.epochs), batchSize: Number(o['batch-size']), train: sets.train.n, test: sets.test.n, seeds, runs },
      null,
      1,
    ),
  );
