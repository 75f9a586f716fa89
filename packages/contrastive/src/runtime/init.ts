import { ContrastiveError } from '../errors.js';
import { VERSION } from '../version.js';
import { ABI_VERSION, ISA_NAMES, missingExports, THREAD_EXPORTS, type KernelExports, type ThreadExports } from './abi.js';
import { Arena } from './memory.js';
import { isThreadsBuild, MAX_THREADS, sharedMemory, ThreadPool, threadsUnsupportedReason } from './threads.js';

/** The two instruction sets of the kernels: SIMD128 everywhere, relaxed SIMD (fused multiply-add) where the engine has it. */
export type Variant = 'simd128' | 'relaxed';

/** The packaged modules: one per variant, and each with threads (shared memory + workers) for `init({ threads })`. */
export type Build = Variant | 'simd128-threads' | 'relaxed-threads';

/** Anything a compiled or compilable module can come from. */
export type WasmSource = WebAssembly.Module | BufferSource | URL | Response | PromiseLike<Response>;

export interface InitOptions {
  /**
   * The kernels module to use instead of the packaged one: a precompiled `WebAssembly.Module`
   * (required on workerd, which refuses to compile bytes at run time), bytes, a URL or a Response.
   */
  wasm?: WasmSource;
  /**
   * `'auto'` (default) picks `'relaxed'` when `WebAssembly.validate` accepts relaxed SIMD, for
   * one thread and with `threads` > 1 alike (the two instruction sets round differently, so pin
   * `'simd128'` to get the same bits on every engine).
   */
  variant?: 'auto' | Variant;
  /**
   * Threads the kernels run on (1 to 16): 1 (default) is the single-threaded build; n > 1 loads
   * the variant's threads build (`contrastive-relaxed-threads.wasm` or `contrastive-simd128-threads.wasm`)
   * on a shared memory and starts n - 1 workers (worker_threads in Node, Deno and Bun; Web Workers
   * in browsers). `'auto'` = min(cores, 4) (navigator.hardwareConcurrency; os.availableParallelism()
   * in Node). Results are bit-identical for any thread count of one variant.
   *
   * Needs `SharedArrayBuffer`: always there in Node, but a browser page must be cross-origin
   * isolated (served with `Cross-Origin-Opener-Policy: same-origin` and
   * `Cross-Origin-Embedder-Policy: require-corp`); otherwise, and on workerd, init rejects with
   * `WASM_UNSUPPORTED` saying why (no silent fallback: ask for 1 thread to run anyway).
   * Omitted on a later call: keep the running thread count.
   */
  threads?: number | 'auto';
  /**
   * Bytes that `ntXent`, `supCon` and the symmetric (CLIP) `infoNce` may keep between the two
   * passes of their kernels when they compute gradients: see {@link setTileCache}. Default
   * 64 MiB; kept across later `init` calls that omit it.
   */
  tileCacheBytes?: number;
}

/** The default of {@link setTileCache}: 64 MiB. */
export const DEFAULT_TILE_CACHE_BYTES = 64 * 2 ** 20;
let tileCacheBytes = DEFAULT_TILE_CACHE_BYTES;

export interface RuntimeInfo {
  /** The instruction set of the running build (single-threaded or threads). */
  variant: Variant;
  /**
   * Threads the kernels run on: 1, or n > 1 for the threads build with n - 1 workers. 1 when a
   * worker has failed (every job then runs on the calling thread; see `threadError`).
   */
  threads: number;
  /** Threads asked for by init (equal to `threads` unless the pool has failed). */
  threadsRequested: number;
  /** Why the thread pool stopped working, if it did; the next `init()` starts a new pool. */
  threadError?: string;
  /** Current size of the module's linear memory. */
  memoryBytes: number;
  /** The losses' tile budget ({@link setTileCache}). */
  tileCacheBytes: number;
  version: string;
}

/** How an entry point (node, browser, workerd) finds the packaged module of a build. */
export type DefaultLoader = (build: Build) => WasmSource | Promise<WasmSource>;

