// The host side of the threads build (contrastive-simd128-threads.wasm, crates/contrastive-kernels/src/par.rs):
// a shared memory, n - 1 workers each running its own instance of the same compiled module on
// that memory, parked in ct_thread_run until the calling thread hands out a job.
import { ContrastiveError } from '../errors.js';
import type { ThreadExports } from './abi.js';

/** Initial size of the shared memory; must match THREADS_INITIAL_MEMORY in scripts/build-wasm.sh. */
export const THREADS_INITIAL_PAGES = 64;
/** 4 GiB, the wasm32 limit and the unshared builds' maximum. A shared memory cannot grow past its maximum. */
export const THREADS_MAXIMUM_PAGES = 65536;
/** Stack of each worker (the main thread's is the linker's 1 MiB default too). */
const WORKER_STACK_BYTES = 1 << 20;
/** Most threads a pool may have (par.rs MAX_THREADS). */
export const MAX_THREADS = 16;

/** Stack of the pool's watcher, which runs one small export (ct_thread_poison). */
const WATCHER_STACK_BYTES = 1 << 16;

/** What each entry point provides to start a worker from source code (none on workerd). */
export interface WorkerHandle {
  /** Posts `message`, moving the objects in `transfer` (MessagePorts) to the worker. */
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: unknown) => void): void;
  /** Called when the worker stops (Node's 'exit'); optional where the runtime has no such event. */
  onExit?(listener: (code: number) => void): void;
  terminate(): void;
  /** Lets the process exit while the worker idles (Node); called once it is parked. */
  unref(): void;
}
/** Starts a worker running `code`, after a prelude defining `ctPost(m)` (send to the parent) and `ctOnMessage(cb)` (receive). */
export type WorkerFactory = (code: string) => WorkerHandle | Promise<WorkerHandle>;

let workerFactory: WorkerFactory | undefined;

/** @internal Set by index.node.ts (worker_threads) and index.browser.ts (Web Workers); returns the previous factory. */
export function setWorkerFactory(factory: WorkerFactory | undefined): WorkerFactory | undefined {
  const previous = workerFactory;
  workerFactory = factory;
  return previous;
}

/**
 * The worker's whole program, environment-neutral: the entry's factory defines `ctPost` and
 * `ctOnMessage` before it. The instance's own globals (stack pointer, TLS base) are set before
 * any exported function runs: every instance starts with the main thread's values.
 *
 * A pool worker holds one end of a MessageChannel for as long as its thread lives. The pool's
 * watcher (`m.watch`: the other ends) runs no jobs: it stays idle on its own event loop, and when
 * a worker's thread ends (terminated, crashed, killed by the engine) its port closes, so the
 * watcher poisons the job counter. A caller waiting inside a kernel for that worker's part then
 * fails at once instead of waiting forever: its own event loop, blocked in that wait, could not
 * have seen the worker's exit.
 */
export const WORKER_BODY = `
ctOnMessage(function (m) {
  var x;
  try {
    x = new WebAssembly.Instance(m.module, { env: { memory: m.memory } }).exports;
    x.__stack_pointer.value = m.stackTop;
    x.__wasm_init_tls(m.tls);
    if (m.watch) {
      m.watch.forEach(function (port, i) {
        port.addEventListener('close', function () {
          x.ct_thread_poison();
          ctPost({ type: 'dead', id: i + 1 });
        });
        // a message listener keeps this thread alive (Node ends a worker with nothing to wait for)
        port.onmessage = function () {};
        port.start();
      });
      ctPost({ type: 'ready', id: m.id });
      return;
    }
    globalThis.ctPort = m.port;
    ctPost({ type: 'ready', id: m.id });
    x.ct_thread_run(m.id);
    throw new Error('ct_thread_run returned');
  } catch (e) {
    // A job this worker was part of can never finish: make the caller's wait trap instead of spin forever.
    try { if (x) x.ct_thread_poison(); } catch (_) {}
    ctPost({ type: 'error', id: m.id, message: String((e && e.stack) || e) });
  }
});
`;

