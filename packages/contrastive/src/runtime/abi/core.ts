// Memory (crates/contrastive-kernels/src/abi.rs): pointers are byte offsets into the module's
// memory, lengths are element counts.
import { table } from './table.js';

export interface CoreExports {
  /** Exported by the single-threaded builds; the threads builds import it (`env.memory`) and the loader puts it here. */
  readonly memory: WebAssembly.Memory;
  ct_alloc(bytes: number): number;
  ct_free(ptr: number, bytes: number): void;
}

export const core = table<CoreExports>({ memory: 'memory', ct_alloc: 1, ct_free: 2 });
