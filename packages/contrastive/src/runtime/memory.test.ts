import { beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { m } from '../../../../test/util/errors.js';
import { cosineSimilarity, DEFAULT_TILE_CACHE_BYTES, infoNce, init, Linear, ntXent, runtimeInfo, setTileCache, supCon } from '../index.node.js';
import { getRuntime } from './init.js';

beforeAll(() => init());

/** The packaged simd128 module compiled anew: init with it replaces the running module. */
async function freshSimd128(): Promise<WebAssembly.Module> {
  const { readFile } = await import('node:fs/promises');
  return WebAssembly.compile(await readFile(new URL('../../wasm/contrastive-simd128.wasm', import.meta.url)));
}

describe('memory', () => {
  it('no leak across 10,000 calls: memory stops growing after the first calls', () => {
    const a = m(randn(16, 32, 1), 16, 32);
    const b = m(randn(16, 32, 2), 16, 32);
    const labels = Array.from({ length: 16 }, (_, i) => i % 4);
    const round = () => {
      ntXent(a, b, { temperature: 0.1 });
      infoNce(a, b, { temperature: 0.1, symmetric: true });
      infoNce(a, b, { temperature: 0.1, negatives: b });
      supCon(a, labels, { temperature: 0.1 });
      cosineSimilarity(a, b);
    };
    for (let i = 0; i < 10; i++) round();
    const before = runtimeInfo().memoryBytes;
    for (let i = 0; i < 2000; i++) round(); // 10,000 calls
    expect(runtimeInfo().memoryBytes).toBe(before);
  });

  it('memory growth inside a call does not corrupt results (views are re-derived)', () => {
    const small = () => ntXent(m([1, 2, 3, 4], 2, 2), m([4, 3, 2, 1], 2, 2), { temperature: 0.5 });
    const before = small();
    const start = runtimeInfo().memoryBytes;
    // big enough to force memory.grow both in the arena and in the kernel's scratch
    const n = 1500;
    const big = ntXent(m(randn(n, 256, 3), n, 256), m(randn(n, 256, 4), n, 256), { temperature: 0.1 });
    expect(runtimeInfo().memoryBytes).toBeGreaterThan(start);
    expect(Number.isFinite(big.loss)).toBe(true);
    expect(big.grads.b.data.every(Number.isFinite)).toBe(true);
    expect(small()).toEqual(before);
  });
});

describe('large batches', () => {
  it('2N = 16,384 never builds the 2N x 2N matrix (1 GiB): memory stays O(block x 2N) with no tile cache', async () => {
    // a fresh module so earlier tests' high-water mark does not hide the growth
    await init({ variant: 'simd128', wasm: await freshSimd128() });
    const prev = setTileCache(0);
    try {
      const n = 8192;
      const d = 8;
      const before = runtimeInfo().memoryBytes;
      const r = ntXent(m(randn(n, d, 11), n, d), m(randn(n, d, 12), n, d), { temperature: 0.1 });
      expect(Number.isFinite(r.loss)).toBe(true);
      // inputs, gradients, normalized copy and packed panels are 4 x 2N x D floats = 2 MiB;
      // a dense similarity matrix would be 2N * 2N * 4 bytes = 1 GiB
      expect(runtimeInfo().memoryBytes - before).toBeLessThan(16 * 2 ** 20);
      const s = infoNce(m(randn(n, d, 13), n, d), m(randn(n, d, 14), n, d), { temperature: 0.1, symmetric: true });
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(runtimeInfo().memoryBytes - before).toBeLessThan(16 * 2 ** 20);
    } finally {
      setTileCache(prev);
    }
  });

  it('the default tile cache bounds the growth by its budget, not by the batch', async () => {
    await init({ variant: 'simd128', wasm: await freshSimd128() });
    expect(runtimeInfo().tileCacheBytes).toBe(DEFAULT_TILE_CACHE_BYTES);
    const n = 8192; // the whole upper triangle would be 2N^2 * 2 bytes = 512 MiB
    const d = 8;
    const before = runtimeInfo().memoryBytes;
    const r = ntXent(m(randn(n, d, 11), n, d), m(randn(n, d, 12), n, d), { temperature: 0.1 });
    expect(Number.isFinite(r.loss)).toBe(true);
    const grown = runtimeInfo().memoryBytes - before;
    expect(grown).toBeGreaterThan(DEFAULT_TILE_CACHE_BYTES / 2); // it did keep tiles
    expect(grown).toBeLessThan(DEFAULT_TILE_CACHE_BYTES + 16 * 2 ** 20);
  });

  it('memory past 2 GiB: addresses above 2^31 (negative as wasm i32) still work', async () => {
    // a layer too big for the free fragments below the ballast, so its blocks come from above it
    const x = { data: Float32Array.from(randn(8, 1024, 21)), rows: 8, cols: 1024 };
    const run = () => {
      const layer = new Linear(1024, 1024, { seed: 3 });
      expect(layer.weight.ptr).toBeGreaterThan(0);
      const y = layer.forward(x).data.slice();
      const dx = layer.backward({ data: y, rows: 8, cols: 1024 }).data.slice();
      const out = [y, dx, layer.weight.grad()];
      layer.free();
      return out;
    };
    await init({ variant: 'simd128', wasm: await freshSimd128() });
    const k = getRuntime('test').k;
    // two blocks (one may be at most 2 GiB - 1); untouched pages cost no RAM
    const size = 2 ** 30 + 2 ** 26;
    const ballast = [k.ct_alloc(size), k.ct_alloc(size)];
    let got: Float32Array[];
    try {
      expect(ballast[1]).toBeGreaterThan(0);
      expect(runtimeInfo().memoryBytes).toBeGreaterThan(2 ** 31);
      const layer = new Linear(1024, 1024);
      expect(layer.weight.ptr).toBeGreaterThan(2 ** 31);
      layer.free();
      got = run();
    } finally {
      for (const b of ballast) if (b !== 0) k.ct_free(b, size);
    }
    await init({ variant: 'simd128', wasm: await freshSimd128() });
    expect(got).toEqual(run());
  });
});
