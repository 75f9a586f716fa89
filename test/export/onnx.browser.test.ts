// ONNX export in the browser: a model exported in Chromium runs in onnxruntime-web there with the
// library's outputs.
import * as ort from 'onnxruntime-web/wasm';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx, init, lenet28, mlp, type Module } from '../../packages/contrastive/src/index.browser.js';

beforeAll(async () => {
  await init();
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
});

const rows = (n: number, d: number) => Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.61) * 0.8);

describe('ONNX export in Chromium', () => {
  for (const [name, make, d] of [
    ['an MLP with BatchNorm', () => mlp([20, 16, 8], { batchNorm: true, seed: 2 }), 20],
    ['lenet28 with BatchNorm1d + ReLU', () => lenet28({ widths: [3, 5], dim: 8, bnRelu: true, seed: 1 }), 784],
  ] as [string, () => Module, number][]) {
    it(`${name}: onnxruntime-web gives the library's outputs within 1e-5`, async () => {
      const net = make();
      net.forward({ data: rows(12, d).map((v) => 1.5 * v + 0.2), rows: 12, cols: d }, { training: true });
      const session = await ort.InferenceSession.create(exportOnnx(net));
      const x = rows(5, d);
      const got = (await session.run({ input: new ort.Tensor('float32', x, [5, d]) })).output.data as Float32Array;
      const want = net.forward({ data: x, rows: 5, cols: d }).data;
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
      expect(got.length).toBe(want.length);
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  }
});
