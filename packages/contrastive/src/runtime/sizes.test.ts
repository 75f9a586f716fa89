// Sizes that would wrap on their way to the kernels, and what a trap does to the instance.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { ContrastiveError, init, Linear, mlp, ntXent, runtimeInfo } from '../index.node.js';
import { getRuntime } from './init.js';
import { Arena, checkedBytes, MAX_ALLOC_BYTES } from './memory.js';
import { type KernelExports, STATUS_OUT_OF_MEMORY } from './abi.js';
import { checkStatus } from './kernel.js';

beforeAll(() => init());

describe('sizes at the allocation path', () => {
  it('a Linear output just over 4 GiB is OUT_OF_MEMORY before anything is written, and a neighbouring layer keeps its weights', () => {
    const neighbour = new Linear(8, 8, { seed: 3 });
    const before = neighbour.weight.value();
    const big = new Linear(1, 4096);
    // 262,145 rows x 4096 outputs x 4 bytes = 4 GiB + 16 KiB: taken mod 2^32 it would be 16 KiB
    const x = { data: new Float32Array(262_145).fill(0.5), rows: 262_145, cols: 1 };
    expectError(() => big.forward(x), 'OUT_OF_MEMORY', 'Linear.forward', 'GiB');
    expect(neighbour.weight.value()).toEqual(before);
    // the module is still usable: a normal call works and gives the same result as a fresh layer
    const y = big.forward({ data: new Float32Array(4).fill(1), rows: 4, cols: 1 });
    expect(y.rows).toBe(4);
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    neighbour.free();
    big.free();
  });

  it('a 2 GiB output (one byte past the single-allocation limit) is refused, not truncated', () => {
    const big = new Linear(1, 2048);
    const rows = Math.ceil((MAX_ALLOC_BYTES + 1) / (2048 * 4));
    expectError(() => big.forward({ data: new Float32Array(rows), rows, cols: 1 }), 'OUT_OF_MEMORY', 'Linear.forward');
    big.free();
  });

  it('checkedBytes refuses products past one allocation and non-integer factors', () => {
    expect(checkedBytes('op', 4, 1024, 1024)).toBe(4 * 2 ** 20);
    expectError(() => checkedBytes('op', 4, 2 ** 20, 2 ** 10), 'OUT_OF_MEMORY', 'op');
    expectError(() => checkedBytes('op', 4, 1.5), 'INVALID_ARGUMENT', 'op');
    expectError(() => checkedBytes('op', 4, NaN), 'INVALID_ARGUMENT', 'op');
  });

  it('a raw export given dimensions whose product wraps 2^32 returns OUT_OF_MEMORY (no write), and checkStatus makes it a ContrastiveError', () => {
    const { k } = getRuntime('test');
    const bytes = 4096;
    const p = k.ct_alloc(bytes);
    const q = k.ct_alloc(bytes);
    const view = () => new Float32Array(k.memory.buffer, q, bytes / 4);
    view().fill(7);
    const geom = k.ct_alloc(44);
    // n = cin = 65536, h = w = 1, cout = 1, 1 x 1 kernel: x would be 2^32 floats, 0 mod 2^32
    new Uint32Array(k.memory.buffer, geom, 11).set([65536, 65536, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
    const calls: [string, () => number][] = [
      ['ct_gemm', () => k.ct_gemm(65536, 65537, 1, p, 0, p, 0, q, 0)],
      ['ct_linear_forward', () => k.ct_linear_forward(p, 65536, 1, p, 65537, 0, q)],
      ['ct_cosine', () => k.ct_cosine(p, 65536, 0, 0, 1, q)],
      ['ct_conv2d_forward', () => k.ct_conv2d_forward(geom, p, p, 0, q)],
      ['ct_layernorm_forward', () => k.ct_layernorm_forward(p, 65536, 65536, 0, 0, 1e-5, q, q)],
      ['ct_aug_flip', () => k.ct_aug_flip(q, 65536, 1, 65536, 1, p)],
      ['ct_attention_forward', () => k.ct_attention_forward(1024, 1024, 64, 64, p, p, 0, 0, 0, 0, 0, q, q)],
      ['ct_mul', () => k.ct_mul(p, p, 2 ** 30, q)],
    ];
    for (const [name, call] of calls) {
      const status = call();
      expect(status, name).toBe(STATUS_OUT_OF_MEMORY);
      expect(
        view().every((v) => v === 7),
        `${name} wrote nothing`,
      ).toBe(true);
      expectError(() => checkStatus(name, status), 'OUT_OF_MEMORY', name);
    }
    k.ct_free(p, bytes);
    k.ct_free(q, bytes);
    k.ct_free(geom, 44);
  });

  it('the arena falls back to exactly the needed size when a doubled block cannot be had', () => {
    const calls: number[] = [];
    const fake = {
      ct_alloc: (bytes: number) => {
        calls.push(bytes);
        return bytes > 3 * 2 ** 20 ? 0 : 4096;
      },
      ct_free: () => {},
    } as unknown as KernelExports;
    const a = new Arena(fake);
    a.reserve('op', [2 * 2 ** 20]);
    expect(a.reservedBytes).toBe(2 * 2 ** 20);
    // needs 2.5 MiB: doubling asks 4 MiB (refused), then exactly 2.5 MiB
    a.reserve('op', [2.5 * 2 ** 20]);
    expect(calls.slice(-2)).toEqual([4 * 2 ** 20, 2.5 * 2 ** 20]);
    expect(a.reservedBytes).toBe(2.5 * 2 ** 20);
    expectError(() => a.reserve('op', [5 * 2 ** 20]), 'OUT_OF_MEMORY', 'op');
  });
});

describe('a trap never leaves the module unusable', () => {
  it('a kernel trap is a ContrastiveError, later calls are refused, and the next init() starts a fresh instance', async () => {
    const model = mlp([4, 8, 4]);
    const k = getRuntime('test').k;
    // a pointer past the end of memory: the kernel's read traps (no TS validation in front of it)
    const end = k.memory.buffer.byteLength;
    let err: unknown;
    try {
      k.ct_l2normalize_forward(end - 16, 1024, 64, end - 16);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ContrastiveError);
    expect((err as Error).message).toContain('trapped');
    expectError(() => model.forward({ data: new Float32Array(8), rows: 2, cols: 4 }), 'NOT_INITIALIZED', 'init()');
    expectError(
      () => ntXent({ data: new Float32Array(4), rows: 2, cols: 2 }, { data: new Float32Array(4), rows: 2, cols: 2 }, { temperature: 0.1 }),
      'NOT_INITIALIZED',
    );
    model.free(); // still safe
    const before = runtimeInfo().variant;
    await init();
    expect(getRuntime('test').k).not.toBe(k);
    expect(runtimeInfo().variant).toBe(before);
    const fresh = mlp([4, 8, 4]);
    expect(fresh.forward({ data: new Float32Array(8).fill(1), rows: 2, cols: 4 }).rows).toBe(2);
    // the old model belongs to the dead instance
    expectError(() => model.stateDict(), 'INVALID_ARGUMENT');
    fresh.free();
  });
});
