// The cost of one epoch of each method in CPU seconds (user + system of the training process, one
// thread), which a loaded machine does not inflate the way it inflates wall-clock: every
// `contrastive train --method` (and, with --lightly, bench/peers/lightly_methods.py) for one epoch
// on the first --samples training images, timed by GNU time. The process's start and data loading
// are included (the images are written uncompressed first, so no gunzip is counted).
//
//   nice node bench/methods-cost.mjs --encoder conv --samples 2048 --images F --labels F \
//        [--methods simclr,byol] [--lightly simclr,byol,barlowtwins]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'packages/cli/dist/main.js');
const { values: o } = benchArgs({
  options: {
    encoder: { type: 'string', default: 'conv' },
    samples: { type: 'string', default: '2048' },
    'batch-size': { type: 'string', default: '256' },
    methods: { type: 'string', default: 'simclr,moco,supcon,dcl,dclw,byol,simsiam,barlowtwins,vicreg,nnclr,triplet,multisimilarity' },
    lightly: { type: 'string' },
    python: { type: 'string', default: 'python3' },
    images: { type: 'string' },
    labels: { type: 'string' },
  },
});
const lib = await import(join(root, 'packages/contrastive/dist/index.node.js'));
const { loadIdxImages, loadMnist } = await import(join(root, 'packages/cli/dist/data.js'));
const tmp = mkdtempSync(join(tmpdir(), 'ct-methods-cost-'));
const set = o.images ? await loadIdxImages(o.images, o.labels) : (await loadMnist()).train;
const n = Math.min(Number(o.samples), set.n);
const per = set.images.length / set.n;
const dims = per === set.height * set.width ? [set.height, set.width] : [set.height, set.width, set.channels];
const images = join(tmp, 'images-idx3-ubyte');
const labels = join(tmp, 'labels-idx1-ubyte');
writeFileSync(images, lib.writeIdx([n, ...dims], set.images.subarray(0, n * per)));
writeFileSync(labels, lib.writeIdx([n], Uint8Array.from(set.labels.subarray(0, n))));

/** CPU seconds (user + system) of a command, from GNU time's last stderr line. */
const cpu = (cmd, args) => {
  const out = join(tmp, 'time.txt');
  execFileSync('/usr/bin/time', ['-o', out, '-f', '%U %S', cmd, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [u, s] = readFileSync(out, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return u + s;
};
const common = ['--epochs', '1', '--batch-size', o['batch-size'], '--seed', '0'];
const rows = [];
for (const method of o.methods === 'none' ? [] : o.methods.split(',')) {
  const s = cpu(process.execPath, [
    '--experimental-wasm-relaxed-simd',
    cli,
    'train',
    '--images',
    images,
    '--labels',
    labels,
    '--encoder',
    o.encoder,
    '--method',
    method,
    ...common,
    '--threads',
    '1',
    '--variant',
    'simd128',
    '--json',
    '--out',
    join(tmp, 'm.safetensors'),
  ]);
  rows.push({ method, cpuSeconds: s });
  console.error(JSON.stringify(rows.at(-1)));
}
for (const method of o.lightly ? o.lightly.split(',') : []) {
  const s = cpu(o.python, [
    join(root, 'bench/peers/lightly_methods.py'),
    '--method',
    method,
    '--encoder',
    o.encoder,
    ...common,
    '--images',
    images,
    '--out',
    join(tmp, 'l.safetensors'),
  ]);
  rows.push({ method: `${method} (lightly)`, cpuSeconds: s });
  console.error(JSON.stringify(rows.at(-1)));
}
const base = rows.find((r) => r.method === 'simclr')?.cpuSeconds;
console.log(`| method | CPU s / epoch of ${n} images | vs simclr |\n| --- | --- | --- |`);
for (const r of rows) console.log(`| ${r.method} | ${r.cpuSeconds.toFixed(1)} | ${base ? `${(r.cpuSeconds / base).toFixed(2)}x` : '-'} |`);
rmSync(tmp, { recursive: true, force: true });
