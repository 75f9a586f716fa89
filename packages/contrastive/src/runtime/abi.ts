// The typed face of the kernels' C ABI (crates/contrastive-kernels/src/abi.rs and abi/<domain>.rs):
// pointers are byte offsets into the module's memory, lengths are element counts.
//
// One table is the source of truth: each domain file under ./abi/ declares its interface and a
// table of the same names with their arities (the type checker ties the two together), ./abi/index.ts
// lists the domains, and abi.test.ts compares the tables with the exports of the four built .wasm
// files. To add a domain: a new ./abi/<domain>.ts and one `export *` line in ./abi/index.ts.
import * as domains from './abi/index.js';
import { threads } from './abi/threads.js';
import type { ExportShape, ExportsOf } from './abi/table.js';

export type { ThreadExports } from './abi/threads.js';
export type { ExportShape } from './abi/table.js';

type Domains = typeof domains;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** Every export of every build: the intersection of the domains' interfaces. */
export type KernelExports = UnionToIntersection<{ [K in keyof Domains]: ExportsOf<Domains[K]> }[keyof Domains]>;

/** The exports every build has, by name. */
export const KERNEL_EXPORTS: Readonly<Record<string, ExportShape>> = Object.assign({}, ...Object.values(domains));
/** The exports only the threads builds have (besides importing their memory instead of exporting it). */
export const THREAD_EXPORTS: Readonly<Record<string, ExportShape>> = threads;
/** Globals the linker exports from every build; nothing reads them. */
export const LINKER_EXPORTS: readonly string[] = ['__data_end', '__heap_base'];

export const ABI_VERSION = 1;
export const STATUS_OK = 0;
export const STATUS_OUT_OF_MEMORY = 1;
export const STATUS_INVALID_ARGUMENT = 2;
export const ISA_NAMES = ['scalar', 'simd128', 'relaxed'] as const;

/** The names of `table` (default: the exports every build has) that `exports` lacks. */
export function missingExports(exports: WebAssembly.Exports, table: Readonly<Record<string, ExportShape>> = KERNEL_EXPORTS): string[] {
  return Object.keys(table).filter((k) => !(k in exports));
}
