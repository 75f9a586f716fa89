// Untyped errors and silent coercions at the public API boundary.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../test/util/errors.js';
import {
  AdamW,
  ContrastiveError,
  init,
  knnAccuracy,
  Linear,
  mlp,
  ntXent,
  parseIdx,
  parseNpy,
  readIdx,
  readSafetensors,
  runtimeInfo,
  saveSafetensors,
  Trainer,
  writeIdx,
} from './index.node.js';

beforeAll(() => init());

describe('the API boundary refuses what it would otherwise coerce', () => {
  const ok = { data: new Float32Array([1, 0, 0, 1]), rows: 2, cols: 2 };
  it('BigInt data is INVALID_ARGUMENT, not a TypeError', () => {
    expectError(() => ntXent({ data: new BigInt64Array(4) as never, rows: 2, cols: 2 }, ok, { temperature: 0.1 }), 'INVALID_ARGUMENT', 'BigInt');
  });
  it('arrays of null, booleans or numeric strings are refused, not read as numbers', () => {
    for (const bad of [
      [null, 0, 0, 1],
      [true, 0, 0, 1],
      ['1', 0, 0, 1],
      [{}, 0, 0, 1],
    ]) {
      expectError(() => ntXent({ data: bad as never, rows: 2, cols: 2 }, ok, { temperature: 0.1 }), 'INVALID_ARGUMENT', 'a.data[0]', 'number');
    }
    expectError(() => mlp([2, 2]).forward({ data: [1, '2'] as never, rows: 1, cols: 2 }), 'INVALID_ARGUMENT');
  });
  it('Parameter.set([NaN]) is NON_FINITE and writes nothing', () => {
    const l = new Linear(2, 1);
    const before = l.weight.value();
    expectError(() => l.weight.set([NaN, 1]), 'NON_FINITE', 'Parameter.set');
    expectError(() => l.weight.set(['1', 1] as never), 'INVALID_ARGUMENT', 'Parameter.set');
    expect(l.weight.value()).toEqual(before);
    l.free();
  });
  it('a value that overflows float32 (1e39) is NON_FINITE', () => {
    expectError(() => ntXent({ data: [1e39, 0, 0, 1], rows: 2, cols: 2 }, ok, { temperature: 0.1 }), 'NON_FINITE', '1e+39');
  });
  it('parseIdx(null), parseNpy(null) and readSafetensors(null) are INVALID_ARGUMENT', async () => {
    expectError(() => parseIdx(null as never), 'INVALID_ARGUMENT', 'readIdx');
    expectError(() => parseNpy(null as never), 'INVALID_ARGUMENT', 'readNpy');
    expectError(() => readSafetensors(null as never), 'INVALID_ARGUMENT', 'loadSafetensors');
    await expect(readIdx(null as never)).rejects.toBeInstanceOf(ContrastiveError);
  });
  it('what the API fuzzer found: huge layers, null options, symbols and BigInts in shapes or data are typed errors', () => {
    expectError(() => new Linear(1e308, 2), 'OUT_OF_MEMORY');
    expectError(() => mlp([2, 2], null as never), 'INVALID_ARGUMENT', 'mlp');
    expectError(() => mlp([2, 10n as never]), 'INVALID_ARGUMENT', '10n');
    expectError(() => mlp([2, 2]).forward({ data: new Float32Array(2), rows: 1, cols: 2 }, null as never), 'INVALID_ARGUMENT', 'options');
    expectError(() => knnAccuracy(ok, [0, 1], undefined as never, [0]), 'INVALID_ARGUMENT', 'query');
    expectError(() => knnAccuracy(ok, [0, 1], ok, [0, 1], { k: Symbol('k') as never }), 'INVALID_ARGUMENT', 'k');
    expectError(() => writeIdx([Symbol('d') as never], new Uint8Array(1)), 'INVALID_ARGUMENT', 'writeIdx');
    expectError(() => saveSafetensors({ x: { shape: [Symbol('d') as never], data: new Float32Array(1) } }), 'INVALID_ARGUMENT', 'saveSafetensors');
    expectError(() => saveSafetensors({ x: { shape: [2], data: new BigInt64Array(2) as never } }), 'INVALID_ARGUMENT', 'saveSafetensors');
    const m = mlp([2, 2]);
    expectError(
      () =>
        m.loadStateDict({ '0.weight': { shape: [Symbol('d') as never, 2], data: new Float32Array(4) }, '0.bias': { shape: [2], data: new Float32Array(2) } }),
      'INVALID_ARGUMENT',
      'shape',
    );
    const t = new Trainer({ method: 'simclr', model: m, optimizer: new AdamW(m.namedParameters()), temperature: 0.1 });
    const v = { data: new BigInt64Array(4) as never, shape: [2, 2] };
    expectError(() => t.step([v, v]), 'INVALID_ARGUMENT', 'BigInt');
  });
  it('init(null) and init with bytes that are not wasm are INVALID_ARGUMENT (no TypeError, no CompileError), and the running module stays', async () => {
    const before = runtimeInfo();
    await expect(init(null as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(init({ wasm: new Uint8Array([0, 97, 115, 109, 9, 9]) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('CompileError'),
    });
    // a valid wasm module that is not ours
    await expect(init({ wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(runtimeInfo().variant).toBe(before.variant);
    expect(ntXent(ok, ok, { temperature: 0.1 }).loss).toBeGreaterThan(0);
    // the packaged module itself still loads fine after the refusals
    const bytes = readFileSync(new URL('../wasm/contrastive-simd128.wasm', import.meta.url));
    await init({ wasm: bytes });
    expect(runtimeInfo().variant).toBe('simd128');
  });
});