interface Runtime {
  k: KernelExports;
  variant: Variant;
  arena: Arena;
  threads: number;
  pool?: ThreadPool;
  /** Set when a kernel trapped: the instance may be corrupt, so the next init() replaces it. */
  health: Health;
}

/** @internal What the export guard records about one instance. */
interface Health {
  trapped?: string;
}

let defaultLoader: DefaultLoader | undefined;
let runtime: Runtime | undefined;
let pending: Promise<void> | undefined;

/** @internal Set by each entry point (index.node.ts, index.browser.ts, index.workerd.ts). */
export function setDefaultLoader(loader: DefaultLoader): void {
  defaultLoader = loader;
}

// (module (func (result v128) v128.const 0)) : validates iff the engine has SIMD128.
const SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  22,
  1,
  20,
  0,
  253,
  12,
  ...new Array<number>(16).fill(0),
  11,
]);
// (module (func (result v128) (f32x4.relaxed_madd (v128.const 0) (v128.const 0) (v128.const 0))))
const RELAXED_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  61,
  1,
  59,
  0,
  ...[0, 1, 2].flatMap(() => [253, 12, ...new Array<number>(16).fill(0)]),
  253,
  133,
  2,
  11,
]);

/** Whether this engine runs the relaxed-SIMD build (Chromium, Deno, Bun, workerd, Node >= 22). */
export function relaxedSimdSupported(): boolean {
  return typeof WebAssembly === 'object' && WebAssembly.validate(RELAXED_PROBE);
}

/**
 * Loads the kernels. Idempotent: later calls resolve at once, unless they ask for another
 * variant or pass their own `wasm`, which replaces the running module.
 *
 * @example
 * ```ts
 * import { init, runtimeInfo } from 'contrastive';
 * await init();                    // the packaged .wasm: relaxed SIMD where the engine has it, else SIMD128
 * await init({ threads: 'auto' }); // the threads build on min(cores, 4) threads (bit-identical results)
 * console.log(runtimeInfo().variant, runtimeInfo().threads);
 * ```
 */
export function init(options: InitOptions = {}): Promise<void> {
  if (options === null || typeof options !== 'object') {
    return Promise.reject(new ContrastiveError('INVALID_ARGUMENT', `init: options must be an object, got ${options === null ? 'null' : typeof options}`));
  }
  const want = options.variant ?? 'auto';
  if (want !== 'auto' && want !== 'simd128' && want !== 'relaxed') {
    return Promise.reject(new ContrastiveError('INVALID_ARGUMENT', `init: variant must be 'auto', 'simd128' or 'relaxed', got ${String(want)}`));
  }
  let threads: number | undefined;
  try {
    threads = options.threads === undefined ? undefined : resolveThreads(options.threads);
    if (options.tileCacheBytes !== undefined) {
      tileCacheBytes = checkTileCache(options.tileCacheBytes, 'init: tileCacheBytes');
      runtime?.k.ct_set_tile_cache(tileCacheBytes);
    }
  } catch (e) {
    return Promise.reject(e);
  }
  const sameThreads = threads === undefined || runtime?.threads === threads;
  const sameVariant = want === 'auto' || runtime?.variant === want;
  // a module that trapped, or a thread pool with a failed worker, is replaced by a fresh one
  const healthy = runtime === undefined || (runtime.health.trapped === undefined && runtime.pool?.failure === undefined);
  if (options.wasm === undefined && sameVariant && sameThreads && healthy) {
    if (runtime) return Promise.resolve();
    if (pending && threads === undefined) return pending;
  }
  const variant = want === 'auto' && !healthy && runtime ? runtime.variant : want;
  const p = load(options.wasm, variant, threads ?? runtime?.threads ?? 1).then((rt) => {
    dispose(runtime);
    rt.k.ct_set_tile_cache(tileCacheBytes);
    runtime = rt;
  });
  pending = p;
  const settle = () => {
    if (pending === p) pending = undefined;
  };
  p.then(settle, settle); // handles the rejection on this side chain; the caller gets p itself
  return p;
}

let coreCount: (() => number | undefined) | undefined;

