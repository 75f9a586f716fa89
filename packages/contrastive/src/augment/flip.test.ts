import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { augment } from './compose.js';
import { hflip, randomHorizontalFlip, randomVerticalFlip, vflip } from './flip.js';
import { testBatch } from './testutil.js';

beforeAll(() => init());

describe('flips', () => {
  it('flip twice is identity (odd sizes, both axes)', () => {
    const x = testBatch(3, 3, 5, 7);
    expect(hflip(hflip(x)).data).toEqual(x.data);
    expect(vflip(vflip(x)).data).toEqual(x.data);
    expect(hflip(x).data).not.toEqual(x.data);
  });

  it('hflip reverses columns: x -> W - 1 - x', () => {
    const x = { data: Float32Array.from([1, 2, 3, 4, 5, 6]), n: 1, channels: 1 as const, height: 2, width: 3 };
    expect(Array.from(hflip(x).data)).toEqual([3, 2, 1, 6, 5, 4]);
    expect(Array.from(vflip(x).data)).toEqual([4, 5, 6, 1, 2, 3]);
  });

  it('zero probability is identity; probability one always flips', () => {
    const x = testBatch(8, 1, 4, 6);
    expect(augment(x, randomHorizontalFlip({ p: 0 }), { seed: 1 }).data).toEqual(x.data);
    expect(augment(x, randomVerticalFlip({ p: 1 }), { seed: 1 }).data).toEqual(vflip(x).data);
  });

  it('p = 0.5 flips about half the images', () => {
    const op = randomHorizontalFlip();
    let on = 0;
    const x = testBatch(1, 1, 2, 2);
    for (let i = 0; i < 4000; i++) {
      const y = augment(x, op, { seed: 9, offset: i });
      if (y.data[0] !== x.data[0]) on++;
    }
    expect(Math.abs(on / 4000 - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / 4000));
  });

  it('probability outside [0, 1] raises', () => {
    expectError(() => randomHorizontalFlip({ p: 1.5 }), 'INVALID_ARGUMENT', 'randomHorizontalFlip', 'p');
  });
});
