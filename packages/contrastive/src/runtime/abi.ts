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
  // augmentations (crates/contrastive-kernels/src/augment): float32 NCHW batches in [0, 1]
  ct_aug_philox(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, out: number): number;
  ct_aug_from_hwc(src: number, isU8: number, n: number, h: number, w: number, cIn: number, out: number): number;
  ct_aug_resized_crop(
    src: number, n: number, c: number, h: number, w: number, boxes: number, flags: number, oh: number, ow: number, out: number,
  ): number;
  ct_aug_flip(x: number, n: number, c: number, h: number, w: number, flags: number): number;
  ct_aug_affine(src: number, n: number, c: number, h: number, w: number, mats: number, nearest: number, fill: number, out: number): number;
  ct_aug_color_jitter(x: number, n: number, c: number, h: number, w: number, factors: number, orders: number): number;
  ct_aug_grayscale(x: number, n: number, c: number, h: number, w: number, flags: number): number;
  ct_aug_gaussian_blur(x: number, n: number, c: number, h: number, w: number, k: number, sigmas: number): number;
  ct_aug_solarize(x: number, n: number, len: number, thresholds: number): number;
  ct_aug_normalize(x: number, n: number, c: number, hw: number, mean: number, std: number): number;
  ct_aug_erase(x: number, n: number, c: number, h: number, w: number, boxes: number, values: number): number;
  ct_aug_noise(x: number, n: number, len: number, keys: number, sigmas: number, clip: number): number;
}

export const ABI_VERSION = 1;
export const STATUS_OK = 0;
export const STATUS_OUT_OF_MEMORY = 1;
export const STATUS_INVALID_ARGUMENT = 2;
export const ISA_NAMES = ['scalar', 'simd128', 'relaxed'] as const;

const REQUIRED: (keyof KernelExports)[] = [
  'memory', 'ct_abi_version', 'ct_isa', 'ct_alloc', 'ct_free', 'ct_ntxent', 'ct_infonce',
  'ct_infonce_negatives', 'ct_supcon', 'ct_cosine',
  'ct_aug_philox', 'ct_aug_from_hwc', 'ct_aug_resized_crop', 'ct_aug_flip', 'ct_aug_affine', 'ct_aug_color_jitter',
  'ct_aug_grayscale', 'ct_aug_gaussian_blur', 'ct_aug_solarize', 'ct_aug_normalize', 'ct_aug_erase', 'ct_aug_noise',
];

/** The exports' names that a module must have to be ours. */
export function missingExports(exports: WebAssembly.Exports): string[] {
  return REQUIRED.filter((k) => !(k in exports));
}
