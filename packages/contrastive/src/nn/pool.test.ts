import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { AvgPool2d, GlobalAvgPool2d, init, MaxPool2d, runtimeInfo } from '../index.node.js';
import { getRuntime } from '../runtime/init.js';
import { f32 } from '../runtime/memory.js';

beforeAll(() => init());

describe('MaxPool2d, AvgPool2d, GlobalAvgPool2d', () => {
  it('match PyTorch (-inf padding, count_include_pad both ways, adaptive 1x1)', () => {
    const problems: string[] = [];
    for (const c of loadCases('pool.json')) {
      const p = c.params;
      const layer =
        c.op === 'max_pool2d'
          ? new MaxPool2d(p.kernel_size, { stride: p.stride, padding: p.padding })
          : c.op === 'avg_pool2d'
            ? new AvgPool2d(p.kernel_size, { stride: p.stride, padding: p.padding, countIncludePad: p.count_include_pad })
            : new GlobalAvgPool2d();
      const y = layer.forwardTensor({ data: f32a(c.inputs.x), shape: c.shapes.x });
      expect(y.shape, c.name).toEqual(c.shapes.y);
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      const dx = layer.backwardTensor({ data: f32a(c.dy), shape: c.shapes.y });
      problems.push(...within(c, 'grads.x', dx.data, c.grads.x));
      layer.free();
    }
    expect(problems).toEqual([]);
  });

  // The 2x2 / stride 2 pool runs four windows at a time in vector lanes on wasm; a plain scan with
  // PyTorch's rule (row-major, first maximum wins, NaN propagates) is the reference. NaN cannot
  // come in through forwardTensor (inputs are checked), but a layer before the pool can make one,
  // so the kernel is driven through _forward on memory written directly.
  it('2x2 max pool, four windows per vector: ties go to the first, NaN wins, odd widths and row tails', async () => {
    for (const variant of ['simd128', 'relaxed'] as const) {
      await init({ variant });
      expect(runtimeInfo().variant).toBe(variant);
      for (const [h, w] of [
        [28, 28],
        [14, 14],
        [7, 9],
        [6, 17],
      ]) {
        const planes = 3;
        const n = planes * h * w;
        const x = Float32Array.from({ length: n }, (_, i) => (i % 23 === 7 ? NaN : ((i * 7) % 5) - 2));
        const k = getRuntime('test').k;
        const ptr = k.ct_alloc(4 * n);
        f32(k, ptr, n).set(x);
        const pool = new MaxPool2d(2);
        const y = pool._forward({ ptr, shape: [1, planes, h, w] }, false);
        const [ho, wo] = [Math.floor(h / 2), Math.floor(w / 2)];
        const got = Array.from(f32(k, y.ptr, planes * ho * wo));
        const want: number[] = [];
        const wantDx = new Float32Array(n);
        for (let p = 0; p < planes; p++) {
          for (let i = 0; i < ho; i++) {
            for (let j = 0; j < wo; j++) {
              let at = -1;
              for (const [u, v] of [
                [0, 0],
                [0, 1],
                [1, 0],
                [1, 1],
              ]) {
                const a = p * h * w + (2 * i + u) * w + 2 * j + v;
                if (at < 0 || x[a] > x[at] || Number.isNaN(x[a])) at = a;
              }
              want.push(x[at]);
              wantDx[at] += 1 + want.length;
            }
          }
        }
        expect(got, `${variant} ${h}x${w}`).toEqual(want);
        // the backward pass sends dy to the recorded argmax
        const dy = Float32Array.from({ length: want.length }, (_, i) => 2 + i);
        const dx = pool.backwardTensor({ data: dy, shape: [1, planes, ho, wo] });
        expect(Array.from(dx.data), `${variant} ${h}x${w} dx`).toEqual(Array.from(wantDx));
        pool.free();
        k.ct_free(ptr, 4 * n);
      }
    }
    await init({ variant: 'auto' });
  });
});
