// A thread pool whose worker dies is detected, reported and restarted by the next init().
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { getRuntime } from '../packages/contrastive/src/runtime/init.js';
import { setWorkerFactory, type WorkerFactory } from '../packages/contrastive/src/runtime/threads.js';
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
    expect(runtimeInfo().threadError).toMatch(/worker 1 (exited|stopped)/);
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

  it('a worker killed in the middle of a long threaded job fails that call with a ContrastiveError instead of hanging, and after init() results are bit-identical', async () => {
    const helper = new Worker(RELAY, { eval: true });
    const previous = setWorkerFactory(relayFactory(helper));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    // one forward of 2048 x 2048 by 2048 x 2048: about 17 GFLOP, a second or more on this machine
    const x = { data: rand(2048 * 2048, 5), rows: 2048, cols: 2048 };
    const forward = () => {
      const layer = new lib.Linear(2048, 2048, { seed: 9 });
      try {
        return hashF32(layer.forward(x).data);
      } finally {
        layer.free();
      }
    };
    let threw: unknown;
    let reference = '';
    try {
      // the workers are started by a helper thread this test owns: it can kill one while this
      // thread is blocked inside a kernel, waiting for that worker's part
      for (let attempt = 0; attempt < 3 && threw === undefined; attempt++) {
        await init({ threads: 1, variant: 'simd128' });
        await init({ threads: 2, variant: 'simd128' });
        expect(runtimeInfo().threads).toBe(2);
        if (!reference) reference = forward();
        const victim = (getRuntime('test').pool!.handles()[0] as { n?: number }).n;
        helper.postMessage({ type: 'kill', n: victim, ms: 300 });
        const t0 = Date.now();
        try {
          // a kill between two of the forward's jobs makes later jobs serial (same bits); a kill inside one fails it.
          // Forwards run back to back for 3 s, so the kill lands inside one however fast this host runs them.
          const until = Date.now() + 3000;
          do {
            const h = forward();
            expect(h, 'a call that finished after the kill has the same bits').toBe(reference);
          } while (Date.now() < until);
        } catch (e) {
          threw = e;
        }
        expect(Date.now() - t0, 'no hang').toBeLessThan(60_000);
        helper.postMessage({ type: 'terminate-all' });
      }
    } finally {
      setWorkerFactory(previous);
    }
    try {
      await checkAfterKill(threw, forward, reference);
    } finally {
      warn.mockRestore();
      await helper.terminate();
    }
  }, 240_000);

  /** After the kill: the typed error, a retired instance, then a fresh one with the same bits. */
  async function checkAfterKill(threw: unknown, forward: () => string, reference: string): Promise<void> {
    expect(threw, 'the kill landed inside a job in one of 3 tries').toBeInstanceOf(lib.ContrastiveError);
    expect((threw as lib.ContrastiveError).code).toBe('NOT_INITIALIZED');
    expect((threw as Error).message).toMatch(/thread pool worker stopped during the call.*await init\(\)/);
    // the instance is retired: later calls say so, and init() brings a fresh instance and pool
    expect(() => lib.ntXent({ data: rand(8, 1), rows: 2, cols: 4 }, { data: rand(8, 2), rows: 2, cols: 4 }, { temperature: 0.5 })).toThrow(/init\(\)/);
    await init({ threads: 2, variant: 'simd128' });
    expect(runtimeInfo()).toMatchObject({ threads: 2, threadsRequested: 2 });
    expect(runtimeInfo().threadError).toBeUndefined();
    expect(forward()).toBe(reference);
    expect(bigProducts()).toBeGreaterThan(0);
    await init({ threads: 1, variant: 'simd128' });
    expect(forward(), 'bit-identical on one thread').toBe(reference);
  }
});

/** FNV-1a of the bits of `data`. */
function hashF32(data: Float32Array): string {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193) >>> 0;
  return `${h.toString(16)}:${u.length}`;
}

/** A thread that starts the pool's workers on request, relays their messages, and kills one on a timer. */
const RELAY = `
const { parentPort, Worker } = require('node:worker_threads');
const ws = [];
parentPort.on('message', (m) => {
  if (m.type === 'spawn') {
    const w = new Worker(m.code, { eval: true });
    const n = ws.push(w) - 1;
    w.on('message', (x) => parentPort.postMessage({ type: 'message', n, x }));
    w.on('error', (e) => parentPort.postMessage({ type: 'error', n, x: String(e) }));
    w.on('exit', (c) => parentPort.postMessage({ type: 'exit', n, x: c }));
  } else if (m.type === 'post') ws[m.n].postMessage(m.x, m.transfer);
  else if (m.type === 'kill') setTimeout(() => ws[m.n].terminate(), m.ms);
  else if (m.type === 'terminate') ws[m.n].terminate();
  else if (m.type === 'terminate-all') ws.forEach((w) => w.terminate());
});
`;

/** The library's worker factory, with the workers started inside `helper` (the same prelude as index.node.ts). */
function relayFactory(helper: Worker): WorkerFactory {
  const prelude =
    "const { parentPort } = require('node:worker_threads');\n" +
    'const ctPost = (m) => parentPort.postMessage(m);\n' +
    "const ctOnMessage = (cb) => parentPort.once('message', cb);\n";
  type Ls = { message: ((m: unknown) => void)[]; error: ((e: unknown) => void)[]; exit: ((c: number) => void)[] };
  const listeners: Ls[] = [];
  helper.on('message', (m: { type: 'message' | 'error' | 'exit'; n: number; x: never }) => {
    for (const l of listeners[m.n]?.[m.type] ?? []) l(m.x);
  });
  return (body) => {
    const n = listeners.push({ message: [], error: [], exit: [] }) - 1;
    helper.postMessage({ type: 'spawn', code: prelude + body });
    return {
      n,
      postMessage: (x, transfer = []) => helper.postMessage({ type: 'post', n, x, transfer }, transfer as never),
      onMessage: (l) => void listeners[n].message.push(l),
      onError: (l) => void listeners[n].error.push(l),
      onExit: (l) => void listeners[n].exit.push(l),
      unref: () => {},
      terminate: () => helper.postMessage({ type: 'terminate', n }),
    };
  };
}
