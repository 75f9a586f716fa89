// A thread pool whose worker dies is detected, reported and restarted by the next init().
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { getRuntime } from '../packages/contrastive/src/runtime/init.js';
import { rand } from './util/bits.js';

const { init, runtimeInfo } = lib;
type PoolK = { ct_threads_worker_parts(): number };

afterAll(() => init({ threads: 1 }));

/** Big enough to be split over the pool. */
function bigProducts(): number {
  const k = getRuntime('test').k as unknown as PoolK;
  const p0 = k.ct_threads_worker_parts();
  const big = new lib.Linear(512, 512, { seed: 1 });
  for (let i = 0; i < 10; i++) big.forward({ data: rand(512 * 512, 1), rows: 512, cols: 512 });
  big.free();
  return k.ct_threads_worker_parts() - p0;
}

describe('thread pool health', () => {
  it('a worker that exits is reported by runtimeInfo and a warning, results stay right, and init({ threads: 2 }) restarts the pool', async () => {
    await init({ threads: 2, variant: 'simd128' });
    expect(runtimeInfo()).toMatchObject({ threads: 2, threadsRequested: 2 });
    expect(runtimeInfo().threadError).toBeUndefined();
    const x = { data: rand(256 * 64, 3), rows: 256, cols: 64 };
    const ref = lib.ntXent(x, { data: rand(256 * 64, 4), rows: 256, cols: 64 }, { temperature: 0.1 }).loss;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const pool = getRuntime('test').pool!;
    pool.handles()[0].terminate();
    const t0 = Date.now();
    while (runtimeInfo().threadError === undefined && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
    expect(runtimeInfo()).toMatchObject({ threads: 1, threadsRequested: 2 });
    expect(runtimeInfo().threadError).toMatch(/worker 1 exited/);
    expect(warn).toHaveBeenCalledTimes(1);
    // the jobs now run on this thread, with the same bits (no hang, no wrong result)
    expect(bigProducts()).toBe(0);
    expect(lib.ntXent(x, { data: rand(256 * 64, 4), rows: 256, cols: 64 }, { temperature: 0.1 }).loss).toBe(ref);
    warn.mockRestore();
    await init({ threads: 2, variant: 'simd128' });
    expect(runtimeInfo()).toMatchObject({ threads: 2, threadsRequested: 2 });
    expect(runtimeInfo().threadError).toBeUndefined();
    expect(bigProducts()).toBeGreaterThan(0);
  });

  it('a plain init() also replaces a failed pool, keeping its thread count', async () => {
    await init({ threads: 2, variant: 'simd128' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    getRuntime('test').pool!.handles()[0].terminate();
    const t0 = Date.now();
    while (runtimeInfo().threadError === undefined && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 10));
    warn.mockRestore();
    await init();
    expect(runtimeInfo()).toMatchObject({ threads: 2, threadsRequested: 2, variant: 'simd128' });
    expect(runtimeInfo().threadError).toBeUndefined();
  });
});
