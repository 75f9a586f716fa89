// A protocol-buffers writer for the few message shapes ONNX needs: varints, 32-bit floats,
// length-delimited strings, bytes and sub-messages (encoding: protobuf.dev/programming-guides/encoding).
// Written here so the core package keeps zero runtime dependencies.

/** Appends protobuf fields to a growing byte buffer. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  private varint(v: bigint): void {
    // negative int64 values are written as their two's complement (ten bytes), as protobuf does
    let x = BigInt.asUintN(64, v);
    this.reserve(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  private tag(field: number, wire: number): void {
    this.varint(BigInt((field << 3) | wire));
  }

  /** int32 / int64 / enum / bool field (wire type 0). */
  int(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
    return this;
  }

  /** float field (wire type 5, little-endian IEEE 754 single). */
  float(field: number, v: number): this {
    this.tag(field, 5);
    this.reserve(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  /** bytes field (wire type 2). */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2);
    this.varint(BigInt(b.length));
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** string field (UTF-8). */
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }

  /** Embedded message field. */
  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }

  /** Packed repeated int64 field. */
  packedInts(field: number, vs: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of vs) inner.varint(BigInt(v));
    return this.bytes(field, inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
