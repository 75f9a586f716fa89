// safetensors (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } },
// then the data buffer (offsets relative to its start). Like the reference writer we pad the
// header with spaces to a multiple of 8 so the data starts aligned. Readers check what the
// specification asks: a header inside the file of at most 100 MB, UTF-8 JSON starting with "{"
// (no byte-order mark) and padded only with spaces, no duplicate keys, a __metadata__ object of
// strings, known dtypes, shapes of non-negative integers, byte counts that match the shapes, and
// offsets that tile the data buffer exactly (no gaps, no overlap, no tail).
import { ContrastiveError } from '../errors.js';
import type { StateDict, StateTensor } from '../nn/module.js';
import { describe, shapeText } from '../validate.js';

const SIZES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const READABLE = ['F32', 'F64', 'F16', 'BF16', 'I64', 'I32'];
/** The reference implementation's limit on the header. */
const MAX_HEADER_BYTES = 100_000_000;
const bad = (msg: string) => new ContrastiveError('INVALID_ARGUMENT', `loadSafetensors: ${msg}`);
const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Sets an own, enumerable property even for names like "__proto__" (plain assignment would set the prototype). */
function define<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** The dtype label a tensor is written with; 'F32' unless stated. */
type Dtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32';
const WRITABLE: Dtype[] = ['F32', 'F64', 'F16', 'BF16', 'I64', 'I32'];

/**
 * Serializes a state_dict. Each tensor is written with the bytes its dtype says: F32 (default),
 * F64, F16 and BF16 (rounded to nearest even), I64 and I32 (the values must be integers in
 * range, e.g. num_batches_tracked). Any other dtype is refused.
 */
export function saveSafetensors(sd: StateDict, metadata?: Record<string, string>): Uint8Array {
  const op = 'saveSafetensors';
  if (sd === null || typeof sd !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the state_dict must be an object, got ${describe(sd)}`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: metadata must be an object of strings, got ${describe(metadata)}`);
    }
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: metadata ${k} must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const entries = Object.entries(sd) as [string, StateTensor & { dtype?: string }][];
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: "__metadata__" is not a tensor name`);
    if (
      t === null ||
      typeof t !== 'object' ||
      !Array.isArray(t.shape) ||
      !ArrayBuffer.isView(t.data) ||
      t.data instanceof BigInt64Array ||
      t.data instanceof BigUint64Array ||
      t.data instanceof DataView
    ) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be { shape, data: Float32Array }, got ${describe(t)}`);
    }
    if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} has shape ${shapeText(t.shape)}; dimensions must be non-negative integers`);
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length)
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has ${t.data.length} values, shape [${t.shape.join(', ')}] needs ${n}`);
    const dtype = (t.dtype ?? 'F32') as Dtype;
    if (!WRITABLE.includes(dtype)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} has dtype ${describe(t.dtype)}; writable dtypes are ${WRITABLE.join(', ')}`);
    }
    if (dtype === 'I64' || dtype === 'I32') {
      const lim = dtype === 'I32' ? 2 ** 31 : 2 ** 63;
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (!Number.isInteger(v) || v < -lim || v >= lim) {
          throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} is ${dtype} but holds ${v} at index ${i} (not an integer in range)`);
        }
      }
    }
    const bytes = n * SIZES[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const h = new Uint8Array(padded).fill(0x20);
  h.set(json);
  json = h;
  const out = new Uint8Array(8 + padded + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  let at = 8 + padded;
  for (const [, t] of entries) {
    const d = t.data as ArrayLike<number>;
    switch ((t.dtype ?? 'F32') as Dtype) {
      case 'I64':
        for (let i = 0; i < d.length; i++, at += 8) dv.setBigInt64(at, BigInt(d[i]), true);
        break;
      case 'I32':
        for (let i = 0; i < d.length; i++, at += 4) dv.setInt32(at, d[i], true);
        break;
      case 'F64':
        for (let i = 0; i < d.length; i++, at += 8) dv.setFloat64(at, d[i], true);
        break;
      case 'F16':
        for (let i = 0; i < d.length; i++, at += 2) dv.setUint16(at, toF16(d[i]), true);
        break;
      case 'BF16':
        for (let i = 0; i < d.length; i++, at += 2) dv.setUint16(at, toBf16(d[i]), true);
        break;
      default:
        for (let i = 0; i < d.length; i++, at += 4) dv.setFloat32(at, d[i], true);
    }
  }
  return out;
}

/** Parses safetensors bytes into a state_dict (every tensor as Float32Array; I64/F64/F16... converted). */
export function loadSafetensors(bytes: Uint8Array): StateDict {
  return readSafetensors(bytes).tensors;
}

/**
 * Duplicate keys in any JSON object of `text` (which JSON.parse has accepted): the specification
 * disallows them, and JSON.parse would silently keep the last.
 */
function duplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
  return undefined;
}

