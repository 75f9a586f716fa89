import { describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { loadSafetensors, readSafetensors, saveSafetensors } from './safetensors.js';

const sd = () => ({
  'a.weight': { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, -6.5) },
  'a.bias': { shape: [3], data: Float32Array.of(0.25, 0, -1) },
  'a.num_batches_tracked': { shape: [], data: Float32Array.of(7), dtype: 'I64' as const },
});

describe('safetensors', () => {
  it('round trip keeps names, shapes, dtypes and exact values; header is 8-byte aligned', () => {
    const bytes = saveSafetensors(sd(), { note: 'hi' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header['a.num_batches_tracked']).toEqual({ dtype: 'I64', shape: [], data_offsets: [36, 44] });
    expect(header['a.weight'].dtype).toBe('F32');
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ note: 'hi' });
    expect(tensors).toEqual(sd());
    expect(loadSafetensors(bytes)).toEqual(sd());
  });

  it('truncated file: rejected, naming the tensor that runs past the end', () => {
    const bytes = saveSafetensors(sd());
    expectError(() => loadSafetensors(bytes.subarray(0, bytes.length - 4)), 'INVALID_ARGUMENT', 'a.num_batches_tracked', 'past');
    expectError(() => loadSafetensors(bytes.subarray(0, 5)), 'INVALID_ARGUMENT', 'truncated');
    expectError(() => loadSafetensors(bytes.subarray(0, 20)), 'INVALID_ARGUMENT', 'header length');
  });

  it('corrupted header, wrong byte count, gaps and trailing bytes are rejected', () => {
    const make = (header: object, dataBytes: number) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + json.length + dataBytes);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    expectError(() => loadSafetensors(make({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), 'INVALID_ARGUMENT', 'tensor w', 'needs 12');
    expectError(() => loadSafetensors(make({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)), 'INVALID_ARGUMENT', 'tensor w', 'gap');
    expectError(() => loadSafetensors(make({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8)), 'INVALID_ARGUMENT', 'cover 4');
    expectError(() => loadSafetensors(make({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, 4)), 'INVALID_ARGUMENT', 'tensor w', 'dtype');
    const garbage = saveSafetensors(sd());
    garbage[9] = 0xff;
    expectError(() => loadSafetensors(garbage), 'INVALID_ARGUMENT', 'JSON');
  });

  it('accepts files with __metadata__ and F64 / I32 tensors (converted to float32)', () => {
    const json = new TextEncoder().encode(
      JSON.stringify({
        __metadata__: { format: 'pt' },
        x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] },
        y: { dtype: 'I32', shape: [1], data_offsets: [8, 12] },
      }),
    );
    const out = new Uint8Array(8 + json.length + 12);
    const dv = new DataView(out.buffer);
    dv.setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    dv.setFloat64(8 + json.length, 1.5, true);
    dv.setInt32(16 + json.length, -3, true);
    const r = readSafetensors(out);
    expect(r.metadata).toEqual({ format: 'pt' });
    expect(Array.from(r.tensors.x.data)).toEqual([1.5]);
    expect(Array.from(r.tensors.y.data)).toEqual([-3]);
  });
});
