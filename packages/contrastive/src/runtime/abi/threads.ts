// The threads builds' extra exports (crates/contrastive-kernels/src/abi/runtime.rs, mod threads,
// and the linker's stack/TLS globals): not in the single-threaded builds, so not part of
// KernelExports; the threads loader checks them separately.
import { table } from './table.js';

export interface ThreadExports {
  ct_set_threads(n: number): number;
  ct_set_threads_min_work(madds: number): void;
  ct_threads_ready(): number;
  ct_threads_worker_parts(): number;
  ct_thread_alloc(stackBytes: number, tlsSize: number, tlsAlign: number): number;
  ct_thread_run(id: number): number;
  ct_thread_poison(): void;
  ct_threads_poisoned(): number;
  __wasm_init_tls(tls: number): void;
  __stack_pointer: WebAssembly.Global;
  __tls_base: WebAssembly.Global;
  __tls_size: WebAssembly.Global;
  __tls_align: WebAssembly.Global;
}

export const threads = table<ThreadExports>({
  ct_set_threads: 1,
  ct_set_threads_min_work: 1,
  ct_threads_ready: 0,
  ct_threads_worker_parts: 0,
  ct_thread_alloc: 3,
  ct_thread_run: 1,
  ct_thread_poison: 0,
  ct_threads_poisoned: 0,
  __wasm_init_tls: 1,
  __stack_pointer: 'global',
  __tls_base: 'global',
  __tls_size: 'global',
  __tls_align: 'global',
});
