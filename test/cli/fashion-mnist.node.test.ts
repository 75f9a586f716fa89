// The methods table's Fashion-MNIST command path: `contrastive train --images/--labels` and `eval`
// straight on the gzipped IDX files that the Debian package dataset-fashion-mnist installs
// (docs/methods.md). Skipped where the files are absent; a few seconds where they are.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const FASHION = process.env.FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
const files = {
  trainImages: join(FASHION, 'train-images-idx3-ubyte.gz'),
  trainLabels: join(FASHION, 'train-labels-idx1-ubyte.gz'),
  testImages: join(FASHION, 't10k-images-idx3-ubyte.gz'),
  testLabels: join(FASHION, 't10k-labels-idx1-ubyte.gz'),
};
const present = Object.values(files).every((f) => existsSync(f));
const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-fashion-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!present)('Fashion-MNIST IDX files (dataset-fashion-mnist)', () => {
  it('the CLI trains the demo CNN with a non-InfoNCE method on them and evaluates it above raw-pixel chance', () => {
    const t = cli(
      'train',
      '--images',
      files.trainImages,
      '--labels',
      files.trainLabels,
      '--encoder',
      'conv',
      '--method',
      'barlowtwins',
      '--max-samples',
      '512',
      '--epochs',
      '1',
      '--batch-size',
      '128',
      '--out',
      'fashion.safetensors',
      '--json',
    );
    expect(t.code, t.err).toBe(0);
    const s = JSON.parse(t.out);
    expect(s.steps).toBe(4);
    expect(s.encoder).toBe('conv');
    expect(Number.isFinite(s.finalLoss)).toBe(true);
    const e = cli(
      'eval',
      '--model',
      'fashion.safetensors',
      '--train-images',
      files.trainImages,
      '--train-labels',
      files.trainLabels,
      '--test-images',
      files.testImages,
      '--test-labels',
      files.testLabels,
      '--max-samples',
      '500',
      '--json',
    );
    expect(e.code, e.err).toBe(0);
    const r = JSON.parse(e.out);
    expect([r.train, r.test, r.dims]).toEqual([500, 500, 256]);
    // 10 balanced classes: chance is 10%; four steps of training already separate the garments
    expect(r.linearProbeAccuracy).toBeGreaterThan(0.5);
    expect(r.knnAccuracy).toBeGreaterThan(0.5);
  });
});
