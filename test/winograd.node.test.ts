// 3x3 convolutions by Winograd F(2x2, 3x3) and F(4x4, 3x3) against im2col and PyTorch float64 (fixtures from
// test/reference/resnet/gen_resnet.py: inputs 1x1, 3x3, 5x7; 1 and 3 channels; padding 0 and 1).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conv2d, init, loadSafetensors, ResNet, setConvAlgorithm, type ConvAlgorithm } from '../packages/contrastive/src/index.node.js';
import { expectError } from './util/errors.js';

beforeAll(() => init());
afterAll(async () => {
  await init({ threads: 1 });
  setConvAlgorithm('auto');
});

const dir = new URL('./reference/resnet/', import.meta.url);
const meta = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')).conv3x3 as {
  n: number;
  cin: number;
  cout: number;
  h: number;
  w: number;
  padding: number;
}[];
const ref = loadSafetensors(new Uint8Array(readFileSync(new URL('conv3x3.safetensors', dir))));

/** The worst |got - want| / (atol max|want| + rtol |want|) (<= 1 passes). */
function worst(got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]) / (atol * scale + rtol * Math.abs(want[i]) + 1e-30));
  return w;
}

function run(i: number, algo: ConvAlgorithm) {
  const c = meta[i];
  setConvAlgorithm(algo);
  const conv = new Conv2d(c.cin, c.cout, 3, { padding: c.padding });
  try {
    conv.weight.set(ref[`${i}.w`].data);
    conv.bias!.set(ref[`${i}.b`].data);
    const y = conv.forwardTensor({ data: Float32Array.from(ref[`${i}.x`].data), shape: ref[`${i}.x`].shape });
    const dx = conv.backwardTensor({ data: Float32Array.from(ref[`${i}.dy`].data), shape: ref[`${i}.dy`].shape });
    return { y: y.data, dx: dx.data, dw: conv.weight.grad(), db: conv.bias!.grad() };
  } finally {
    conv.free();
  }
}

