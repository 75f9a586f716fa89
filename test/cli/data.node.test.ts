// `contrastive train | eval | embed --data PATH` end to end on real files: PNG and JPEG folders of
// MNIST digits, RGB images, a CSV table, JSONL pairs and NPY arrays.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy, readSafetensors, writeIdx, writeNpy } from '../../packages/contrastive/src/index.node.js';
import { mnistDigits, sharp, writeDigitFolder, writeRgbFolder } from '../data/fixtures.js';
import { bin, cliIn, json } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'contrastive-cli-data-'));
const run = cliIn(dir, 180_000);
const cli = (...args: string[]) => run([], ...args);
/** The CSV table the suite writes, read as the species (by colour, size and weight), its id dropped. */
const table = ['--data', 'table.csv', '--label-column', 'species', '--categorical', 'color', '--ignore-columns', 'id'];

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
  // triplets: the same pairs with a hard negative, the positive of another anchor sharing its first feature's sign
  const rows = pairs.map((l) => JSON.parse(l) as { anchor: number[]; positive: number[] });
  const neg = rows.map((r, i) => rows[(i + 1 + rows.slice(i + 1).findIndex((o) => Math.sign(o.anchor[0]) === Math.sign(r.anchor[0]))) % rows.length].positive);
  writeFileSync(join(dir, 'triplets.jsonl'), rows.map((r, i) => JSON.stringify({ ...r, negative: neg[i] })).join('\n') + '\n');
  // the same triplets as column groups of one CSV (and an id column, ignored)
  const head = ['id', ...[0, 1, 2, 3, 4, 5].map((k) => `a_${k}`), ...[0, 1, 2, 3].map((k) => `p_${k}`), ...[0, 1, 2, 3].map((k) => `n_${k}`)];
  writeFileSync(join(dir, 'triplets.csv'), [head.join(','), ...rows.map((r, i) => [i, ...r.anchor, ...r.positive, ...neg[i]].join(','))].join('\n') + '\n');
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
    const supcon = ['--method', 'supcon', '--epochs', '10', '--batch-size', '30', '--val-split', '0.25', '--monitor'];
    const t = json(cli('train', ...table, ...supcon, '--out', 'table.safetensors', '--json'));
    expect(t.encoder).toBe('mlp');
    expect(t.input).toEqual([1, 1, 5]); // 3 one-hot colours + size + weight
    expect(t.knnAccuracy).toBeGreaterThan(0.6);
    const e = json(cli('eval', '--model', 'table.safetensors', ...table, '--val-split', '0.25', '--json'));
    expect(e.linearProbeAccuracy).toBeGreaterThan(0.6);
    const m = cli('embed', '--model', 'table.safetensors', ...table, '--out', 't.npy');
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

  it('triplets (anchor, positive, hard negative) from JSONL, CSV column groups or three aligned files train two towers with the negatives', () => {
    const rows = readFileSync(join(dir, 'pairs.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { anchor: number[]; positive: number[] });
    const base = ['--method', 'clip', '--epochs', '6', '--batch-size', '32', '--json'];
    const pairs = json(cli('train', '--data', 'pairs.jsonl', ...base, '--out', 'p.safetensors'));
    const tj = json(cli('train', '--data', 'triplets.jsonl', ...base, '--out', 't.safetensors'));
    expect([tj.data, tj.hardNegatives, tj.samples]).toEqual(['pairs', true, 96]);
    expect(pairs.hardNegatives).toBe(false);
    // the same rows and seed: only the negatives differ, so the losses do
    expect(tj.firstLoss).not.toBeCloseTo(pairs.firstLoss, 4);
    expect(tj.finalLoss).toBeLessThan(tj.firstLoss);
    const cols = ['--anchor-columns', 'a_*', '--positive-columns', 'p_0,p_1,p_2,p_3'];
    const tc = json(cli('train', '--data', 'triplets.csv', ...cols, '--negative-columns', 'n_*', ...base, '--out', 'tc.safetensors'));
    // CSV cells hold the JSON's numbers: the same triplets, the same run
    expect([tc.hardNegatives, tc.samples, tc.input]).toEqual([true, 96, [1, 1, 6]]);
    expect(tc.firstLoss).toBeCloseTo(tj.firstLoss, 4);
    const pc = json(cli('train', '--data', 'triplets.csv', ...cols, ...base, '--out', 'pc.safetensors'));
    expect(pc.hardNegatives).toBe(false);
    expect(pc.firstLoss).toBeCloseTo(pairs.firstLoss, 4);
    // three aligned files: anchors, positives, negatives
    writeFileSync(
      join(dir, 'x3.npy'),
      writeNpy(
        [60, 3],
        Float32Array.from({ length: 180 }, (_, i) => Math.sin(i)),
      ),
    );
    const three = json(
      cli(
        'train',
        '--data',
        'x.npy',
        '--pair-data',
        'x2.npy',
        '--negative-data',
        'x3.npy',
        '--method',
        'clip',
        '--epochs',
        '2',
        '--batch-size',
        '20',
        '--out',
        'three.safetensors',
        '--json',
      ),
    );
    expect([three.hardNegatives, three.samples]).toEqual([true, 60]);
    // two aligned CSV files (header rows): the anchors' and the positives' columns
    writeFileSync(join(dir, 'qa.csv'), ['q0,q1,q2', ...rows.map((r) => r.anchor.slice(0, 3).join(','))].join('\n') + '\n');
    writeFileSync(join(dir, 'qb.csv'), ['d0,d1', ...rows.map((r) => r.positive.slice(0, 2).join(','))].join('\n') + '\n');
    const csv2 = json(cli('train', '--data', 'qa.csv', '--pair-data', 'qb.csv', ...base, '--out', 'csv2.safetensors'));
    expect([csv2.data, csv2.samples, csv2.input]).toEqual(['pairs', 96, [1, 1, 3]]);
  });

  it('CSV column groups that are missing or ragged fail in one line naming the file and column', () => {
    const t = (...extra: string[]) => cli('train', '--data', 'triplets.csv', '--method', 'clip', '--out', 'bad.safetensors', ...extra);
    const missing = t('--anchor-columns', 'a_*', '--positive-columns', 'p_0,p_9');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('triplets.csv');
    expect(missing.err).toContain('"p_9"');
    const ragged = t('--anchor-columns', 'a_*', '--positive-columns', 'p_*', '--negative-columns', 'n_0,n_1');
    expect(ragged.code).toBe(1);
    expect(ragged.err).toContain('triplets.csv');
    expect(ragged.err).toContain('2 negative columns and 4 positive');
    const npy = cli('train', '--data', 'x.npy', '--anchor-columns', 'a_*', '--positive-columns', 'p_*', '--method', 'clip', '--out', 'bad.safetensors');
    expect(npy.code).toBe(1);
    expect(npy.err).toContain('CSV or TSV');
    const half = t('--anchor-columns', 'a_*');
    expect(half.code).toBe(1);
    expect(half.err).toContain('--positive-columns');
    writeFileSync(join(dir, 'short.npy'), writeNpy([59, 3], new Float32Array(177)));
    const rows = cli('train', '--data', 'x.npy', '--pair-data', 'x2.npy', '--negative-data', 'short.npy', '--method', 'clip', '--out', 'bad.safetensors');
    expect(rows.code).toBe(1);
    expect(rows.err).toContain('short.npy has 59');
    const alone = cli('train', '--data', 'x.npy', '--negative-data', 'x3.npy', '--method', 'clip', '--out', 'bad.safetensors');
    expect(alone.code).toBe(1);
    expect(alone.err).toContain('--pair-data');
  });

  it('without --batch-size a small set trains in batches small enough for 16 steps an epoch (down to 32)', () => {
    const t = json(cli('train', '--data', 'digits-png', '--epochs', '1', '--out', 'small-batch.safetensors', '--json'));
    // 300 images: 256, 128 and 64 give fewer than 16 steps; 32 gives 9, the floor
    expect([t.batchSize, t.steps]).toEqual([32, 9]);
    const v = json(cli('train', ...table, '--epochs', '1', '--out', 'small-v.safetensors', '--json'));
    expect([v.batchSize, v.steps]).toEqual([32, 3]);
  });

  it('augment --data draws the views of a folder at the size train loads it, spread over its classes', async () => {
    const r = cli('augment', '--data', 'rgb', '--image-size', '16', '--count', '4', '--out', 'rgb-grid.png');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('simclr-cifar10');
    const { data, info } = await sharp(join(dir, 'rgb-grid.png')).raw().toBuffer({ resolveWithObject: true });
    // 3 cells of 16 px per row (original, view 1, view 2) and 4 rows, 2 px apart
    expect([info.width, info.height]).toEqual([2 + 3 * (16 + 2), 2 + 4 * (16 + 2)]);
    const px = (x: number, y: number): number[] =>
      Array.from((data as Uint8Array).subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    // the originals' corners: the first rows are 'cool' images (a yellow ground), the last 'warm' ones (dark blue)
    const [r0, g0, b0] = px(2, 2);
    const [r3, g3, b3] = px(2, 2 + 3 * 18);
    expect(r0 > 150 && g0 > 150 && b0 < 110, `top-left ${[r0, g0, b0]}`).toBe(true);
    expect(b3 > 80 && r3 < 60 && g3 < 90, `bottom-left ${[r3, g3, b3]}`).toBe(true);
    const vectors = cli('augment', '--data', 'x.npy', '--out', 'v-grid.png');
    expect(vectors.code).toBe(1);
    expect(vectors.err).toContain('holds vectors');
    expect(cli('augment', '--data', 'rgb', '--out', 'x-grid.png').err).toContain('--image-size');
  });

  it('NPY vectors with NPY labels evaluate as raw features and train with SimCLR', () => {
    const e = json(cli('eval', '--data', 'x.npy', '--labels', 'y.npy', '--val-split', '0.3', '--json'));
    expect(e.linearProbeAccuracy).toBeGreaterThan(0.9);
    json(cli('train', '--data', 'x.npy', '--epochs', '2', '--batch-size', '20', '--out', 'npy.safetensors', '--json'));
  });

  it('--checkpoint / --resume on --data: a run killed after its first checkpoint resumes to the uninterrupted model byte for byte', async () => {
    const args = ['train', ...table, '--epochs', '40', '--batch-size', '30'];
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
