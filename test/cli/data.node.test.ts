// `contrastive train | eval | embed --data PATH` end to end on real files: PNG and JPEG folders of
// MNIST digits, RGB images, a CSV table, JSONL pairs and NPY arrays.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy, readSafetensors, writeIdx, writeNpy } from '../../packages/contrastive/src/index.node.js';
import { mnistDigits, writeDigitFolder, writeRgbFolder } from '../data/fixtures.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-cli-data-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const json = (r: { code: number | null; out: string; err: string }) => {
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out);
};

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/data-commands.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  await writeDigitFolder(join(dir, 'digits-png'), 30, 'png');
  await writeDigitFolder(join(dir, 'digits-jpg'), 10, 'jpg', 30);
  await writeRgbFolder(join(dir, 'rgb'), 24, [24, 20], 'jpg');
  // a table: two numeric features and a colour that tell the species apart, an id to drop
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
  const lines = ['id,color,size,weight,species'];
  for (let i = 0; i < 120; i++) {
    const s = i % 3;
    lines.push(
      `${i},${['red', 'green', 'blue'][(s + (rand() < 0.2 ? 1 : 0)) % 3]},${(s * 2 + rand()).toFixed(3)},${(10 - s * 3 + rand() * 2).toFixed(3)},"kind ${s}"`,
    );
  }
  writeFileSync(join(dir, 'table.csv'), lines.join('\r\n') + '\r\n');
  // pairs: the positive is a fixed linear map of the anchor plus noise
  const pairs: string[] = [];
  for (let i = 0; i < 96; i++) {
    const a = Array.from({ length: 6 }, () => rand() * 2 - 1);
    const p = [a[0] + a[1], a[2] - a[3], a[4] * 2, a[5] + 0.05 * rand()];
    pairs.push(JSON.stringify({ anchor: a, positive: p }));
  }
  writeFileSync(join(dir, 'pairs.jsonl'), pairs.join('\n') + '\n');
  const x = Float32Array.from({ length: 60 * 5 }, (_, i) => (Math.floor(i / 5) % 2) * 3 + rand());
  writeFileSync(join(dir, 'x.npy'), writeNpy([60, 5], x));
  writeFileSync(
    join(dir, 'x2.npy'),
    writeNpy(
      [60, 3],
      Float32Array.from({ length: 60 * 3 }, (_, i) => x[Math.floor(i / 3) * 5 + (i % 3)] * 2),
    ),
  );
  const d = mnistDigits(8);
  writeFileSync(join(dir, 'digits-idx3-ubyte'), writeIdx([80, 28, 28], d.images));
  writeFileSync(join(dir, 'digits-idx1-ubyte'), writeIdx([80], Uint8Array.from(d.labels)));
  writeFileSync(
    join(dir, 'v.jsonl'),
    Array.from({ length: 40 }, (_, i) => JSON.stringify({ x: [i % 2, rand(), (i % 2) * 2 + rand()], y: i % 2 ? 'odd' : 'even' })).join('\n'),
  );
  writeFileSync(
    join(dir, 'y.npy'),
    writeNpy(
      [60],
      Float32Array.from({ length: 60 }, (_, i) => i % 2),
    ),
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contrastive CLI on your own data', () => {
  it('a PNG folder of digits: train with a validation split and the kNN monitor, eval on a JPEG folder, embed with a file list', () => {
    const t = json(
      cli('train', '--data', 'digits-png', '--epochs', '2', '--batch-size', '60', '--val-split', '0.2', '--monitor', '--out', 'digits.safetensors', '--json'),
    );
    expect(t.encoder).toBe('conv');
    expect(t.input).toEqual([1, 28, 28]);
    expect(t.samples).toBe(240);
    expect(t.steps).toBe(8);
    expect(t.knnAccuracy).toBeGreaterThan(0.3); // 10 classes: chance is 0.1
    const e = json(cli('eval', '--model', 'digits.safetensors', '--train-data', 'digits-png', '--test-data', 'digits-jpg', '--json'));
    expect(e.linearProbeAccuracy).toBeGreaterThan(0.4);
    expect(e.knnAccuracy).toBeGreaterThan(0.4);
    expect([e.train, e.test]).toEqual([300, 100]);
    const m = cli('embed', '--model', 'digits.safetensors', '--data', 'digits-jpg', '--out', 'emb.npy');
    expect(m.code, m.err).toBe(0);
    const z = parseNpy(new Uint8Array(readFileSync(join(dir, 'emb.npy'))));
    expect(z.shape).toEqual([100, 256]);
    const files = readFileSync(join(dir, 'emb.npy.files.txt'), 'utf8').trim().split('\n');
    expect(files.length).toBe(100);
    expect(files[0]).toBe(join('digits-jpg', '0', '0000.jpg'));
    expect(files[99]).toBe(join('digits-jpg', '9', '0099.jpg'));
  });

  it('raw pixels of a folder evaluate without a model, with --data and --val-split', () => {
    const e = json(cli('eval', '--data', 'digits-png', '--val-split', '0.25', '--json'));
    expect(e.features).toBe('raw pixels');
    expect(e.dims).toBe(784);
    expect(e.test).toBe(80);
    // --max-samples on --data: a stratified sample, not the first (class-sorted) files
    const small = json(cli('eval', '--data', 'digits-png', '--val-split', '0.25', '--max-samples', '40', '--json'));
    expect([small.train, small.test]).toEqual([40, 40]);
    expect(small.knnAccuracy).toBeGreaterThan(0.2);
    // IDX files through --data (the format told from the name), labels from --labels
    const idx = json(cli('eval', '--data', 'digits-idx3-ubyte', '--labels', 'digits-idx1-ubyte', '--val-split', '0.25', '--json'));
    expect([idx.dims, idx.test]).toEqual([784, 20]);
    // JSONL vectors with a label key
    const v = json(cli('eval', '--data', 'v.jsonl', '--label-column', 'y', '--val-split', '0.25', '--json'));
    expect([v.dims, v.test]).toEqual([3, 10]);
    expect(v.linearProbeAccuracy).toBeGreaterThan(0.9);
  });

  it('RGB images: --image-size picks the size, the gap CNN is chosen, MoCo trains on them', () => {
    const t = json(
      cli(
        'train',
        '--data',
        'rgb',
        '--image-size',
        '16',
        '--method',
        'moco',
        '--widths',
        '8,16',
        '--epochs',
        '1',
        '--batch-size',
        '16',
        '--out',
        'rgb.safetensors',
        '--json',
      ),
    );
    expect(t.encoder).toBe('gap');
    expect(t.input).toEqual([3, 16, 16]);
    expect(Number.isFinite(t.finalLoss)).toBe(true);
    const meta = readSafetensors(new Uint8Array(readFileSync(join(dir, 'rgb.safetensors')))).metadata;
    expect(JSON.parse(meta.info).classes).toEqual(['cool', 'warm']);
    const e = json(cli('eval', '--model', 'rgb.safetensors', '--data', 'rgb', '--val-split', '0.25', '--json'));
    expect(e.dims).toBe(16);
    // a model trained on 16x16 RGB refuses grayscale digits
    const bad = cli('embed', '--model', 'rgb.safetensors', '--data', 'digits-png', '--channels', '1', '--out', 'rgb-bad.npy');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('3-channel');
    expect(existsSync(join(dir, 'rgb-bad.npy'))).toBe(false);
  });

  it('a CSV table: label column by name, a categorical column one-hot, SupCon with the monitor, then eval and embed', () => {
    const t = json(
      cli(
        'train',
        '--data',
        'table.csv',
        '--label-column',
        'species',
        '--categorical',
        'color',
        '--ignore-columns',
        'id',
        '--method',
        'supcon',
        '--epochs',
        '10',
        '--batch-size',
        '30',
        '--val-split',
        '0.25',
        '--monitor',
        '--out',
        'table.safetensors',
        '--json',
      ),
    );
    expect(t.encoder).toBe('mlp');
    expect(t.input).toEqual([1, 1, 5]); // 3 one-hot colours + size + weight
    expect(t.knnAccuracy).toBeGreaterThan(0.6);
    const e = json(
      cli(
        'eval',
        '--model',
        'table.safetensors',
        '--data',
        'table.csv',
        '--label-column',
        'species',
        '--categorical',
        'color',
        '--ignore-columns',
        'id',
        '--val-split',
        '0.25',
        '--json',
      ),
    );
    expect(e.linearProbeAccuracy).toBeGreaterThan(0.6);
    const m = cli(
      'embed',
      '--model',
      'table.safetensors',
      '--data',
      'table.csv',
      '--categorical',
      'color',
      '--ignore-columns',
      'id',
      '--label-column',
      'species',
      '--out',
      't.npy',
    );
    expect(m.code, m.err).toBe(0);
    expect(parseNpy(new Uint8Array(readFileSync(join(dir, 't.npy')))).shape).toEqual([120, 128]);
    const bad = cli('train', '--data', 'table.csv', '--label-column', 'species', '--out', 'x.safetensors');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('"color"');
    expect(bad.err).toContain('categorical');
  });

  it('JSONL pairs train two towers with --method clip; other methods on pairs are refused', () => {
    const t = json(cli('train', '--data', 'pairs.jsonl', '--method', 'clip', '--epochs', '10', '--batch-size', '32', '--out', 'pairs.safetensors', '--json'));
    expect(t.data).toBe('pairs');
    expect(t.finalLoss).toBeLessThan(t.firstLoss);
    expect(existsSync(join(dir, 'pairs.positive.safetensors'))).toBe(true);
    // the same pairs from two aligned NPY files
    const two = json(
      cli('train', '--data', 'x.npy', '--pair-data', 'x2.npy', '--method', 'clip', '--epochs', '2', '--batch-size', '20', '--out', 'two.safetensors', '--json'),
    );
    expect([two.data, two.samples]).toEqual(['pairs', 60]);
    const bad = cli('train', '--data', 'pairs.jsonl', '--out', 'x.safetensors');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--method clip');
  });

  it('NPY vectors with NPY labels evaluate as raw features and train with SimCLR', () => {
    const e = json(cli('eval', '--data', 'x.npy', '--labels', 'y.npy', '--val-split', '0.3', '--json'));
    expect(e.linearProbeAccuracy).toBeGreaterThan(0.9);
    json(cli('train', '--data', 'x.npy', '--epochs', '2', '--batch-size', '20', '--out', 'npy.safetensors', '--json'));
  });

  it('--checkpoint / --resume on --data: a run killed after its first checkpoint resumes to the uninterrupted model byte for byte', async () => {
    const args = [
      'train',
      '--data',
      'table.csv',
      '--label-column',
      'species',
      '--categorical',
      'color',
      '--ignore-columns',
      'id',
      '--epochs',
      '40',
      '--batch-size',
      '30',
    ];
    json(cli(...args, '--out', 'ref.safetensors', '--json'));
    rmSync(join(dir, 'k.ckpt'), { force: true });
    await new Promise<void>((resolve) => {
      const p = spawn(process.execPath, [bin, ...args, '--out', 'killed.safetensors', '--checkpoint', 'k.ckpt'], { cwd: dir, stdio: 'ignore' });
      const poll = setInterval(() => existsSync(join(dir, 'k.ckpt')) && p.kill('SIGKILL'), 2);
      p.on('exit', () => {
        clearInterval(poll);
        resolve();
      });
    });
    expect(existsSync(join(dir, 'k.ckpt'))).toBe(true);
    const killedEarly = !existsSync(join(dir, 'killed.safetensors'));
    const r = cli(...args, '--out', 'killed.safetensors', '--checkpoint', 'k.ckpt', '--resume', 'k.ckpt');
    expect(r.code, r.err).toBe(0);
    expect(Buffer.compare(readFileSync(join(dir, 'killed.safetensors')), readFileSync(join(dir, 'ref.safetensors')))).toBe(0);
    expect(killedEarly).toBe(true);
    const other = cli(...args, '--lr', '0.5', '--out', 'o.safetensors', '--resume', 'k.ckpt');
    expect(other.code).toBe(1);
    expect(other.err).toContain('lr');
  });

  it('bad input fails fast with one line: unwritable --out, clip without pairs, supcon without labels, a corrupt image', () => {
    let r = cli('train', '--data', 'digits-png', '--out', join('no', 'such', 'dir', 'm.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot write');
    r = cli('train', '--data', 'rgb', '--method', 'clip', '--out', 'x.safetensors');
    expect(r.err).toContain('needs pairs');
    r = cli('train', '--data', 'x.npy', '--method', 'supcon', '--out', 'x.safetensors');
    expect(r.err).toContain('needs labels');
    mkdirSync(join(dir, 'broken', 'a'), { recursive: true });
    writeFileSync(join(dir, 'broken', 'a', 'ok.png'), readFileSync(join(dir, 'digits-png', '0', '0000.png')));
    writeFileSync(join(dir, 'broken', 'a', 'ok2.png'), readFileSync(join(dir, 'digits-png', '1', '0030.png')));
    writeFileSync(join(dir, 'broken', 'a', 'bad.png'), 'not a png');
    r = cli('eval', '--data', 'broken', '--val-split', '0.5', '--labels', 'y.npy');
    expect(r.code).toBe(1);
    expect(r.err).toContain('a/bad.png');
    r = cli('embed', '--model', 'digits.safetensors', '--data', 'broken', '--skip-bad-images', '--out', 'b.npy');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('a/bad.png');
    expect(readFileSync(join(dir, 'b.npy.files.txt'), 'utf8').trim().split('\n').length).toBe(2);
    r = cli('train', '--data', 'table.txt', '--out', 'x.safetensors');
    expect(r.err).toContain('ENOENT');
  });
});
