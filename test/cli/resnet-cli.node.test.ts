// `contrastive train --encoder resnet-* --init F --freeze P` end to end on a small RGB IDX set.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, readSafetensors, resnetSmall, saveSafetensors, writeIdx } from '../../packages/contrastive/src/index.node.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-resnet-cli-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  await init();
  // 64 RGB 16x16 images: colored squares at varying places
  const n = 64;
  const px = new Uint8Array(n * 16 * 16 * 3);
  for (let i = 0; i < n; i++) {
    const [x0, y0, ch] = [i % 8, (i >> 3) % 8, i % 3];
    for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) px[((i * 16 + y) * 16 + x) * 3 + ch] = 200;
  }
  writeFileSync(join(dir, 'rgb-idx3-ubyte'), writeIdx([n, 16, 16, 3], px));
  // a "pretrained" checkpoint under torchvision names, classifier included (it must be ignored)
  const src = resnetSmall({ numClasses: 10, seed: 7 });
  writeFileSync(join(dir, 'init.safetensors'), saveSafetensors(src.stateDict()));
  src.free();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contrastive train with a ResNet', () => {
  it('--init loads torchvision-named weights (fc dropped), --freeze keeps those parameters and their BatchNorm statistics fixed while the rest trains', () => {
    const t = cli(
      'train',
      '--images',
      'rgb-idx3-ubyte',
      '--encoder',
      'resnet-small',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--init',
      'init.safetensors',
      '--freeze',
      'conv1,bn1,layer1',
      '--out',
      'r.safetensors',
      '--json',
    );
    expect(t.code, t.err).toBe(0);
    const summary = JSON.parse(t.out);
    expect(summary.steps).toBe(2);
    const before = readSafetensors(new Uint8Array(readFileSync(join(dir, 'init.safetensors')))).tensors;
    const after = readSafetensors(new Uint8Array(readFileSync(join(dir, 'r.safetensors')))).tensors;
    expect(Object.keys(after)).not.toContain('fc.weight');
    for (const k of ['conv1.weight', 'bn1.weight', 'bn1.running_mean', 'layer1.0.conv2.weight', 'layer1.0.bn2.running_var']) {
      expect(Array.from(after[k].data), k).toEqual(Array.from(before[k].data));
    }
    for (const k of ['layer2.0.conv1.weight', 'layer4.0.bn2.running_mean', 'layer3.0.downsample.0.weight']) {
      expect(Array.from(after[k].data), k).not.toEqual(Array.from(before[k].data));
    }
  });

  it('a --freeze prefix that names nothing, or an --init that does not fit, fails before training with a one-line reason', () => {
    const f = cli(
      'train',
      '--images',
      'rgb-idx3-ubyte',
      '--encoder',
      'resnet-small',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--freeze',
      'layer7',
      '--out',
      'x.safetensors',
    );
    expect(f.code).toBe(1);
    expect(f.err).toContain('layer7');
    const i = cli(
      'train',
      '--images',
      'rgb-idx3-ubyte',
      '--encoder',
      'resnet18-cifar',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--init',
      'init.safetensors',
      '--out',
      'x.safetensors',
    );
    expect(i.code).toBe(1);
    expect(i.err).toMatch(/--init init.safetensors does not fit the encoder/);
  });
});
