// IDX files (the format MNIST and Fashion-MNIST are distributed in):
//   bytes 0-1: 0, byte 2: element type, byte 3: number of dimensions n,
//   then n big-endian uint32 dimension sizes, then the elements, big-endian, row-major.
import { ContrastiveError } from '../errors.js';
import { describe, shapeText } from '../validate.js';
import { gunzip, isGzip, type GunzipOptions } from './gzip.js';

export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  /** e.g. [60000, 28, 28] for images, [60000] for labels */
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { name: string; size: number; make: (n: number) => IdxData; get: (v: DataView, o: number) => number }> = {
  0x08: { name: 'uint8', size: 1, make: (n) => new Uint8Array(n), get: (v, o) => v.getUint8(o) },
  0x09: { name: 'int8', size: 1, make: (n) => new Int8Array(n), get: (v, o) => v.getInt8(o) },
  0x0b: { name: 'int16', size: 2, make: (n) => new Int16Array(n), get: (v, o) => v.getInt16(o, false) },
  0x0c: { name: 'int32', size: 4, make: (n) => new Int32Array(n), get: (v, o) => v.getInt32(o, false) },
  0x0d: { name: 'float32', size: 4, make: (n) => new Float32Array(n), get: (v, o) => v.getFloat32(o, false) },
  0x0e: { name: 'float64', size: 8, make: (n) => new Float64Array(n), get: (v, o) => v.getFloat64(o, false) },
};

/** The total size an IDX header announces, once `head` holds all of the header; undefined before (or if it is not IDX). */
export function idxSize(head: Uint8Array): number | undefined {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || !TYPES[head[2]]) return undefined;
  const ndim = head[3];
  if (head.length < 4 + 4 * ndim) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let n = TYPES[head[2]].size;
  for (let i = 0; i < ndim; i++) n *= view.getUint32(4 + 4 * i, false);
  return 4 + 4 * ndim + n;
}

/** Parses an uncompressed IDX file. */
export function parseIdx(bytes: Uint8Array, name = 'file'): IdxArray {
  const fail = (why: string) => new ContrastiveError('INVALID_ARGUMENT', `readIdx: ${name} is not a valid IDX file: ${why}`);
  if (!(bytes instanceof Uint8Array)) throw new ContrastiveError('INVALID_ARGUMENT', `readIdx: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 4) throw fail(`${bytes.length} bytes, a header needs at least 4`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw fail(`magic starts ${bytes[0]}, ${bytes[1]}; expected 0, 0`);
  const type = TYPES[bytes[2]];
  if (!type) throw fail(`unknown element type 0x${bytes[2].toString(16)}`);
  const ndim = bytes[3];
  if (ndim === 0) throw fail('zero dimensions');
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw fail(`header of ${ndim} dimensions needs ${header} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const need = header + count * type.size;
  if (bytes.length !== need) {
    throw fail(`shape [${shape.join(', ')}] of ${type.name} needs ${need} bytes, the file has ${bytes.length}`);
  }
  if (count > 2 ** 31) throw new ContrastiveError('OUT_OF_MEMORY', `readIdx: ${name} holds ${count} values, more than one array can hold`);
  const data = type.make(count);
  if (type.size === 1) {
    (data as Uint8Array).set(bytes.subarray(header, need));
  } else {
    for (let i = 0; i < count; i++) data[i] = type.get(view, header + i * type.size);
  }
  return { shape, data };
}

/**
 * Reads an IDX file, plain or gzip-compressed (`*-idx3-ubyte.gz`). Decompression stops at the
 * size the IDX header announces and at `maxBytes` (default 1 GiB), whichever is smaller.
 */
export async function readIdx(bytes: Uint8Array, name = 'file', opts: Pick<GunzipOptions, 'maxBytes'> = {}): Promise<IdxArray> {
  if (!(bytes instanceof Uint8Array)) throw new ContrastiveError('INVALID_ARGUMENT', `readIdx: bytes must be a Uint8Array, got ${describe(bytes)}`);
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name, { maxBytes: opts.maxBytes, expectedBytes: idxSize }) : bytes, name);
}

/** Writes uint8 data as an IDX file (1 to 255 dimensions, each below 2^32). */
export function writeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const op = 'writeIdx';
  if (!Array.isArray(shape) || shape.length < 1 || shape.length > 255 || shape.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: shape must be 1 to 255 integers from 0 to 2^32 - 1, got ${shapeText(shape)}`);
  }
  if (!(data instanceof Uint8Array)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: data must be a Uint8Array (IDX type uint8), got ${describe(data)}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new ContrastiveError('SHAPE_MISMATCH', `writeIdx: data has ${data.length} values, shape [${shape.join(', ')}] needs ${count}`);
  }
  const out = new Uint8Array(4 + 4 * shape.length + count);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = shape.length;
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  out.set(data, 4 + 4 * shape.length);
  return out;
}
