import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { toImageBatch } from './image.js';

beforeAll(() => init());

describe('toImageBatch', () => {
  it('RGBA ImageData drops alpha and becomes planar NCHW in [0, 1]', () => {
    const data = new Uint8ClampedArray([255, 0, 51, 9, 0, 255, 102, 9]);
    const b = toImageBatch({ data, height: 1, width: 2 });
    expect([b.n, b.channels, b.height, b.width]).toEqual([1, 3, 1, 2]);
    expect(Array.from(b.data)).toEqual([1, 0, 0, 1, 0.2, 0.4].map(Math.fround));
  });

  it('IDX-style uint8 gray batches divide by 255 exactly (torchvision to_tensor)', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => i * 14);
    const b = toImageBatch({ data, n: 2, height: 3, width: 3 });
    expect(b.channels).toBe(1);
    for (let i = 0; i < data.length; i++) expect(b.data[i]).toBe(Math.fround(data[i] / 255));
  });

  it('float32 HWC RGB is transposed, not rescaled', () => {
    const b = toImageBatch({ data: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), height: 1, width: 2, channels: 3 });
    expect(Array.from(b.data)).toEqual(Array.from(Float32Array.from([0.1, 0.4, 0.2, 0.5, 0.3, 0.6])));
  });

  it('wrong lengths, channel counts and non-finite values raise', () => {
    expectError(() => toImageBatch({ data: new Uint8Array(10), height: 2, width: 2 }), 'SHAPE_MISMATCH', 'toImageBatch', 'channels');
    expectError(() => toImageBatch({ data: new Uint8Array(12), height: 2, width: 2, channels: 4 }), 'SHAPE_MISMATCH', 'expected');
    expectError(() => toImageBatch({ data: Float32Array.from([NaN]), height: 1, width: 1 }), 'NON_FINITE', 'images.data');
    expectError(() => toImageBatch({ data: [1, 2] as never, height: 1, width: 2 }), 'INVALID_ARGUMENT', 'Uint8Array');
  });
});
