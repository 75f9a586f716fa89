// IDX files (the format MNIST and Fashion-MNIST are distributed in):
//   bytes 0-1: 0, byte 2: element type, byte 3: number of dimensions n,
//   then n big-endian uint32 dimension sizes, then the elements, big-endian, row-major.
import { ContrastiveError } from '../errors.js';
import { gunzip, isGzip } from './gzip.js';

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

/** Parses an uncompressed IDX file. */
export function parseIdx(bytes: Uint8Array, name = 'file'): IdxArray {
  const fail = (why: string) => new ContrastiveError('INVALID_ARGUMENT', `readIdx: ${name} is not a valid IDX file: ${why}`);
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
  const data = type.make(count);
  if (type.size === 1) {
    (data as Uint8Array).set(bytes.subarray(header, need));
  } else {
    for (let i = 0; i < count; i++) data[i] = type.get(view, header + i * type.size);
  }
  return { shape, data };
}

/** Reads an IDX file, plain or gzip-compressed (`*-idx3-ubyte.gz`). */
export async function readIdx(bytes: Uint8Array, name = 'file'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, name) : bytes, name);
}

/** Writes uint8 data as an IDX file. */
export function writeIdx(shape: number[], data: Uint8Array): Uint8Array {
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