export function isThreadsBuild(exports: WebAssembly.Exports): boolean {
  return 'ct_thread_run' in exports;
}

/**
 * Why this engine cannot run the threads build, or undefined if it can. Browsers expose
 * SharedArrayBuffer only to cross-origin isolated pages.
 */
export function threadsUnsupportedReason(): string | undefined {
  if (!workerFactory) {
    return 'this runtime has no workers the package can start (workerd and other edge runtimes run one thread)';
  }
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (typeof SharedArrayBuffer === 'undefined' || g.crossOriginIsolated === false) {
    return (
      'SharedArrayBuffer is unavailable: in a browser the page must be cross-origin isolated, i.e. served with the headers ' +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp" (or credentialless)'
    );
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true } as WebAssembly.MemoryDescriptor);
  } catch {
    return 'this engine cannot create a shared WebAssembly.Memory';
  }
  return undefined;
}

export function sharedMemory(): WebAssembly.Memory {
  try {
    return new WebAssembly.Memory({ initial: THREADS_INITIAL_PAGES, maximum: THREADS_MAXIMUM_PAGES, shared: true } as WebAssembly.MemoryDescriptor);
  } catch (e) {
    throw new ContrastiveError('OUT_OF_MEMORY', `init: could not reserve a shared WebAssembly.Memory of up to 4 GiB (${String(e)})`);
  }
}

/** The running workers of a threads-build instance. */
export class ThreadPool {
  /**
   * Why the pool stopped working (a worker failed or exited after it started), or undefined.
   * The kernels then run every job on the calling thread; `runtimeInfo()` reports it and the
   * next `init()` starts a new pool.
   */
  failure: string | undefined;
  private terminating = false;
  private warned = false;
  /** The watcher of the workers' threads (none where the runtime has no MessageChannel). */
  private watcher: WorkerHandle | undefined;
  private constructor(private readonly workers: WorkerHandle[]) {}

  /** @internal Records a failure after start: poison the job counter (no wait on a dead worker), warn once. */
  fail(k: ThreadExports, why: string): void {
    if (this.terminating || this.failure !== undefined) return;
    this.failure = why;
    try {
      k.ct_thread_poison();
    } catch {
      // the instance itself may be gone
    }
    if (!this.warned && typeof console !== 'undefined') {
      this.warned = true;
      console.warn(`contrastive: ${why}; kernels now run on one thread. The next init() starts a new thread pool.`);
    }
  }

  /** @internal The worker handles (tests simulate a failure with them). */
  handles(): readonly WorkerHandle[] {
    return this.workers;
  }

