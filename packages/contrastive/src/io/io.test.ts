import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { parseIdx, readIdx, writeIdx } from './idx.js';
import { parseNpy, writeNpy } from './npy.js';

describe('IDX', () => {
  const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37) % 256);

  it('round-trips uint8 images, plain and gzip-compressed (.gz as MNIST ships)', async () => {
    const file = writeIdx([2, 3, 4], pixels);
    expect(Array.from(file.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 2]);
    for (const bytes of [file, new Uint8Array(gzipSync(file))]) {
      const r = await readIdx(bytes);
      expect(r.shape).toEqual([2, 3, 4]);
      expect(r.data).toEqual(pixels);
    }
  });

  it('reads big-endian float32 and int32 elements', () => {
    const buf = new Uint8Array(4 + 4 + 8);
    const v = new DataView(buf.buffer);
    buf[2] = 0x0d;
    buf[3] = 1;
    v.setUint32(4, 2, false);
    v.setFloat32(8, 1.5, false);
    v.setFloat32(12, -2.25, false);
    expect(Array.from(parseIdx(buf).data)).toEqual([1.5, -2.25]);
  });

  it('a truncated file names the shape and both sizes', () => {
    const file = writeIdx([2, 3, 4], pixels).subarray(0, 30);
    expectError(() => parseIdx(file, 'train-images'), 'INVALID_ARGUMENT', 'train-images', '[2, 3, 4]', '40', '30');
  });

  it('wrong magic, unknown type and corrupt gzip are rejected', async () => {
    expectError(() => parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0])), 'INVALID_ARGUMENT', 'magic');
    expectError(() => parseIdx(new Uint8Array([0, 0, 7, 1, 0, 0, 0, 0])), 'INVALID_ARGUMENT', 'element type');
    await expect(readIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'x.gz')).rejects.toThrow(/corrupt gzip/);
  });
});

describe('NPY', () => {
  it('round-trips float32 matrices with a 64-byte aligned header', () => {
    const data = Float32Array.from([1, 2, 3, 4, 5, -6.5]);
    const bytes = writeNpy([2, 3], data);
    const hlen = new DataView(bytes.buffer).getUint16(8, true);
    expect((10 + hlen) % 64).toBe(0);
    const r = parseNpy(bytes);
    expect(r.shape).toEqual([2, 3]);
    expect(r.descr).toBe('<f4');
    expect(r.data).toEqual(data);
    expect(parseNpy(writeNpy([3], data.subarray(0, 3))).shape).toEqual([3]);
  });

  it('rejects Fortran order, unsupported dtypes and truncated data', () => {
    const good = writeNpy([2, 3], new Float32Array(6));
    const patch = (from: string, to: string) => {
      // ASCII-only edit of the header bytes (the magic byte 0x93 is not UTF-8)
      const out = good.slice();
      const text = String.fromCharCode(...out.subarray(0, 128));
      const at = text.indexOf(from);
      for (let i = 0; i < to.length; i++) out[at + i] = to.charCodeAt(i);
      return out;
    };
    expectError(() => parseNpy(patch("'fortran_order': False", "'fortran_order': True ")), 'INVALID_ARGUMENT', 'Fortran');
    expectError(() => parseNpy(patch("'<f4'", "'>f4'")), 'INVALID_ARGUMENT', '>f4');
    expectError(() => parseNpy(good.subarray(0, good.length - 4), 'emb.npy'), 'INVALID_ARGUMENT', 'emb.npy', 'bytes');
  });
});
