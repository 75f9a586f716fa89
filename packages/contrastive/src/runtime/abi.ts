// The typed face of the kernels' C ABI (crates/contrastive-kernels/src/abi.rs): pointers are
// byte offsets into the module's memory, lengths are element counts.

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  ct_abi_version(): number;
  ct_isa(): number;
  ct_alloc(bytes: number): number;
  ct_free(ptr: number, bytes: number): void;
  ct_ntxent(z: number, rows: number, d: number, tau: number, gz: number, out: number): number;
  ct_infonce(q: number, k: number, n: number, d: number, tau: number, symmetric: number, gq: number, gk: number, out: number): number;
  ct_infonce_negatives(
    q: number, p: number, n: number, neg: number, m: number, d: number, tau: number,
    gq: number, gp: number, gneg: number, out: number,
  ): number;
  ct_supcon(z: number, labels: number, rows: number, d: number, tau: number, gz: number, out: number): number;
  ct_cosine(a: number, ra: number, b: number, rb: number, d: number, out: number): number;
  ct_gemm(m: number, n: number, k: number, a: number, transA: number, b: number, transB: number, c: number, accumulate: number): number;
  ct_softmax_xent(logits: number, n: number, c: number, labels: number, grad: number, out: number): number;
}

export const ABI_VERSION = 1;
export const STATUS_OK = 0;
export const STATUS_OUT_OF_MEMORY = 1;
export const STATUS_INVALID_ARGUMENT = 2;
export const ISA_NAMES = ['scalar', 'simd128', 'relaxed'] as const;

const REQUIRED: (keyof KernelExports)[] = [
  'memory', 'ct_abi_version', 'ct_isa', 'ct_alloc', 'ct_free', 'ct_ntxent', 'ct_infonce',
  'ct_infonce_negatives', 'ct_supcon', 'ct_cosine', 'ct_gemm', 'ct_softmax_xent',
];

/** The exports' names that a module must have to be ours. */
export function missingExports(exports: WebAssembly.Exports): string[] {
  return REQUIRED.filter((k) => !(k in exports));
}
