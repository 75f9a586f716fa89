// The PyTorch side (packages/contrastive/python/contrastive_torch.py): a model saved here rebuilds
// in torch with the same outputs, continues SimCLR training in two DistributedDataParallel (gloo)
// processes, and the result loads back here with torch's outputs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, lenet28, loadModel, mlp, type Module, ntXent, saveModel, Sequential, simclrHead, writeNpy } from '../../packages/contrastive/src/index.node.js';

const script = fileURLToPath(new URL('../../packages/contrastive/python/contrastive_torch.py', import.meta.url));
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'ct-torch-'));

beforeAll(() => init());

function py(args: string[], timeout = 120_000): string {
  const r = spawnSync(python, [script, ...args], { encoding: 'utf8', timeout, env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`python ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function data(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n * d }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  });
}

function torchForward(model: string, x: Float32Array, n: number, d: number): Float32Array {
  const f = join(dir, `x-${n}-${d}.npy`);
  writeFileSync(f, writeNpy([n, d], x));
  return Float32Array.from((JSON.parse(py(['forward', '--model', model, '--data', f])) as number[][]).flat());
}

function expectClose(got: Float32Array, want: Float32Array, tol: number) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst).toBeLessThan(tol);
}

describe.skipIf(!hasTorch)('continue in PyTorch (needs python3 with torch and numpy)', () => {
  for (const [name, make, d] of [
    ['an MLP with BatchNorm', () => mlp([24, 32, 16], { batchNorm: true, seed: 1 }), 24],
    [
      'lenet28 with a SimCLR head',
      () => new Sequential(lenet28({ widths: [4, 8], dim: 16, bnRelu: true, seed: 2 }), simclrHead(16, { hidden: 16, out: 8 })),
      784,
    ],
  ] as [string, () => Module, number][]) {
    it(`${name}: torch rebuilds it from the file and gives the same outputs`, () => {
      const net = make();
      net.forward({ data: data(16, d, 9), rows: 16, cols: d }, { training: true });
      const f = join(dir, `${name.replace(/\W+/g, '-')}.safetensors`);
      writeFileSync(f, saveModel(net));
      const x = data(5, d, 3);
      expectClose(torchForward(f, x, 5, d), net.forward({ data: x, rows: 5, cols: d }).data, 1e-5);
    });
  }

  it("the module's NT-Xent in one process equals ntXent", () => {
    const a = data(6, 5, 1);
    const b = data(6, 5, 2);
    const code = `import sys, json, torch; sys.path.insert(0, ${JSON.stringify(join(script, '..'))}); import contrastive_torch as ct
a = torch.tensor(${JSON.stringify(Array.from(a))}, dtype=torch.float64).reshape(6, 5); b = torch.tensor(${JSON.stringify(Array.from(b))}, dtype=torch.float64).reshape(6, 5)
print(float(ct.nt_xent(a, b, 0.2)))`;
    const r = spawnSync(python, ['-c', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const want = ntXent({ data: a, rows: 6, cols: 5 }, { data: b, rows: 6, cols: 5 }, { temperature: 0.2, grad: false }).loss;
    expect(Math.abs(Number(r.stdout) - want)).toBeLessThan(1e-5);
  });

  it('two gloo processes continue SimCLR training, and the result loads back here with torch outputs', { timeout: 900_000 }, () => {
    const d = 16;
    const net = mlp([d, 32, 8], { batchNorm: true, seed: 4 });
    const before = join(dir, 'before.safetensors');
    const after = join(dir, 'after.safetensors');
    writeFileSync(before, saveModel(net));
    // two well-separated clusters: easy positives, so the loss must fall in a few steps
    const n = 128;
    const x = data(n, d, 5).map((v, i) => v + (Math.floor(i / d) % 2) * 3);
    const xf = join(dir, 'train.npy');
    writeFileSync(xf, writeNpy([n, d], x));
    const out = py(
      [
        'train',
        '--model',
        before,
        '--data',
        xf,
        '--out',
        after,
        '--world-size',
        '2',
        '--steps',
        '20',
        '--batch-size',
        '32',
        '--lr',
        '0.01',
        '--temperature',
        '0.5',
        '--port',
        String(29500 + (process.pid % 400)),
      ],
      900_000,
    );
    const losses = (JSON.parse(out.trim().split('\n').pop()!) as { losses: number[] }).losses;
    expect(losses).toHaveLength(20);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)));
    const back = loadModel(new Uint8Array(readFileSync(after)));
    const probe = data(7, d, 8);
    const ours = back.forward({ data: probe, rows: 7, cols: d }).data;
    expectClose(torchForward(after, probe, 7, d), ours, 1e-5);
    // and it did change: the weights are not the ones we sent
    expect(Array.from(ours)).not.toEqual(Array.from(net.forward({ data: probe, rows: 7, cols: d }).data));
  });
});
