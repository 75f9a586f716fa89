// Parsers as strict as their references, writers that write what the label says, bounded gunzip.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { ContrastiveError } from '../errors.js';
import { parseIdx, readIdx, writeIdx } from './idx.js';
import { parseNpy, writeNpy } from './npy.js';
import { readSafetensors, saveSafetensors } from './safetensors.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** A version-1 .npy file with this header text (padded) and `body` bytes of data. */
function npy(header: string, body: Uint8Array, version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  const h = enc(header.padEnd(total - pre - 1, ' ') + '\n');
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, h.length, true);
  else dv.setUint32(8, h.length, true);
  out.set(h, pre);
  out.set(body, total);
  return out;
}
const f4 = (n: number) => new Uint8Array(4 * n);

describe('NPY follows numpy.lib.format', () => {
  it('reads the headers numpy writes, versions 1.0, 2.0 and 3.0', () => {
    expect(parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", f4(6))).shape).toEqual([2, 3]);
    expect(parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", f4(6), 2)).shape).toEqual([6]);
    expect(parseNpy(npy('{"descr": "<f4", "fortran_order": False, "shape": (), }', f4(1), 3)).shape).toEqual([]);
  });
  it('a duplicate key resolves as in Python (the later one wins)', () => {
    const r = parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), 'shape': (2,), }", f4(2)));
    expect(r.shape).toEqual([2]);
  });
  const bad: [string, string][] = [
    ['a negative dimension', "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"],
    ['a fractional dimension', "{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }"],
    ['a hex dimension', "{'descr': '<f4', 'fortran_order': False, 'shape': (0x2,), }"],
    ['a shape that is a list', "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }"],
    ['a shape that is a bare number', "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }"],
    ['a missing key', "{'descr': '<f4', 'shape': (2,), }"],
    ['an extra key', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}"],
    ['broken syntax', "{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }"],
    ['an unterminated dict', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), "],
    ['trailing text', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x"],
    ['fortran_order as a string', "{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,), }"],
    ['a NUL byte', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,),\u0000}"],
    ['a header that is not a dict', "('<f4', False, (2,))"],
    ['a vertical tab in the header (not whitespace to Python)', "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\u000b"],
  ];
  for (const [what, header] of bad) {
    it(`refuses ${what}`, () => expectError(() => parseNpy(npy(header, f4(2))), 'INVALID_ARGUMENT', 'readNpy'));
  }
  it('a 10-byte version 2 file is a ContrastiveError, not a RangeError', () => {
    const b = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0]);
    expectError(() => parseNpy(b), 'INVALID_ARGUMENT', 'preamble');
  });
  it('refuses unknown versions and a header longer than numpy reads', () => {
    const v9 = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", f4(2));
    v9[6] = 9;
    expectError(() => parseNpy(v9), 'INVALID_ARGUMENT', 'version');
    expectError(() => parseNpy(npy(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }${' '.repeat(10_050)}`, f4(2), 2)), 'INVALID_ARGUMENT', '10000');
  });
  it('writeNpy labels a Float64Array <f8 (and uint8 |u1, int32 <i4), never relabels', () => {
    const d = Float64Array.of(1.5, -2.25, 1e300);
    const r = parseNpy(writeNpy([3], d));
    expect(r.descr).toBe('<f8');
    expect(Array.from(r.data)).toEqual([1.5, -2.25, 1e300]);
    expect(parseNpy(writeNpy([2], Uint8Array.of(1, 255))).descr).toBe('|u1');
    expect(parseNpy(writeNpy([1, 2], Int32Array.of(-1, 7))).descr).toBe('<i4');
    expectError(() => writeNpy([2], [1, 2] as never), 'INVALID_ARGUMENT', 'writeNpy');
    expectError(() => writeNpy([-2], new Float32Array(2)), 'INVALID_ARGUMENT', 'shape');
  });
});

/** A safetensors file with this exact header text. */
function st(header: string, data = new Uint8Array(0)): Uint8Array {
  const h = enc(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors follows the specification', () => {
  const one = '"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}';
  it('accepts a spec-conforming file padded with spaces', () => {
    expect(readSafetensors(st(`{${one}}    `, f4(1))).tensors.a.shape).toEqual([1]);
  });
  it('refuses duplicate tensor names instead of keeping the last', () => {
    expectError(() => readSafetensors(st(`{${one},${one}}`, f4(1))), 'INVALID_ARGUMENT', 'twice');
    expectError(() => readSafetensors(st(`{"__metadata__":{"k":"1","k":"2"},${one}}`, f4(1))), 'INVALID_ARGUMENT', 'twice');
  });
  it('a tensor named __proto__ is an ordinary tensor, not the prototype', () => {
    const r = readSafetensors(st('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f4(1)));
    expect(Object.keys(r.tensors)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(r.tensors)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(r.tensors, '__proto__')?.value.shape).toEqual([1]);
  });
  it('refuses an array __metadata__, a byte-order mark, a header not starting with "{", padding other than spaces', () => {
    expectError(() => readSafetensors(st(`{"__metadata__":["x"],${one}}`, f4(1))), 'INVALID_ARGUMENT', '__metadata__');
    expectError(() => readSafetensors(st(`\uFEFF{${one}}`, f4(1))), 'INVALID_ARGUMENT', '"{"');
    expectError(() => readSafetensors(st(` {${one}}`, f4(1))), 'INVALID_ARGUMENT', '"{"');
    expectError(() => readSafetensors(st(`{${one}}\n\t`, f4(1))), 'INVALID_ARGUMENT', 'spaces');
    expectError(() => readSafetensors(st('{"a":{"dtype":"toString","shape":[1],"data_offsets":[0,4]}}', f4(1))), 'INVALID_ARGUMENT', 'dtype');
  });
  it('writes F64, I32, F16 and BF16 as their own bytes (read back exactly) and refuses unknown dtypes', () => {
    const vals = Float32Array.of(1.5, -2, 0.333251953125, 65504);
    const bytes = saveSafetensors({
      f64: { shape: [4], data: vals, dtype: 'F64' },
      i32: { shape: [2], data: Float32Array.of(-7, 123456), dtype: 'I32' },
      f16: { shape: [4], data: vals, dtype: 'F16' },
      bf16: { shape: [2], data: Float32Array.of(1.5, -3), dtype: 'BF16' },
    });
    const r = readSafetensors(bytes);
    const hdr = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    expect(hdr.f64.data_offsets[1] - hdr.f64.data_offsets[0]).toBe(32);
    expect(hdr.f16.data_offsets[1] - hdr.f16.data_offsets[0]).toBe(8);
    expect(Array.from(r.tensors.f64.data)).toEqual(Array.from(vals));
    expect(Array.from(r.tensors.i32.data)).toEqual([-7, 123456]);
    expect(Array.from(r.tensors.f16.data)).toEqual(Array.from(vals));
    expect(Array.from(r.tensors.bf16.data)).toEqual([1.5, -3]);
    expectError(() => saveSafetensors({ x: { shape: [1], data: Float32Array.of(1.5), dtype: 'I32' } }), 'INVALID_ARGUMENT', 'not an integer');
    expectError(() => saveSafetensors({ x: { shape: [1], data: Float32Array.of(1), dtype: 'U8' as never } }), 'INVALID_ARGUMENT', 'dtype');
  });
  it('F16 rounds to nearest even and overflows to infinity like numpy', () => {
    const r = readSafetensors(saveSafetensors({ h: { shape: [4], data: Float32Array.of(1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -25), dtype: 'F16' } }));
    expect(Array.from(r.tensors.h.data)).toEqual([1, 1 + 2 ** -9, Infinity, 0]);
  });
});

describe('IDX', () => {
  it('writeIdx refuses dimensions of 2^32 or more instead of wrapping them', () => {
    expectError(() => writeIdx([2 ** 32, 0], new Uint8Array(0)), 'INVALID_ARGUMENT', 'writeIdx');
    expectError(() => writeIdx([1.5], new Uint8Array(1)), 'INVALID_ARGUMENT', 'writeIdx');
    expectError(() => writeIdx([2], [1, 2] as never), 'INVALID_ARGUMENT', 'Uint8Array');
  });
  it('a 1 MB gzip that expands far past its header is stopped at the announced size', async () => {
    // header: uint8, 1 dim of 10 bytes; then 64 MiB of zeros (a gzip bomb)
    const raw = new Uint8Array(4 + 4 + 64 * 2 ** 20);
    raw.set([0, 0, 8, 1, 0, 0, 0, 10]);
    const gz = gzipSync(raw, { level: 9 });
    expect(gz.length).toBeLessThan(2 ** 20);
    const t0 = performance.now();
    await expect(readIdx(new Uint8Array(gz), 'bomb.gz')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('announces') });
    expect(performance.now() - t0).toBeLessThan(5000);
  });
  it('the decompression cap (maxBytes) applies even when the header announces more', async () => {
    const raw = new Uint8Array(8 + 4 * 2 ** 20);
    raw.set([0, 0, 8, 1]);
    new DataView(raw.buffer).setUint32(4, 4 * 2 ** 20, false);
    const gz = new Uint8Array(gzipSync(raw));
    expect((await readIdx(gz, 'ok.gz')).shape).toEqual([4 * 2 ** 20]);
    await expect(readIdx(gz, 'capped.gz', { maxBytes: 2 ** 20 })).rejects.toMatchObject({ code: 'OUT_OF_MEMORY' });
  });
  it('a header whose dimensions overflow is refused, not allocated', () => {
    const b = new Uint8Array(16);
    b.set([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => parseIdx(b)).toThrow(ContrastiveError);
  });
});
