import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { colorJitter, randomGrayscale } from './color.js';
import { randomAffine } from './affine.js';
import { augment, compose, randomApply, sampleParams, twoViews, twoViewsOf } from './compose.js';
import { randomResizedCrop, resizedCrop, type CropBox } from './crop.js';
import { randomHorizontalFlip } from './flip.js';
import { mocoV2, simclrCifar10, simclrImageNet, smallGrayscale } from './presets.js';
import { testBatch } from './testutil.js';

beforeAll(() => init());

describe('compose, randomApply, twoViews, presets', () => {
  it("an image's views do not depend on the rest of its batch (offset keys the streams)", () => {
    const x = testBatch(6, 3, 16, 16);
    const p = simclrCifar10({ size: 12 });
    const all = augment(x, p, { seed: 5 });
    const tail = augment({ ...x, n: 2, data: x.data.slice(4 * 3 * 256) }, p, { seed: 5, offset: 4 });
    expect(tail.data).toEqual(all.data.slice(4 * 3 * 144));
  });

  it('the two views differ; the same seed repeats them; another step changes them', () => {
    const x = testBatch(4, 3, 32, 32);
    const [a, b] = twoViews(x, simclrCifar10(), { seed: 1 });
    expect(a.data).not.toEqual(b.data);
    expect(twoViews(x, simclrCifar10(), { seed: 1 })[1].data).toEqual(b.data);
    expect(twoViews(x, simclrCifar10(), { seed: 1, step: 1 })[0].data).not.toEqual(a.data);
  });

  it('randomApply(1) equals the op itself; randomApply(0) is identity', () => {
    const x = testBatch(5, 3, 10, 10);
    const cj = colorJitter({ brightness: 0.5, contrast: 0.5 });
    const direct = augment(x, cj, { seed: 3 });
    expect(augment(x, randomApply(0, cj), { seed: 3 }).data).toEqual(x.data);
    // randomApply(1) draws rand() first, so the jitter's draws shift: compare in distribution, not bits
    const applied = augment(x, randomApply(1, cj), { seed: 3 });
    expect(applied.data).not.toEqual(x.data);
    expect(direct.data).not.toEqual(x.data);
  });

  it('randomApply leaves the images it skips bit-for-bit untouched, and a mixed batch equals each image alone', () => {
    const x = testBatch(9, 1, 12, 12);
    const p = compose(
      randomApply(0.5, randomAffine({ degrees: 20, translate: [0.2, 0.2], interpolation: 'bilinear' }), colorJitter({ brightness: 0.5, contrast: 0.5 })),
    );
    const params = sampleParams(p, x, 0, { seed: 4 }) as { on: boolean }[][];
    const on = params[0].map((q) => q.on);
    expect(on.some(Boolean) && !on.every(Boolean)).toBe(true); // the gathered path runs
    const all = augment(x, p, { seed: 4 });
    const per = 144;
    for (let i = 0; i < 9; i++) {
      const one = augment({ ...x, n: 1, data: x.data.slice(i * per, (i + 1) * per) }, p, { seed: 4, offset: i });
      expect(all.data.slice(i * per, (i + 1) * per)).toEqual(one.data);
      if (!on[i]) expect(one.data).toEqual(x.data.slice(i * per, (i + 1) * per));
      else expect(one.data).not.toEqual(x.data.slice(i * per, (i + 1) * per));
    }
  });

  it('randomApply gives each image what it gives it alone, on every path (gathered, result in scratch or not, whole batch)', () => {
    const x = testBatch(11, 3, 9, 13);
    const aff = randomAffine({ degrees: 30, translate: [0.2, 0.1], interpolation: 'bilinear' });
    const cj = colorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.3 });
    const inners = {
      'affine (result in scratch)': [aff],
      'affine twice (result back in dst)': [aff, aff],
      'jitter then affine': [cj, aff],
      'jitter (noopIdentity: whole batch)': [cj],
      'jitter and grayscale (noopIdentity)': [cj, randomGrayscale({ p: 0.5 })],
      'flip (no hint: gathered)': [randomHorizontalFlip({ p: 1 })],
    };
    const per = 3 * 9 * 13;
    for (const [name, ops] of Object.entries(inners)) {
      const p = compose(randomResizedCrop({ size: [9, 13], scale: [0.5, 1] }), randomApply(0.5, ...ops));
      const on = (sampleParams(p, x, 1, { seed: 6 }) as { on: boolean }[][])[1].map((q) => q.on);
      expect(on.some(Boolean) && !on.every(Boolean), name).toBe(true);
      const all = augment(x, p, { seed: 6, view: 1 });
      for (let i = 0; i < 11; i++) {
        const one = augment({ ...x, n: 1, data: x.data.slice(i * per, (i + 1) * per) }, p, { seed: 6, offset: i, view: 1 });
        expect(all.data.slice(i * per, (i + 1) * per), `${name}, image ${i}`).toEqual(one.data);
      }
    }
  });

  it('an op inside randomApply that grows the images writes nothing past the buffers (each image equals two explicit crops)', () => {
    // 12x12 -> 24x24 -> 12x12 inside randomApply: the pipeline's own shapes are all 12x12, so the
    // buffers must be sized from randomApply's inner shapes, or the 24x24 step overruns them
    const [n, h, w] = [7, 12, 12];
    const x = testBatch(n, 1, h, w, 5);
    const up = randomResizedCrop({ size: 2 * h, scale: [0.5, 1] });
    const down = randomResizedCrop({ size: h, scale: [0.5, 1] });
    for (const [prob, name] of [
      [0.5, 'gathered'],
      [1, 'whole batch'],
    ] as const) {
      const p = compose(randomApply(prob, up, down), randomHorizontalFlip({ p: 0 }));
      const params = (sampleParams(p, x, 0, { seed: 8 }) as { on: boolean; inner: [CropBox, CropBox] }[][])[0];
      if (prob < 1) expect(params.some((q) => q.on) && !params.every((q) => q.on)).toBe(true);
      const all = augment(x, p, { seed: 8 });
      const per = h * w;
      for (let i = 0; i < n; i++) {
        const img = { ...x, n: 1, data: x.data.slice(i * per, (i + 1) * per) };
        const q = params[i];
        const want = q.on ? resizedCrop(resizedCrop(img, q.inner[0], 2 * h), q.inner[1], h).data : img.data;
        expect(all.data.slice(i * per, (i + 1) * per), `${name}, image ${i}`).toEqual(want);
      }
    }
  });

  it('twoViewsOf (imageTrainData) equals twoViews of the gathered batch, both views in one array', () => {
    for (const [c, h, w, pipe] of [
      [1, 28, 28, smallGrayscale()],
      [3, 17, 23, simclrCifar10({ size: 12 })],
    ] as const) {
      const images = testBatch(40, c, h, w, 9);
      const per = c * h * w;
      for (const [seed, step] of [
        [0, 0],
        [3, 7],
        [2 ** 40, 1],
      ]) {
        const idx = Int32Array.from({ length: 13 }, (_, i) => (i * 17 + step) % 40);
        const data = new Float32Array(13 * per);
        idx.forEach((s, i) => data.set(images.data.subarray(s * per, (s + 1) * per), i * per));
        const [a, b] = twoViews({ ...images, n: 13, data }, pipe, { seed, step });
        const [a2, b2] = twoViewsOf(images, idx, pipe, { seed, step });
        expect(a2).toEqual(a);
        expect(b2).toEqual(b);
        expect(a2.data.buffer).toBe(b2.data.buffer);
        expect(b2.data.byteOffset).toBe(a2.data.byteOffset + a2.data.byteLength);
      }
    }
    const images = testBatch(4, 1, 8, 8);
    expectError(() => twoViewsOf(images, [0, 4], smallGrayscale({ size: 8 })), 'INVALID_ARGUMENT', 'sample index 4');
    expectError(() => twoViewsOf(images, [0.5], smallGrayscale({ size: 8 })), 'INVALID_ARGUMENT', 'sample index 0.5');
    expectError(() => twoViewsOf(images, [], smallGrayscale({ size: 8 })), 'INVALID_ARGUMENT', 'at least one image');
    images.data[2 * 64 + 5] = NaN;
    expectError(() => twoViewsOf(images, [1, 2], smallGrayscale({ size: 8 })), 'NON_FINITE', 'images has NaN at index 69');
  });

  it('nested pipelines flatten; shapes flow through a crop', () => {
    const p = compose(compose(randomResizedCrop({ size: 8 }), randomHorizontalFlip()), randomGrayscale({ p: 0.5 }));
    expect(p.ops.length).toBe(3);
    const y = augment(testBatch(3, 3, 20, 24), p, { seed: 1 });
    expect([y.n, y.channels, y.height, y.width]).toEqual([3, 3, 8, 8]);
  });

  it('presets produce the published output sizes and value ranges', () => {
    const rgb = testBatch(2, 3, 40, 48);
    for (const [p, size, lo, hi] of [
      [simclrImageNet({ size: 32 }), 32, 0, 1],
      [simclrCifar10(), 32, 0, 1],
      [mocoV2({ size: 24 }), 24, -2.2, 2.7],
    ] as const) {
      const y = augment(rgb, p, { seed: 2 });
      expect([y.height, y.width]).toEqual([size, size]);
      expect(y.data.every((v) => v >= lo && v <= hi)).toBe(true);
    }
    const y = augment(testBatch(3, 1, 28, 28), smallGrayscale(), { seed: 2 });
    expect([y.channels, y.height, y.width]).toEqual([1, 28, 28]);
    expect(simclrImageNet().ops.map((o) => o.name)).toEqual([
      'randomResizedCrop',
      'randomHorizontalFlip',
      'randomApply(colorJitter)',
      'randomGrayscale',
      'randomApply(gaussianBlur)',
    ]);
  });

  it('bad arguments raise ContrastiveError naming them', () => {
    expectError(() => compose({} as never), 'INVALID_ARGUMENT', 'compose');
    expectError(() => randomApply(2, randomHorizontalFlip()), 'INVALID_ARGUMENT', 'randomApply', 'p');
    const x = testBatch(1, 3, 8, 8);
    expectError(() => augment(x, simclrCifar10(), { seed: -1 }), 'INVALID_ARGUMENT', 'seed');
    expectError(() => augment({ ...x, channels: 2 as never }, simclrCifar10()), 'INVALID_ARGUMENT', 'channels');
    expectError(() => augment({ ...x, data: new Float32Array(5) }, simclrCifar10()), 'SHAPE_MISMATCH', 'images.data');
    const bad = testBatch(1, 3, 8, 8);
    bad.data[3] = NaN;
    expectError(() => augment(bad, simclrCifar10()), 'NON_FINITE', 'images');
    // checked in wasm memory after the copy in: the first bad value, its index, anywhere
    const late = testBatch(3, 3, 8, 8);
    late.data[late.data.length - 1] = -Infinity;
    late.data[late.data.length - 1 - 64] = Infinity;
    expectError(() => augment(late, simclrCifar10()), 'NON_FINITE', `images has Infinity at index ${late.data.length - 65}`);
    expectError(() => twoViews(late, smallGrayscale({ size: 8 })), 'NON_FINITE', 'images has Infinity');
    expectError(() => resizedCrop(late, { top: 0, left: 0, height: 4, width: 4 }, 2), 'NON_FINITE', 'resizedCrop: images has Infinity');
  });
});
