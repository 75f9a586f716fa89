import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectError, m } from '../../../../test/util/errors.js';
import { ContrastiveError, init, ntXent, relaxedSimdSupported, runtimeInfo, version } from '../index.node.js';

// Order matters in this file: the first test runs before any init() in this module instance.
describe('init', () => {
  it('a loss before init() is NOT_INITIALIZED, not a crash', () => {
    expectError(() => ntXent(m([1, 2], 1, 2), m([2, 1], 1, 2), { temperature: 0.1 }), 'NOT_INITIALIZED', 'ntXent', 'init()');
    expectError(() => runtimeInfo(), 'NOT_INITIALIZED');
  });

  it('is idempotent: concurrent and repeated calls load once', async () => {
    await Promise.all([init(), init(), init()]);
    const first = runtimeInfo();
    await init();
    expect(runtimeInfo()).toEqual(first);
    expect(first.version).toBe(version);
  });

  it('auto picks relaxed exactly when the engine validates relaxed SIMD', async () => {
    await init({ variant: 'auto' });
    expect(runtimeInfo().variant).toBe(relaxedSimdSupported() ? 'relaxed' : 'simd128');
  });

  it('switches variants on request and both give the same loss to 1e-6', async () => {
    const a = m([1, 2, 3, 4, 5, 6], 2, 3);
    const b = m([6, 5, 4, 3, 2, 1], 2, 3);
    await init({ variant: 'simd128' });
    expect(runtimeInfo().variant).toBe('simd128');
    const l1 = ntXent(a, b, { temperature: 0.1 }).loss;
    if (relaxedSimdSupported()) {
      await init({ variant: 'relaxed' });
      expect(runtimeInfo().variant).toBe('relaxed');
      expect(ntXent(a, b, { temperature: 0.1 }).loss).toBeCloseTo(l1, 6);
    }
  });

  it('accepts the module as bytes or a precompiled WebAssembly.Module (the edge-runtime path)', async () => {
    const bytes = readFileSync(new URL('../../wasm/contrastive-simd128.wasm', import.meta.url));
    await init({ wasm: bytes });
    expect(runtimeInfo().variant).toBe('simd128');
    await init({ wasm: new WebAssembly.Module(bytes) });
    expect(ntXent(m([1, 0], 1, 2), m([0, 1], 1, 2), { temperature: 1 }).loss).toBeCloseTo(0, 6);
  });

  it('rejects a module that is not ours, and a bad variant name', async () => {
    // (module (memory (export "memory") 1))
    const foreign = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 5, 3, 1, 0, 1, 7, 10, 1, 6, 109, 101, 109, 111, 114, 121, 2, 0]);
    await expect(init({ wasm: foreign })).rejects.toThrow(/not the contrastive kernels/);
    await expect(init({ variant: 'avx' as never })).rejects.toBeInstanceOf(ContrastiveError);
    // a failed init leaves the running module in place
    expect(ntXent(m([1, 0], 1, 2), m([0, 1], 1, 2), { temperature: 1 }).loss).toBeCloseTo(0, 6);
  });

  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(version).toBe(pkg.version);
  });
});
