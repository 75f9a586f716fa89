// A tiny protobuf writer for the handful of ONNX messages a hand-built graph needs
// (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto, ValueInfoProto), so the
// benchmark needs no onnx/protobuf dependency. Field numbers are from onnx/onnx.proto3.

class Writer {
  constructor() {
    this.chunks = [];
    this.len = 0;
  }
  bytes(u8) {
    this.chunks.push(u8);
    this.len += u8.length;
  }
  varint(v) {
    // v: non-negative number (< 2^53) or bigint; negative int64 is encoded as 10-byte two's complement.
    let x = BigInt.asUintN(64, BigInt(v));
    const out = [];
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x) b |= 0x80;
      out.push(b);
    } while (x);
    this.bytes(Uint8Array.from(out));
  }
  tag(field, wire) {
    this.varint((field << 3) | wire);
  }
  finish() {
    const out = new Uint8Array(this.len);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const enc = new TextEncoder();
const W = { VARINT: 0, I64: 1, LEN: 2, I32: 5 };

function msg(build) {
  const w = new Writer();
  build(w);
  return w.finish();
}
function fLen(w, field, u8) {
  w.tag(field, W.LEN);
  w.varint(u8.length);
  w.bytes(u8);
}
function fStr(w, field, s) {
  fLen(w, field, enc.encode(s));
}
function fInt(w, field, v) {
  w.tag(field, W.VARINT);
  w.varint(v);
}
function fFloat(w, field, v) {
  w.tag(field, W.I32);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  w.bytes(b);
}

export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 };

/** TensorProto with raw_data (little-endian bytes of a typed array). */
export function tensor(name, dataType, dims, typed) {
  return msg((w) => {
    for (const d of dims) fInt(w, 1, d);
    fInt(w, 2, dataType);
    fStr(w, 8, name);
    fLen(w, 9, new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength));
  });
}

/** AttributeProto from a JS value: number (int if integral and `int` hint), float, int[], tensor. */
function attribute(name, v) {
  return msg((w) => {
    fStr(w, 1, name);
    if (v && v.float !== undefined) {
      fFloat(w, 2, v.float);
      fInt(w, 20, 1); // FLOAT
    } else if (typeof v === 'number') {
      fInt(w, 3, v);
      fInt(w, 20, 2); // INT
    } else if (Array.isArray(v)) {
      for (const x of v) fInt(w, 8, x);
      fInt(w, 20, 7); // INTS
    } else if (v && v.tensor) {
      fLen(w, 5, v.tensor);
      fInt(w, 20, 4); // TENSOR
    } else throw new Error(`attribute ${name}: unsupported value`);
  });
}

/** NodeProto. attrs: { name: number (INT) | {float} | number[] (INTS) | {tensor: bytes} }. */
export function node(opType, inputs, outputs, attrs = {}, name = outputs[0]) {
  return msg((w) => {
    for (const i of inputs) fStr(w, 1, i);
    for (const o of outputs) fStr(w, 2, o);
    fStr(w, 3, name);
    fStr(w, 4, opType);
    for (const [k, v] of Object.entries(attrs)) fLen(w, 5, attribute(k, v));
  });
}

/** ValueInfoProto for a tensor; dims are numbers or strings (symbolic). */
export function valueInfo(name, elemType, dims) {
  const shape = msg((w) => {
    for (const d of dims)
      fLen(
        w,
        1,
        msg((x) => (typeof d === 'string' ? fStr(x, 2, d) : fInt(x, 1, d))),
      );
  });
  const tensorType = msg((w) => {
    fInt(w, 1, elemType);
    fLen(w, 2, shape);
  });
  const type = msg((w) => fLen(w, 1, tensorType));
  return msg((w) => {
    fStr(w, 1, name);
    fLen(w, 2, type);
  });
}

/** ModelProto bytes (IR version 8, default-domain opset `opset`). */
export function model({ nodes, initializers = [], inputs, outputs, name = 'graph', opset = 17 }) {
  const graph = msg((w) => {
    for (const n of nodes) fLen(w, 1, n);
    fStr(w, 2, name);
    for (const t of initializers) fLen(w, 5, t);
    for (const i of inputs) fLen(w, 11, i);
    for (const o of outputs) fLen(w, 12, o);
  });
  return msg((w) => {
    fInt(w, 1, 8); // ir_version
    fStr(w, 2, 'contrastive-bench');
    fLen(w, 7, graph);
    fLen(
      w,
      8,
      msg((x) => {
        fStr(x, 1, '');
        fInt(x, 2, opset);
      }),
    );
  });
}
