import { inflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { augmentationGrid } from './grid.js';
import { adler32, crc32, encodePng } from './png.js';
import { simclrCifar10, smallGrayscale } from './presets.js';
import { testBatch } from './testutil.js';

beforeAll(() => init());

/** Walks the chunks, checking every CRC; returns IHDR fields and the inflated IDAT stream. */
function decode(png: Uint8Array) {
  expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const dv = new DataView(png.buffer, png.byteOffset);
  let o = 8;
  let width = 0,
    height = 0;
  const idat: Uint8Array[] = [];
  for (;;) {
    const len = dv.getUint32(o);
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
    expect(dv.getUint32(o + 8 + len), `${type} CRC`).toBe(crc32(png.subarray(o + 4, o + 8 + len)));
    if (type === 'IHDR') {
      width = dv.getUint32(o + 8);
      height = dv.getUint32(o + 12);
      expect(Array.from(png.subarray(o + 16, o + 21))).toEqual([8, 6, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
    if (type === 'IEND') break;
  }
  expect(o).toBe(png.length);
  const raw = inflateSync(Buffer.concat(idat)); // Node's zlib checks the Adler-32 too
  return { width, height, raw };
}

describe('PNG encoder and augmentation grid', () => {
  it('checksums match the standard check values', () => {
    const s = new TextEncoder().encode('123456789');
    expect(crc32(s)).toBe(0xcbf43926);
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
  });

  it("a PNG round-trips through Node's zlib with every pixel intact (multi-block IDAT)", () => {
    const width = 150,
      height = 130; // 130 * 601 bytes > one 65535-byte stored block
    const data = new Uint8ClampedArray(width * height * 4).map((_, i) => (i * 7 + (i >> 10)) & 255);
    const { width: w, height: h, raw } = decode(encodePng({ width, height, data }));
    expect([w, h]).toEqual([width, height]);
    for (let y = 0; y < height; y++) {
      expect(raw[y * (width * 4 + 1)]).toBe(0);
      expect(
        Buffer.compare(raw.subarray(y * (width * 4 + 1) + 1, (y + 1) * (width * 4 + 1)), Buffer.from(data.subarray(y * width * 4, (y + 1) * width * 4))),
      ).toBe(0);
    }
  });

  it('grid: original | view 1 | view 2 per sample, at most 16 rows, opaque', () => {
    const g = augmentationGrid(testBatch(20, 3, 32, 32), simclrCifar10(), { seed: 1 });
    expect([g.width, g.height]).toEqual([2 + 3 * 34, 2 + 16 * 34]);
    expect(g.data.length).toBe(g.width * g.height * 4);
    for (let p = 3; p < g.data.length; p += 4) expect(g.data[p]).toBe(255);
    const gray = augmentationGrid(testBatch(3, 1, 28, 28), smallGrayscale(), { seed: 1 });
    // gray images are painted with R = G = B
    const o = ((2 + 5) * gray.width + 2 + 30 + 5) * 4;
    expect(gray.data[o]).toBe(gray.data[o + 1]);
    const { raw } = decode(encodePng(gray));
    expect(raw.length).toBe(gray.height * (gray.width * 4 + 1));
  });

  it('bad sizes raise', () => {
    expectError(() => encodePng({ width: 2, height: 2, data: new Uint8Array(3) }), 'SHAPE_MISMATCH', 'encodePng', '16');
    expectError(() => augmentationGrid(testBatch(1, 3, 8, 8), simclrCifar10({ size: 8 }), { max: 17 }), 'INVALID_ARGUMENT', 'max');
  });
});
