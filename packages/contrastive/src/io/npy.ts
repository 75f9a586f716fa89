// NPY (NumPy's array file): magic "\x93NUMPY", version, header length, a Python-dict header
// {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), } padded to 64 bytes, then the data.
import { ContrastiveError } from '../errors.js';

export interface NpyArray {
  shape: number[];
  /** float32/float64 as stored; integer types widened to Float64Array where they do not fit */
  data: Float32Array | Float64Array | Uint8Array | Int32Array;
  descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

export function parseNpy(bytes: Uint8Array, name = 'file'): NpyArray {
  const fail = (why: string) => new ContrastiveError('INVALID_ARGUMENT', `readNpy: ${name} is not a valid .npy file: ${why}`);
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw fail('bad magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start + hlen) throw fail('truncated header');
  const header = new TextDecoder().decode(bytes.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw fail(`unreadable header ${JSON.stringify(header)}`);
  if (fortran === 'True') throw fail('Fortran order is not supported; save with np.ascontiguousarray');
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + hlen;
  const sizes: Record<string, number> = { '<f4': 4, '<f8': 8, '|u1': 1, '<i4': 4, '<i8': 8 };
  const size = sizes[descr];
  if (!size) throw fail(`dtype ${descr} is not supported (float32, float64, uint8, int32, int64 little-endian are)`);
  if (bytes.length !== off + count * size) throw fail(`shape (${shape.join(', ')}) of ${descr} needs ${off + count * size} bytes, got ${bytes.length}`);
  // a copy of just the body: a Node Buffer's .buffer (and Buffer#slice, a view) is the whole shared pool
  const body = new Uint8Array(bytes.subarray(off)).buffer;
  let data: NpyArray['data'];
  if (descr === '<f4') data = new Float32Array(body);
  else if (descr === '<f8') data = new Float64Array(body);
  else if (descr === '|u1') data = new Uint8Array(body);
  else if (descr === '<i4') data = new Int32Array(body);
  else data = Float64Array.from(new BigInt64Array(body), (v) => Number(v));
  return { shape, data, descr };
}

/** A float32 C-order .npy file (NPY format 1.0). */
export function writeNpy(shape: number[], data: Float32Array): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new ContrastiveError('SHAPE_MISMATCH', `writeNpy: data has ${data.length} values, shape [${shape.join(', ')}] needs ${count}`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC);
  out[6] = 1;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
