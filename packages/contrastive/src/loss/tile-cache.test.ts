import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randn } from '../../../../test/oracle.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { DEFAULT_TILE_CACHE_BYTES, infoNce, init, ntXent, runtimeInfo, setTileCache, supCon } from '../index.node.js';

beforeAll(() => init());
afterAll(() => setTileCache(DEFAULT_TILE_CACHE_BYTES));

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

/** Every output of the three two-pass losses, as bits. */
function run(n: number, d: number, temperature: number) {
  const a = m(randn(n, d, 1), n, d);
  const b = m(randn(n, d, 2), n, d);
  const labels = Array.from({ length: 2 * n }, (_, i) => (i * 7) % 11);
  const z = m(randn(2 * n, d, 3), 2 * n, d);
  const nt = ntXent(a, b, { temperature });
  const sc = supCon(z, labels, { temperature });
  const cl = infoNce(a, b, { temperature, symmetric: true });
  return {
    values: [nt.loss, nt.dTemperature, sc.loss, sc.dTemperature, cl.loss, cl.dTemperature],
    grads: [nt.grads.a.data, nt.grads.b.data, sc.grads.z.data, cl.grads.query.data, cl.grads.key.data].map(bits),
  };
}

describe('tile cache (pass-1 exponentials kept for pass 2)', () => {
  it('kept tiles change no bit: none, one row panel, all of them (NT-Xent, SupCon, CLIP)', () => {
    // 2N = 300 rows: 5 row panels of 64; tau 0.2 keeps tiles, tau 0.01 (online statistics) never does
    for (const temperature of [0.2, 0.01]) {
      setTileCache(0);
      const none = run(150, 33, temperature);
      for (const bytes of [4 * 64 * 300 + 4, DEFAULT_TILE_CACHE_BYTES]) {
        setTileCache(bytes);
        const kept = run(150, 33, temperature);
        expect(kept.values, `tau ${temperature}, ${bytes} bytes`).toEqual(none.values);
        expect(kept.grads, `tau ${temperature}, ${bytes} bytes`).toEqual(none.grads);
      }
    }
  });

  it('loss-only calls give the same loss with or without kept tiles', () => {
    const a = m(randn(100, 16, 5), 100, 16);
    const b = m(randn(100, 16, 6), 100, 16);
    setTileCache(0);
    const streamed = ntXent(a, b, { temperature: 0.1, grad: false }).loss;
    setTileCache(DEFAULT_TILE_CACHE_BYTES);
    expect(ntXent(a, b, { temperature: 0.1, grad: false }).loss).toBe(streamed);
    expect(ntXent(a, b, { temperature: 0.1 }).loss).toBe(streamed);
  });

  it('a bad budget is a typed error naming it; the setting survives a module switch', async () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expectError(() => setTileCache(bad), 'INVALID_ARGUMENT', 'setTileCache: bytes', String(bad));
    }
    await expect(init({ tileCacheBytes: -4 })).rejects.toThrow('init: tileCacheBytes');
    expect(setTileCache(12345)).toBe(DEFAULT_TILE_CACHE_BYTES);
    expect(runtimeInfo().tileCacheBytes).toBe(12345);
    const variant = runtimeInfo().variant === 'simd128' ? 'relaxed' : 'simd128';
    await init({ variant });
    expect(runtimeInfo().tileCacheBytes).toBe(12345);
    await init({ tileCacheBytes: 1 << 20 });
    expect(runtimeInfo().tileCacheBytes).toBe(1 << 20);
    setTileCache(DEFAULT_TILE_CACHE_BYTES);
    await init({ variant: 'auto' });
  });
});