/** @internal Set by an entry point whose runtime can count cores without `navigator` (Node 20 has none). */
export function setCoreCount(count: () => number | undefined): void {
  coreCount = count;
}

function resolveThreads(t: number | 'auto'): number {
  if (t === 'auto') {
    const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? coreCount?.();
    return Math.max(1, Math.min(typeof hc === 'number' && hc > 0 ? hc : 1, 4));
  }
  if (typeof t !== 'number' || !Number.isInteger(t) || t < 1 || t > MAX_THREADS) {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: threads must be an integer from 1 to ${MAX_THREADS} or 'auto', got ${String(t)}`);
  }
  return t;
}

/** Stops a replaced runtime's workers and returns its arena. */
function dispose(rt: Runtime | undefined): void {
  if (!rt) return;
  rt.pool?.terminate();
  rt.arena.release();
}

async function load(source: WasmSource | undefined, want: 'auto' | 'simd128' | 'relaxed', threads: number): Promise<Runtime> {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_PROBE)) {
    throw new ContrastiveError('WASM_UNSUPPORTED', 'init: this JavaScript engine lacks WebAssembly SIMD128');
  }
  const relaxed = relaxedSimdSupported();
  if (want === 'relaxed' && !relaxed) {
    throw new ContrastiveError('WASM_UNSUPPORTED', "init: variant 'relaxed' asked for, but this engine lacks relaxed SIMD");
  }
  const variant: Variant = want === 'auto' ? (relaxed ? 'relaxed' : 'simd128') : want;
  if (threads > 1) return loadThreaded(source, variant, want === 'auto', threads);
  const instance = source !== undefined ? await instantiate(source) : await packaged(variant, false, want === 'auto', instantiate);
  const health: Health = {};
  const k = checkExports(instance.exports, health);
  return { k, variant: isaOf(k), arena: new Arena(k), threads: 1, health };
}

/**
 * Opens (`open`: instantiate or compile) the packaged module of `variant`, its threads build if
 * `threads`. `fallback` (variant 'auto'): a package built with only the simd128 modules still
 * works where relaxed SIMD exists.
 */
async function packaged<T>(variant: Variant, threads: boolean, fallback: boolean, open: (source: WasmSource) => Promise<T>): Promise<T> {
  const loader = defaultLoader;
  if (!loader) throw new ContrastiveError('INVALID_ARGUMENT', 'init: no packaged module for this runtime; pass init({ wasm })');
  const build = (v: Variant): Build => (threads ? `${v}-threads` : v);
  try {
    return await open(await loader(build(variant)));
  } catch (e) {
    if (!fallback || variant === 'simd128') throw e;
    return open(await loader(build('simd128')));
  }
}

/** The instruction set a loaded module reports (ct_isa); the scalar test build is refused. */
function isaOf(k: KernelExports): Variant {
  const isa = ISA_NAMES[k.ct_isa()];
  if (isa !== 'simd128' && isa !== 'relaxed') {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: the module is a ${String(isa)} build; simd128 or relaxed expected`);
  }
  return isa;
}

/**
 * A threads build: one shared memory, this thread's instance, and `threads - 1` workers.
 * `fallback`: the variant was 'auto', so a package without the relaxed threads module runs the
 * simd128 one.
 */