  /**
   * Starts `threads - 1` workers on `module` and `memory`, waits until all are parked in
   * ct_thread_run, then tells the kernels to use `threads` threads.
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, k: ThreadExports, threads: number): Promise<ThreadPool> {
    if (!workerFactory) throw new ContrastiveError('WASM_UNSUPPORTED', `init: threads unavailable: ${threadsUnsupportedReason()}`);
    const tlsSize = Number(k.__tls_size.value);
    const tlsAlign = Number(k.__tls_align.value);
    const workers: WorkerHandle[] = [];
    const pool = new ThreadPool(workers);
    const Channel = (globalThis as { MessageChannel?: typeof MessageChannel }).MessageChannel;
    const channels = Channel ? Array.from({ length: threads - 1 }, () => new Channel()) : [];
    try {
      const started: Promise<void>[] = [];
      for (let id = 1; id < threads; id++) {
        const base = k.ct_thread_alloc(WORKER_STACK_BYTES, tlsSize, tlsAlign);
        if (base === 0) throw new ContrastiveError('OUT_OF_MEMORY', 'init: could not allocate a worker stack');
        const w = await workerFactory(WORKER_BODY);
        workers.push(w);
        let up = false;
        started.push(
          new Promise<void>((resolve, reject) => {
            w.onMessage((msg) => {
              const m = msg as { type: string; message?: string };
              if (m.type === 'ready') {
                up = true;
                resolve();
              } else if (up) pool.fail(k, `thread pool worker ${id} failed: ${m.message ?? ''}`);
              else {
                k.ct_thread_poison();
                reject(new ContrastiveError('WASM_UNSUPPORTED', `init: worker ${id} failed: ${m.message ?? ''}`));
              }
            });
            w.onError((e) => {
              if (up) return pool.fail(k, `thread pool worker ${id} failed: ${String(e)}`);
              k.ct_thread_poison();
              reject(new ContrastiveError('WASM_UNSUPPORTED', `init: worker ${id} failed: ${String(e)}`));
            });
            w.onExit?.((code) => {
              if (up) return pool.fail(k, `thread pool worker ${id} exited (code ${code})`);
              reject(new ContrastiveError('WASM_UNSUPPORTED', `init: worker ${id} exited (code ${code}) before it started`));
            });
          }),
        );
        const stackTop = base + WORKER_STACK_BYTES;
        const port = channels[id - 1]?.port1;
        w.postMessage({ module, memory, id, stackTop, tls: stackTop, port }, port ? [port] : []);
      }
      await Promise.all(started);
      if (channels.length > 0)
        await pool.watch(
          module,
          memory,
          k,
          channels.map((c) => c.port2),
        );
      // 'ready' is posted just before ct_thread_run; jobs go parallel once every worker is inside.
      const all = threads >= 2 ? 2 ** threads - 2 : 0;
      const t0 = Date.now();
      while ((k.ct_threads_ready() & all) !== all) {
        if (Date.now() - t0 > 10_000) throw new ContrastiveError('WASM_UNSUPPORTED', 'init: workers did not start within 10 s');
        await new Promise((r) => setTimeout(r, 1));
      }
      k.ct_set_threads(threads);
      for (const w of workers) w.unref();
      pool.watcher?.unref();
      return pool;
    } catch (e) {
      pool.terminate();
      throw e;
    }
  }

  /** Starts the watcher on the other ends of the workers' channels (see WORKER_BODY). */
  private async watch(module: WebAssembly.Module, memory: WebAssembly.Memory, k: ThreadExports, ports: MessagePort[]): Promise<void> {
    const base = k.ct_thread_alloc(WATCHER_STACK_BYTES, Number(k.__tls_size.value), Number(k.__tls_align.value));
    if (base === 0) throw new ContrastiveError('OUT_OF_MEMORY', 'init: could not allocate the thread watcher stack');
    const s = await workerFactory!(WORKER_BODY);
    this.watcher = s;
    await new Promise<void>((resolve, reject) => {
      let up = false;
      s.onMessage((msg) => {
        const m = msg as { type: string; id?: number; message?: string };
        if (m.type === 'ready') {
          up = true;
          resolve();
        } else if (m.type === 'dead') this.fail(k, `thread pool worker ${m.id} stopped (its thread ended)`);
        else if (!up) reject(new ContrastiveError('WASM_UNSUPPORTED', `init: the thread watcher failed: ${m.message ?? ''}`));
      });
      s.onError((e) => {
        if (!up) reject(new ContrastiveError('WASM_UNSUPPORTED', `init: the thread watcher failed: ${String(e)}`));
      });
      const stackTop = base + WATCHER_STACK_BYTES;
      s.postMessage({ module, memory, id: 0, stackTop, tls: stackTop, watch: ports }, ports);
    });
  }

  get size(): number {
    return this.workers.length + 1;
  }

  terminate(): void {
    this.terminating = true;
    // the watcher first: the workers' ports close as they stop, and that is no failure here
    this.watcher?.terminate();
    this.watcher = undefined;
    for (const w of this.workers.splice(0)) w.terminate();
  }
}
