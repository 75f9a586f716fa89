// safetensors (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } },
// then the data buffer (offsets relative to its start). Like the reference writer we pad the
// header with spaces to a multiple of 8 so the data starts aligned. Readers check what the
// reference reader checks: a header inside the file, valid JSON, known dtypes, byte counts that
// match the shapes, and offsets that tile the data buffer exactly (no gaps, no overlap, no tail).
import { ContrastiveError } from '../errors.js';
import type { StateDict } from '../nn/module.js';

const SIZES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const bad = (msg: string) => new ContrastiveError('INVALID_ARGUMENT', `loadSafetensors: ${msg}`);

/** Serializes a state_dict: F32 tensors (I64 for entries with dtype 'I64', e.g. num_batches_tracked). */
export function saveSafetensors(sd: StateDict, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `saveSafetensors: metadata ${k} must be a string`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const entries = Object.entries(sd);
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new ContrastiveError('INVALID_ARGUMENT', 'saveSafetensors: "__metadata__" is not a tensor name');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new ContrastiveError('SHAPE_MISMATCH', `saveSafetensors: ${name} has ${t.data.length} values, shape [${t.shape.join(', ')}] needs ${n}`);
    const dtype = t.dtype ?? 'F32';
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
    if ((t.dtype ?? 'F32') === 'I64') {
      for (let i = 0; i < t.data.length; i++, at += 8) dv.setBigInt64(at, BigInt(Math.round(t.data[i])), true);
    } else {
      for (let i = 0; i < t.data.length; i++, at += 4) dv.setFloat32(at, t.data[i], true);
    }
  }
  return out;
}

/** Parses safetensors bytes into a state_dict (every tensor as Float32Array; I64/F64/F16... converted). */
export function loadSafetensors(bytes: Uint8Array): StateDict {
  return readSafetensors(bytes).tensors;
}

/** As loadSafetensors, plus the `__metadata__` map. */
export function readSafetensors(bytes: Uint8Array): { tensors: StateDict; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw bad('bytes must be a Uint8Array');
  if (bytes.length < 8) throw bad(`the file has ${bytes.length} bytes, fewer than the 8-byte header length (truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) throw bad(`header length ${n64} runs past the end of the ${bytes.length}-byte file (truncated or not safetensors)`);
  const n = Number(n64);
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header must be a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  const tensors: StateDict = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (e === null || typeof e !== 'object') throw bad('__metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(e)) {
        if (typeof v !== 'string') throw bad(`__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (e === null || typeof e !== 'object') throw bad(`tensor ${name}: entry must be an object`);
    const { dtype, shape, data_offsets: off } = e;
    if (!(dtype in SIZES)) throw bad(`tensor ${name}: unknown dtype ${String(dtype)}`);
    if (!['F32', 'F64', 'F16', 'I64', 'I32'].includes(dtype)) throw bad(`tensor ${name}: dtype ${dtype} is not supported (F32, F64, F16, I64, I32)`);
    if (!Array.isArray(shape) || shape.some((d: unknown) => !Number.isSafeInteger(d) || (d as number) < 0)) throw bad(`tensor ${name}: shape must be non-negative integers`);
    if (!Array.isArray(off) || off.length !== 2 || off.some((d: unknown) => !Number.isSafeInteger(d)) || off[0] < 0 || off[1] < off[0]) {
      throw bad(`tensor ${name}: data_offsets must be [begin, end] with 0 <= begin <= end`);
    }
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (off[1] - off[0] !== count * SIZES[dtype]) {
      throw bad(`tensor ${name}: data_offsets span ${off[1] - off[0]} bytes, shape [${shape.join(', ')}] of ${dtype} needs ${count * SIZES[dtype]}`);
    }
    if (off[1] > dataLen) throw bad(`tensor ${name}: data ends at byte ${off[1]}, past the ${dataLen}-byte data buffer (truncated?)`);
    spans.push([off[0], off[1], name]);
    const at = dataStart + off[0];
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      switch (dtype) {
        case 'F32': data[i] = dv.getFloat32(at + 4 * i, true); break;
        case 'F64': data[i] = dv.getFloat64(at + 8 * i, true); break;
        case 'I64': data[i] = Number(dv.getBigInt64(at + 8 * i, true)); break;
        case 'I32': data[i] = dv.getInt32(at + 4 * i, true); break;
        default: data[i] = f16(dv.getUint16(at + 2 * i, true));
      }
    }
    tensors[name] = dtype === 'I64' ? { shape, data, dtype: 'I64' } : { shape, data };
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