async function loadThreaded(source: WasmSource | undefined, variant: Variant, fallback: boolean, threads: number): Promise<Runtime> {
  const why = threadsUnsupportedReason();
  if (why !== undefined) throw new ContrastiveError('WASM_UNSUPPORTED', `init: threads: ${threads} asked for, but ${why}`);
  const module = source !== undefined ? await compile(source) : await packaged(variant, true, fallback, compile);
  const memory = sharedMemory();
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: with threads, wasm must be a threads build (${String(e)})`);
  }
  if (!isThreadsBuild(instance.exports)) {
    throw new ContrastiveError('INVALID_ARGUMENT', 'init: with threads, wasm must be a threads build (simd128-threads or relaxed-threads)');
  }
  const missing = missingExports(instance.exports, THREAD_EXPORTS);
  if (missing.length > 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: the module is not a contrastive threads build (missing ${missing.join(', ')})`);
  }
  // The threads build imports its memory instead of exporting it; the ops read k.memory.
  const health: Health = {};
  const k = checkExports({ ...instance.exports, memory }, health);
  const isa = isaOf(k);
  if (source !== undefined && !fallback && isa !== variant) {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: variant '${variant}' asked for, but the given module is the ${isa}-threads build`);
  }
  const pool = await ThreadPool.start(module, memory, k as unknown as ThreadExports, threads);
  return { k, variant: isa, arena: new Arena(k), threads, pool, health };
}

/** CompileError / LinkError (not a wasm module, not ours, a missing import) as a ContrastiveError. */
async function opening<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof ContrastiveError) throw e;
    const name = e instanceof Error ? e.name : 'Error';
    throw new ContrastiveError('INVALID_ARGUMENT', `init: the module could not be loaded (${name}: ${e instanceof Error ? e.message : String(e)})`);
  }
}

function compile(source: WasmSource): Promise<WebAssembly.Module> {
  return opening(() => compileRaw(source));
}

function instantiate(source: WasmSource): Promise<WebAssembly.Instance> {
  return opening(() => instantiateRaw(source));
}

async function compileRaw(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof URL) return compileRaw(fetch(source));
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return WebAssembly.compile(source);
  const response = await source;
  if (typeof Response !== 'undefined' && response instanceof Response) {
    if (!response.ok) {
      throw new ContrastiveError('INVALID_ARGUMENT', `init: fetching the module failed with HTTP ${response.status} (${response.url})`);
    }
    return WebAssembly.compile(await response.arrayBuffer());
  }
  throw new ContrastiveError('INVALID_ARGUMENT', 'init: wasm must be a WebAssembly.Module, bytes, a URL or a Response');
}

async function instantiateRaw(source: WasmSource): Promise<WebAssembly.Instance> {
  if (source instanceof WebAssembly.Module) return WebAssembly.instantiate(source, {});
  if (source instanceof URL) return instantiateRaw(fetch(source));
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
    return (await WebAssembly.instantiate(source, {})).instance;
  }
  const response = await source;
  if (typeof Response !== 'undefined' && response instanceof Response) {
    if (!response.ok) {
      throw new ContrastiveError('INVALID_ARGUMENT', `init: fetching the module failed with HTTP ${response.status} (${response.url})`);
    }
    const streaming =
      typeof WebAssembly.instantiateStreaming === 'function' && response.headers.get('content-type')?.split(';')[0].trim() === 'application/wasm';
    if (streaming) return (await WebAssembly.instantiateStreaming(response, {})).instance;
    return (await WebAssembly.instantiate(await response.arrayBuffer(), {})).instance;
  }
  throw new ContrastiveError('INVALID_ARGUMENT', 'init: wasm must be a WebAssembly.Module, bytes, a URL or a Response');
}

function checkExports(exports: WebAssembly.Exports, health: Health): KernelExports {
  const missing = missingExports(exports);
  if (missing.length > 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: the module is not the contrastive kernels (missing ${missing.join(', ')})`);
  }
  const k = exports as unknown as KernelExports;
  if (k.ct_abi_version() !== ABI_VERSION) {
    throw new ContrastiveError('INVALID_ARGUMENT', `init: kernels ABI ${k.ct_abi_version()}, this package needs ${ABI_VERSION}`);
  }
  // wasm32 returns addresses as i32: past 2 GiB of memory they would arrive negative and every
  // typed-array view of them would throw; as unsigned they are right (JS -> wasm wraps back)
  const alloc = k.ct_alloc;
  return guard({ ...k, ct_alloc: (bytes: number) => alloc(bytes) >>> 0 }, health);
}

/**
 * Every kernel export behind a guard: a trap (WebAssembly.RuntimeError, which validation at the
 * edge should make impossible) becomes a ContrastiveError, and the instance is marked: its
 * memory may be corrupt, so every later call is refused until init() loads a fresh one.
 */
