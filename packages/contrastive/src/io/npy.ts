// NPY (NumPy's array file): magic "\x93NUMPY", version, header length, a Python-dict header
// {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), } padded to 64 bytes, then the data.
// The reader follows numpy.lib.format: versions 1.0 (uint16 header length), 2.0 and 3.0 (uint32;
// 3.0's header is UTF-8), a header that is a Python literal dict with exactly the keys descr,
// fortran_order and shape (a later duplicate key wins, as in Python), a shape tuple of integers,
// at most 10,000 header characters. It is stricter than numpy where numpy's literal parser allows
// more than its writer ever writes (comments, escapes, hex or signed dimensions): those files are
// refused with a ContrastiveError saying why.
import { ContrastiveError } from '../errors.js';
import { describe } from '../validate.js';

export interface NpyArray {
  shape: number[];
  /** float32/float64 as stored; integer types widened to Float64Array where they do not fit */
  data: Float32Array | Float64Array | Uint8Array | Int32Array;
  descr: string;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
/** numpy's default `max_header_size`. */
const MAX_HEADER = 10_000;
const SIZES: Record<string, number> = { '<f4': 4, '<f8': 8, '|u1': 1, '<u1': 1, '<i4': 4, '<i8': 8 };

type PyValue = string | boolean | number | PyValue[] | { tuple: PyValue[] } | Map<string, PyValue>;

/** A parser for the Python literal subset numpy writes: dicts, strings, booleans, non-negative decimal ints, tuples. */
function parseHeader(text: string, fail: (why: string) => ContrastiveError): Map<string, PyValue> {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r\f'.includes(text[i])) i++; // Python's whitespace (not \v)
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c)
      throw fail(`header: expected ${JSON.stringify(c)} at character ${i}, found ${text[i] === undefined ? 'the end' : JSON.stringify(text[i])}`);
    i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw fail(`header: unterminated string at character ${i}`);
      const str = text.slice(i + 1, end);
      if (/[\\\n\r]/.test(str)) throw fail('header: strings with escapes or line breaks are not supported');
      i = end + 1;
      return str;
    }
    if (c === '{') {
      i++;
      const m = new Map<string, PyValue>();
      for (;;) {
        ws();
        if (text[i] === '}') {
          i++;
          return m;
        }
        const k = value();
        if (typeof k !== 'string') throw fail('header: dictionary keys must be strings');
        expect(':');
        m.set(k, value()); // a later duplicate wins, as in a Python dict literal
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') throw fail(`header: expected "," or "}" at character ${i}`);
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      let comma = false;
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          // (3) is the number 3 in Python, not a tuple
          if (c === '(' && items.length === 1 && !comma) return items[0];
          return c === '(' ? { tuple: items } : items;
        }
        items.push(value());
        ws();
        comma = false;
        if (text[i] === ',') {
          i++;
          comma = true;
        } else if (text[i] !== close) throw fail(`header: expected "," or "${close}" at character ${i}`);
      }
    }
    const word = /^[A-Za-z_0-9.+\-]+/.exec(text.slice(i))?.[0];
    if (word === 'True' || word === 'False') {
      i += word.length;
      return word === 'True';
    }
    if (word !== undefined && /^(0+|[1-9][0-9]*)$/.test(word)) {
      i += word.length;
      return Number(word);
    }
    throw fail(
      `header: unsupported value ${word === undefined ? JSON.stringify(text.slice(i, i + 10)) : JSON.stringify(word)} at character ${i} (dimensions must be non-negative decimal integers)`,
    );
  };
  const v = value();
  ws();
  if (i !== text.length) throw fail(`header: unexpected ${JSON.stringify(text.slice(i, i + 10))} after the dictionary`);
  if (!(v instanceof Map)) throw fail('header is not a dictionary');
  return v;
}