describe('Winograd F(2x2, 3x3) and F(4x4, 3x3)', () => {
  it('covers the odd sizes: 1x1 (padding 1 only), 3x3 and 5x7 inputs, 1 and 3 channels, padding 0 and 1', () => {
    expect(meta.map((c) => `${c.h}x${c.w}/${c.cin}/${c.padding}`)).toEqual([
      '1x1/1/1',
      '1x1/3/1',
      '3x3/1/0',
      '3x3/1/1',
      '3x3/3/0',
      '3x3/3/1',
      '5x7/1/0',
      '5x7/1/1',
      '5x7/3/0',
      '5x7/3/1',
    ]);
  });

  // F(4x4, 3x3)'s transforms scale values by up to 8 and 1/24: its stated tolerance is 1e-4
  for (const [algo, tol] of [
    ['winograd', 1e-5],
    ['winograd4', 1e-4],
    ['im2col', 1e-5],
    ['auto', 1e-5],
  ] as const) {
    it(`${algo}: output and all three gradients match PyTorch float64 within ${tol} of the output's scale + ${tol} relative`, () => {
      const bad: string[] = [];
      meta.forEach((c, i) => {
        const r = run(i, algo);
        for (const k of ['y', 'dx', 'dw', 'db'] as const) {
          const w = worst(r[k], ref[`${i}.${k}`].data, tol, tol);
          if (!(w <= 1)) bad.push(`${c.h}x${c.w}/${c.cin}/${c.padding} ${k}: ${w.toFixed(2)} x tolerance`);
        }
      });
      expect(bad).toEqual([]);
    });
  }

  it('Winograd and im2col agree with each other within 2e-6 of the scale (they round differently, so not bit for bit)', () => {
    const bad: string[] = [];
    let differs = false;
    meta.forEach((c, i) => {
      const a = run(i, 'winograd');
      const b = run(i, 'im2col');
      for (const k of ['y', 'dx', 'dw'] as const) {
        if (!(worst(a[k], b[k], 2e-6, 2e-6) <= 1)) bad.push(`${c.h}x${c.w}/${c.cin}/${c.padding} ${k}`);
        if (a[k].some((v, j) => v !== b[k][j])) differs = true;
      }
    });
    expect(bad).toEqual([]);
    // the setting really switches the algorithm
    expect(differs).toBe(true);
  });

  it('F(4x4) and im2col agree within 2e-5 of the scale on the test shapes, and differ (the setting switches)', () => {
    const bad: string[] = [];
    let differs = false;
    meta.forEach((c, i) => {
      const a = run(i, 'winograd4');
      const b = run(i, 'im2col');
      for (const k of ['y', 'dx', 'dw'] as const) {
        if (!(worst(a[k], b[k], 2e-5, 2e-5) <= 1)) bad.push(`${c.h}x${c.w}/${c.cin}/${c.padding} ${k}`);
        if (a[k].some((v, j) => v !== b[k][j])) differs = true;
      }
    });
    expect(bad).toEqual([]);
    expect(differs).toBe(true);
  });

  // [input size, batch, expected pick]: 64 or more 4x4 tiles that cover the outputs exactly pick
  // F(4x4); fewer tiles (the weight transform outweighs the savings) or 14x14 (31% more outputs
  // than F(2x2)) keep F(2x2)
  for (const [hw, n, pick] of [
    [16, 4, 'winograd4'],
    [8, 16, 'winograd4'],
    [4, 64, 'winograd4'],
    [4, 32, 'winograd'],
    [16, 2, 'winograd'],
    [14, 64, 'winograd'],
  ] as const) {
    it(`auto picks ${pick} for a 32-channel ${hw}x${hw} layer on ${n} images: its outputs are that algorithm's bits`, () => {
      const conv = new Conv2d(32, 32, 3, { padding: 1, seed: 5 });
      try {
        const x = { data: new Float32Array(n * 32 * hw * hw).map((_, i) => Math.sin(i * 0.11)), shape: [n, 32, hw, hw] };
        const out = (a: ConvAlgorithm) => {
          setConvAlgorithm(a);
          return conv.forwardTensor(x).data.slice();
        };
        const [auto, f4, f2] = [out('auto'), out('winograd4'), out('winograd')];
        expect(f4).not.toEqual(f2);
        expect(auto).toEqual(pick === 'winograd4' ? f4 : f2);
      } finally {
        conv.free();
      }
    });
  }

  it('an unknown algorithm is a typed error', () => {
    expectError(() => setConvAlgorithm('fft' as ConvAlgorithm), 'INVALID_ARGUMENT', 'fft');
    setConvAlgorithm('im2col');
    expect(setConvAlgorithm('auto')).toBe('im2col'); // returns the previous setting
    expect(setConvAlgorithm('auto')).toBe('auto');
  });

  it.each(['simd128', 'relaxed'] as const)('%s: a ResNet step with Winograd is bit-identical on 1 and 2 threads', async (variant) => {
    const step = () => {
      const net = new ResNet({ layers: [1, 1], widths: [16, 32], stem: 'cifar', numClasses: 4, seed: 3 });
      try {
        // 8 images of 24x24: the transforms' planes and the products are large enough to be split over threads
        const x = { data: new Float32Array(8 * 3 * 24 * 24).map((_, i) => Math.sin(i * 0.37)), shape: [8, 3, 24, 24] };
        const y = net.forwardTensor(x, { training: true });
        net.backwardTensor({ data: y.data.map((v) => v * 0.5 - 0.1), shape: y.shape }, { inputGrad: false });
        return [y.data, ...net.parameters().map((p) => p.grad())].map((a) => Array.from(a));
      } finally {
        net.free();
      }
    };
    for (const algo of ['winograd', 'winograd4'] as const) {
      await init({ threads: 1, variant });
      setConvAlgorithm(algo);
      const one = step();
      await init({ threads: 2, variant });
      setConvAlgorithm(algo);
      const two = step();
      expect(two).toEqual(one);
    }
  });
});