function guard(k: KernelExports, health: Health): KernelExports {
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(k)) {
    if (typeof v !== 'function') {
      out[name] = v;
      continue;
    }
    const f = v as (...a: number[]) => number;
    out[name] = (...a: number[]) => {
      if (health.trapped !== undefined) {
        if (name === 'ct_free') return 0; // free() stays safe on a dead instance
        throw trappedError(name, health);
      }
      try {
        return f(...a);
      } catch (e) {
        if (!(e instanceof WebAssembly.RuntimeError)) throw e;
        health.trapped = `${name}: ${e.message}`;
        const poisoned = (k as unknown as { ct_threads_poisoned?: () => number }).ct_threads_poisoned;
        if (poisoned !== undefined && poisoned() !== 0) {
          // the caller stopped waiting for a pool worker that died inside the job
          health.trapped = `${name}: a thread pool worker stopped during the call`;
          throw new ContrastiveError(
            'NOT_INITIALIZED',
            `${name}: a thread pool worker stopped during the call (its thread was terminated or crashed), so the call's result is lost; \`await init()\` starts a fresh instance and thread pool`,
          );
        }
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${name}: the kernel trapped (${e.message}), a validation gap: please report it; \`await init()\` starts a fresh instance`,
        );
      }
    };
  }
  return out as unknown as KernelExports;
}

function trappedError(op: string, health: Health): ContrastiveError {
  return new ContrastiveError(
    'NOT_INITIALIZED',
    `${op}: the kernels trapped earlier (${health.trapped}) and this instance may be corrupt; \`await init()\` starts a fresh one`,
  );
}

/** @internal The running kernels, for the ops. */
export function getRuntime(op: string): Runtime {
  if (!runtime) throw new ContrastiveError('NOT_INITIALIZED', `${op}: call \`await init()\` first`);
  if (runtime.health.trapped !== undefined) throw trappedError(op, runtime.health);
  return runtime;
}

export function runtimeInfo(): RuntimeInfo {
  if (!runtime) throw new ContrastiveError('NOT_INITIALIZED', 'runtimeInfo: call `await init()` first');
  const rt = runtime;
  const threadError = rt.pool?.failure;
  const info: RuntimeInfo = {
    variant: rt.variant,
    threads: threadError === undefined ? rt.threads : 1,
    threadsRequested: rt.threads,
    memoryBytes: rt.k.memory.buffer.byteLength,
    tileCacheBytes,
    version: VERSION,
  };
  if (threadError !== undefined) info.threadError = threadError;
  return info;
}

/**
 * Sets how many bytes the two-pass loss kernels (`ntXent`, `supCon`, `infoNce` with
 * `symmetric: true`) may keep between their passes; returns the previous setting.
 *
 * Their first pass computes every logit tile for the softmax sums, their second needs the
 * tiles again for the gradient. Within the budget the second pass reuses the first pass's
 * exponentials instead of recomputing them: a quarter fewer flops for NT-Xent and SupCon
 * (3 R^2 D instead of 4 R^2 D for R rows of dimension D), for 2 R^2 bytes of memory (the upper
 * triangle of the R x R logits; CLIP's N x N: 4 N^2 bytes). Batches beyond the budget keep as
 * many row panels as fit and recompute the rest. Results are bit-identical for any budget;
 * 0 gives the lowest memory (scratch O(64 x 2048) floats). The default, 64 MiB, covers NT-Xent
 * up to 2N = 5,792 rows. Like all scratch, the memory stays with the module once grown.
 * Applies to every later call, and is kept when `init` loads another module.
 */
export function setTileCache(bytes: number): number {
  const next = checkTileCache(bytes, 'setTileCache: bytes');
  const prev = tileCacheBytes;
  tileCacheBytes = next;
  runtime?.k.ct_set_tile_cache(next);
  return prev;
}

function checkTileCache(bytes: unknown, what: string): number {
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 0 || bytes > 2 ** 32 - 1) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${what} must be an integer from 0 to 2^32 - 1 (bytes), got ${String(bytes)}`);
  }
  return bytes;
}