/** As loadSafetensors, plus the `__metadata__` map. */
export function readSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw bad(`bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) throw bad(`the file has ${bytes.length} bytes, fewer than the 8-byte header length (truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) throw bad(`header length ${n64} runs past the end of the ${bytes.length}-byte file (truncated or not safetensors)`);
  if (n64 > BigInt(MAX_HEADER_BYTES)) throw bad(`header length ${n64} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  const n = Number(n64);
  if (n < 2 || bytes[8] !== 0x7b) throw bad('the header must start with "{" (no byte-order mark, no leading spaces)');
  let text: string;
  let header: Record<string, any>;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + n));
  } catch (e) {
    throw bad(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  const body = text.replace(/ +$/, '');
  if (!body.endsWith('}')) throw bad('the header must be one JSON object padded only with spaces');
  try {
    header = JSON.parse(body);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header must be a JSON object');
  const dup = duplicateKey(body);
  if (dup !== undefined) throw bad(`the header has the key ${JSON.stringify(dup)} twice (duplicate keys are not allowed)`);
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors: StateDict = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (e === null || typeof e !== 'object' || Array.isArray(e)) throw bad('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(e)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} must be a string`);
        define(metadata, k, v);
      }
      continue;
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw bad(`tensor ${name}: entry must be an object`);
    const { dtype, shape, data_offsets: off } = e;
    if (typeof dtype !== 'string' || !own(SIZES, dtype)) throw bad(`tensor ${name}: unknown dtype ${describe(dtype)}`);
    if (!READABLE.includes(dtype)) throw bad(`tensor ${name}: dtype ${dtype} is not supported (${READABLE.join(', ')})`);
    if (!Array.isArray(shape) || shape.some((d: unknown) => !Number.isSafeInteger(d) || (d as number) < 0))
      throw bad(`tensor ${name}: shape must be non-negative integers`);
    if (!Array.isArray(off) || off.length !== 2 || off.some((d: unknown) => !Number.isSafeInteger(d)) || off[0] < 0 || off[1] < off[0]) {
      throw bad(`tensor ${name}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    if (off[1] > dataLen) throw bad(`tensor ${name}: data ends at byte ${off[1]}, past the ${dataLen}-byte data buffer (truncated?)`);
    const span = off[1] - off[0];
    let count = shape.includes(0) ? 0 : 1;
    for (const d of count === 0 ? [] : (shape as number[])) {
      count *= d;
      if (count > Number.MAX_SAFE_INTEGER) break;
    }
    if (span !== count * SIZES[dtype]) {
      throw bad(
        `tensor ${name}: data_offsets span ${span} bytes, shape [${shape.join(', ')}] of ${dtype} needs ${count > Number.MAX_SAFE_INTEGER ? `more than ${span}` : count * SIZES[dtype]}`,
      );
    }
    spans.push([off[0], off[1], name]);
    const at = dataStart + off[0];
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      switch (dtype) {
        case 'F32':
          data[i] = dv.getFloat32(at + 4 * i, true);
          break;
        case 'F64':
          data[i] = dv.getFloat64(at + 8 * i, true);
          break;
        case 'I64':
          data[i] = Number(dv.getBigInt64(at + 8 * i, true));
          break;
        case 'I32':
          data[i] = dv.getInt32(at + 4 * i, true);
          break;
        case 'BF16':
          data[i] = bf16(dv.getUint16(at + 2 * i, true));
          break;
        default:
          data[i] = f16(dv.getUint16(at + 2 * i, true));
      }
    }
    define<StateTensor>(tensors, name, dtype === 'I64' ? { shape, data, dtype: 'I64' } : { shape, data });
  }
  spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let end = 0;
  for (const [b, e, name] of spans) {
    if (b !== end) throw bad(`tensor ${name}: data_offsets [${b}, ${e}] ${b < end ? 'overlap the previous tensor' : 'leave a gap'} (corrupted file)`);
    end = e;
  }
  if (end !== dataLen) throw bad(`the data buffer has ${dataLen} bytes but the tensors cover ${end} (corrupted or mismatched file)`);
  return { tensors, metadata };
}

function f16(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);

function bf16(h: number): number {
  u32buf[0] = h << 16;
  return f32buf[0];
}

/** float -> bfloat16 bits, round to nearest even (NaN stays NaN). */
function toBf16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  if (v !== v) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** float -> IEEE half bits, round to nearest even, overflow to infinity. */
function toF16(v: number): number {
  f32buf[0] = v;
  const x = u32buf[0];
  const sign = (x >>> 16) & 0x8000;
  const e = (x >>> 23) & 0xff;
  let m = x & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  const he = e - 127 + 15;
  if (he >= 31) return sign | 0x7c00;
  if (he <= 0) {
    if (he < -10) return sign;
    m |= 0x800000;
    const shift = 14 - he;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (he << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}