export function parseNpy(bytes: Uint8Array, name = 'file'): NpyArray {
  const fail = (why: string) => new ContrastiveError('INVALID_ARGUMENT', `readNpy: ${name} is not a valid .npy file: ${why}`);
  if (!(bytes instanceof Uint8Array)) throw new ContrastiveError('INVALID_ARGUMENT', `readNpy: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 10 || MAGIC.some((m, i) => bytes[i] !== m)) throw fail('bad magic (not "\\x93NUMPY")');
  const major = bytes[6];
  const minor = bytes[7];
  if ((major !== 1 && major !== 2 && major !== 3) || minor !== 0) throw fail(`format version ${major}.${minor} (1.0, 2.0 and 3.0 exist)`);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw fail(`${bytes.length} bytes, a version ${major}.0 preamble needs ${start}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (bytes.length < start + hlen) throw fail(`truncated header (${hlen} bytes announced, ${bytes.length - start} present)`);
  const raw = bytes.subarray(start, start + hlen);
  if (raw.includes(0)) throw fail('the header contains NUL bytes');
  let header: string;
  if (major === 3) {
    try {
      header = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
    } catch {
      throw fail('the version 3.0 header is not UTF-8');
    }
  } else {
    header = '';
    for (let i = 0; i < raw.length; i++) header += String.fromCharCode(raw[i]); // latin-1
  }
  if (header.length > MAX_HEADER) throw fail(`header of ${header.length} characters (numpy reads at most ${MAX_HEADER})`);
  const d = parseHeader(header, fail);
  const keys = [...d.keys()].sort().join(',');
  if (keys !== 'descr,fortran_order,shape') throw fail(`header keys are {${[...d.keys()].join(', ')}}, expected exactly descr, fortran_order, shape`);
  const descr = d.get('descr');
  const fortran = d.get('fortran_order');
  const shapeV = d.get('shape');
  if (typeof descr !== 'string') throw fail("descr must be a dtype string such as '<f4'");
  if (typeof fortran !== 'boolean') throw fail('fortran_order must be True or False');
  if (shapeV === null || typeof shapeV !== 'object' || !('tuple' in shapeV) || !shapeV.tuple.every((x) => typeof x === 'number')) {
    throw fail('shape must be a tuple of integers');
  }
  const shape = shapeV.tuple as number[];
  if (shape.some((x) => !Number.isSafeInteger(x))) throw fail(`dimension too large in (${shape.join(', ')})`);
  const size = SIZES[descr];
  if (!size) throw fail(`dtype ${descr} is not supported (float32, float64, uint8, int32, int64 little-endian are)`);
  if (fortran) throw fail('Fortran order is not supported; save with np.ascontiguousarray');
  const off = start + hlen;
  const avail = bytes.length - off;
  let count = shape.includes(0) ? 0 : 1;
  for (const s of count === 0 ? [] : shape) {
    count *= s;
    if (count > Number.MAX_SAFE_INTEGER) break;
  }
  if (count * size !== avail) {
    throw fail(
      `shape (${shape.join(', ')}) of ${descr} needs ${count > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : count * size} data bytes, the file has ${avail}`,
    );
  }
  // a copy of just the body: a Node Buffer's .buffer (and Buffer#slice, a view) is the whole shared pool
  const body = new Uint8Array(bytes.subarray(off)).buffer;
  let data: NpyArray['data'];
  if (descr === '<f4') data = new Float32Array(body);
  else if (descr === '<f8') data = new Float64Array(body);
  else if (size === 1) data = new Uint8Array(body);
  else if (descr === '<i4') data = new Int32Array(body);
  else data = Float64Array.from(new BigInt64Array(body), (v) => Number(v));
  return { shape, data, descr: descr === '<u1' ? '|u1' : descr };
}

/** The .npy dtype of each array type writeNpy takes. */
const DESCR = new Map<unknown, string>([
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Uint8Array, '|u1'],
  [Int32Array, '<i4'],
]);

/**
 * A C-order .npy file (NPY format 1.0; 2.0 when the header needs it) of float32, float64,
 * uint8 or int32 data: the dtype in the header is the array's own (a Float64Array is written
 * as '<f8', never relabelled).
 */
export function writeNpy(shape: number[], data: Float32Array | Float64Array | Uint8Array | Int32Array): Uint8Array {
  const op = 'writeNpy';
  if (!Array.isArray(shape) || shape.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  const descr = data === null || typeof data !== 'object' ? undefined : DESCR.get(data.constructor);
  if (!descr)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: data must be a Float32Array, Float64Array, Uint8Array or Int32Array, got ${describe(data)}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: data has ${data.length} values, shape [${shape.join(', ')}] needs ${count}`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const v2 = 10 + header.length + 1 > 65535;
  const pre = v2 ? 12 : 10;
  const total = Math.ceil((pre + header.length + 1) / 64) * 64;
  header = header.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC);
  out[6] = v2 ? 2 : 1;
  const dv = new DataView(out.buffer);
  if (v2) dv.setUint32(8, header.length, true);
  else dv.setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
