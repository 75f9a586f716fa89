import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { affine, randomAffine, randomRotation, rotate } from './affine.js';
import { augment } from './compose.js';
import { Rng } from '../rng.js';
import { testBatch } from './testutil.js';

beforeAll(() => init());

describe('affine and rotation', () => {
  it('angle 0, translate 0, scale 1 is the identity (bilinear and nearest)', () => {
    const x = testBatch(2, 3, 6, 9);
    const id = { angle: 0, translate: [0, 0] as [number, number], scale: 1, shear: [0, 0] as [number, number] };
    expect(affine(x, id).data).toEqual(x.data);
    expect(affine(x, id, { interpolation: 'nearest' }).data).toEqual(x.data);
  });

  it('translate +tx moves the content right, filling with the fill value', () => {
    const x = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), n: 1, channels: 1 as const, height: 2, width: 3 };
    const y = affine(x, { angle: 0, translate: [1, 0], scale: 1, shear: [0, 0] }, { fill: 0.5 });
    expect(Array.from(y.data)).toEqual([0.5, 1, 2, 0.5, 4, 5]);
  });

  it('rotate by 360 is the identity up to float32 grid rounding', () => {
    const x = testBatch(1, 1, 8, 8);
    const y = rotate(x, 360, { interpolation: 'bilinear' });
    for (let i = 0; i < x.data.length; i++) expect(Math.abs(y.data[i] - x.data[i])).toBeLessThan(1e-5);
  });

  it('random affine draws whole-pixel translations and angles, scales inside their ranges', () => {
    const op = randomAffine({ degrees: 10, translate: [0.1, 0.2], scale: [0.9, 1.1], shear: 5 });
    const s = { channels: 1 as const, height: 28, width: 30 };
    let mean = 0;
    for (let i = 0; i < 5000; i++) {
      const p = op.sample(new Rng(4, [i, 0, 0]), s);
      expect(Math.abs(p.angle)).toBeLessThanOrEqual(10);
      expect(Number.isInteger(p.translate[0]) && Math.abs(p.translate[0]) <= 3).toBe(true);
      expect(Number.isInteger(p.translate[1]) && Math.abs(p.translate[1]) <= 6).toBe(true);
      expect(p.scale >= 0.9 && p.scale < 1.1 && Math.abs(p.shear[0]) <= 5 && p.shear[1] === 0).toBe(true);
      mean += p.angle;
    }
    expect(Math.abs(mean / 5000)).toBeLessThan((5 * (10 / Math.sqrt(3))) / Math.sqrt(5000));
  });

  it('zero-degree random rotation is the identity', () => {
    const x = testBatch(3, 3, 5, 5);
    expect(augment(x, randomRotation({ degrees: 0 }), { seed: 1 }).data).toEqual(x.data);
  });

  it('bad arguments raise', () => {
    expectError(() => randomRotation({ degrees: -5 }), 'INVALID_ARGUMENT', 'randomRotation', 'degrees');
    expectError(() => randomAffine({ degrees: 5, translate: [1.5, 0] }), 'INVALID_ARGUMENT', 'translate[0]');
    const x = testBatch(1, 3, 4, 4);
    expectError(() => rotate(x, 10, { fill: [1, 2] }), 'INVALID_ARGUMENT', 'fill');
  });
});
