// The typed face of the kernels' C ABI (crates/contrastive-kernels/src/abi.rs): pointers are
// byte offsets into the module's memory, lengths are element counts.

export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  ct_abi_version(): number;
  ct_isa(): number;
  ct_alloc(bytes: number): number;
  ct_free(ptr: number, bytes: number): void;
  /** Index of the first NaN / +-inf of the len floats at x; -1 when all are finite. */
  ct_first_nonfinite(x: number, len: number): number;
  /** Bytes the two-pass losses may keep between their passes; returns the previous budget. */
  ct_set_tile_cache(bytes: number): number;
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
  // layers (src/nn): dx pointers may be 0 (skip); parameter gradients accumulate
  ct_linear_forward(x: number, n: number, din: number, w: number, dout: number, b: number, y: number): number;
  ct_linear_backward(x: number, n: number, din: number, w: number, dout: number, dy: number, dx: number, dw: number, db: number): number;
  ct_activation_forward(kind: number, x: number, len: number, y: number): number;
  ct_activation_backward(kind: number, x: number, dy: number, len: number, dx: number): number;
  ct_mul(a: number, b: number, len: number, out: number): number;
  ct_dropout_forward(
    x: number, len: number, p: number, seedLo: number, seedHi: number, streamLo: number, streamHi: number, y: number, mask: number,
  ): number;
  ct_batchnorm_forward(
    x: number, n: number, c: number, l: number, gamma: number, beta: number, runningMean: number, runningVar: number,
    momentum: number, eps: number, training: number, y: number, saveMean: number, saveInvstd: number,
  ): number;
  ct_batchnorm_backward(
    x: number, dy: number, n: number, c: number, l: number, gamma: number, saveMean: number, saveInvstd: number,
    training: number, dx: number, dgamma: number, dbeta: number,
  ): number;
  ct_conv2d_forward(geom: number, x: number, w: number, b: number, y: number): number;
  ct_conv2d_backward(geom: number, x: number, w: number, dy: number, dx: number, dw: number, db: number): number;
  ct_pool2d_forward(kind: number, geom: number, x: number, y: number, idx: number): number;
  ct_pool2d_backward(kind: number, geom: number, dy: number, idx: number, dx: number): number;
  ct_global_avgpool_forward(x: number, planes: number, hw: number, y: number): number;
  ct_global_avgpool_backward(dy: number, planes: number, hw: number, dx: number): number;
  ct_l2normalize_forward(x: number, rows: number, d: number, y: number): number;
  ct_l2normalize_backward(x: number, dy: number, rows: number, d: number, dx: number): number;
  // optimizers (src/optim)
  ct_sgd_step(p: number, g: number, buf: number, len: number, lr: number, momentum: number, dampening: number, wd: number, nesterov: number, first: number): number;
  ct_adam_step(p: number, g: number, m: number, v: number, len: number, lr: number, b1: number, b2: number, eps: number, wd: number, decoupled: number, t: number): number;
  ct_lars_step(w: number, g: number, v: number, len: number, lr: number, momentum: number, wd: number, eta: number, adapt: number, nesterov: number, out: number): number;
  ct_sumsq(x: number, len: number, out: number): number;
  ct_scale(x: number, len: number, s: number): number;
  // augmentations (crates/contrastive-kernels/src/augment): float32 NCHW batches in [0, 1]
  ct_aug_philox(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, out: number): number;
  ct_aug_from_hwc(src: number, isU8: number, n: number, h: number, w: number, cIn: number, out: number): number;
  ct_aug_resized_crop(
    src: number, n: number, c: number, h: number, w: number, boxes: number, flags: number, oh: number, ow: number, out: number,
  ): number;
  ct_aug_flip(x: number, n: number, c: number, h: number, w: number, flags: number): number;
  ct_aug_affine(src: number, n: number, c: number, h: number, w: number, mats: number, nearest: number, fill: number, out: number): number;
  ct_aug_color_jitter(x: number, n: number, c: number, h: number, w: number, factors: number, orders: number): number;
  /** Whole images of len floats: dst[j] = src[idx[j]] (scatter 0) or dst[idx[j]] = src[j] (scatter 1), j < m. */
  ct_aug_move_images(src: number, nSrc: number, dst: number, nDst: number, len: number, idx: number, m: number, scatter: number): number;
  ct_aug_grayscale(x: number, n: number, c: number, h: number, w: number, flags: number): number;
  ct_aug_gaussian_blur(x: number, n: number, c: number, h: number, w: number, k: number, sigmas: number): number;
  ct_aug_solarize(x: number, n: number, len: number, thresholds: number): number;
  ct_aug_normalize(x: number, n: number, c: number, hw: number, mean: number, std: number): number;
  ct_aug_erase(x: number, n: number, c: number, h: number, w: number, boxes: number, values: number): number;
  ct_aug_noise(x: number, n: number, len: number, keys: number, sigmas: number, clip: number): number;
  // residual networks (crates/contrastive-kernels/src/abi/resnet.rs)
  /** y = a + b, or max(a + b, 0) when relu != 0 (len floats each). */
  ct_residual_add(a: number, b: number, len: number, relu: number, y: number): number;
  /** As ct_conv2d_backward, but dw may be 0 too (a frozen weight): only what is asked for is computed. */
  ct_conv2d_backward_some(geom: number, x: number, w: number, dy: number, dx: number, dw: number, db: number): number;
  // text layers (crates/contrastive-kernels/src/abi/text.rs): ids u32, masks f32 (0 = padding)
  ct_embedding_forward(w: number, vocab: number, dim: number, ids: number, n: number, y: number): number;
  ct_embedding_backward(
    ids: number, n: number, dy: number, dim: number, vocab: number, padding: number, mask: number, dw: number, mark: number, list: number, len: number,
  ): number;
  ct_embedding_zero_rows(dw: number, dim: number, vocab: number, mark: number, list: number, len: number): number;
  ct_sgd_rows(p: number, g: number, dim: number, vocab: number, list: number, len: number, lr: number): number;
  ct_sparse_adam_rows(
    p: number, g: number, m: number, v: number, dim: number, vocab: number, list: number, len: number,
    lr: number, b1: number, b2: number, eps: number, t: number,
  ): number;
  ct_token_pool_forward(kind: number, x: number, b: number, s: number, d: number, mask: number, y: number, arg: number): number;
  ct_token_pool_backward(kind: number, dy: number, b: number, s: number, d: number, mask: number, arg: number, dx: number): number;
  ct_layernorm_forward(x: number, n: number, d: number, gamma: number, beta: number, eps: number, y: number, save: number): number;
  ct_layernorm_backward(x: number, dy: number, n: number, d: number, gamma: number, save: number, dx: number, dgamma: number, dbeta: number): number;
  ct_add(a: number, b: number, len: number, out: number): number;
  ct_qkv_forward(x: number, n: number, hd: number, wq: number, bq: number, wk: number, bk: number, wv: number, bv: number, qkv: number): number;
  ct_qkv_backward(
    x: number, n: number, hd: number, wq: number, wk: number, wv: number, dqkv: number, dx: number,
    dwq: number, dbq: number, dwk: number, dbk: number, dwv: number, dbv: number,
  ): number;
  ct_attention_forward(
    b: number, s: number, heads: number, dh: number, qkv: number, mask: number,
    p: number, seedLo: number, seedHi: number, streamLo: number, streamHi: number, ctx: number, lse: number,
  ): number;
  ct_attention_backward(
    b: number, s: number, heads: number, dh: number, qkv: number, mask: number,
    p: number, seedLo: number, seedHi: number, streamLo: number, streamHi: number, ctx: number, lse: number, dctx: number, dqkv: number,
  ): number;
  ct_attention_scratch_floats(s: number): number;
}

export const ABI_VERSION = 1;
export const STATUS_OK = 0;
export const STATUS_OUT_OF_MEMORY = 1;
export const STATUS_INVALID_ARGUMENT = 2;
export const ISA_NAMES = ['scalar', 'simd128', 'relaxed'] as const;

const REQUIRED: (keyof KernelExports)[] = [
  'memory', 'ct_abi_version', 'ct_isa', 'ct_alloc', 'ct_free', 'ct_first_nonfinite', 'ct_set_tile_cache', 'ct_ntxent', 'ct_infonce',
  'ct_infonce_negatives', 'ct_supcon', 'ct_cosine', 'ct_gemm', 'ct_softmax_xent',
  'ct_linear_forward', 'ct_linear_backward', 'ct_activation_forward', 'ct_activation_backward', 'ct_mul',
  'ct_dropout_forward', 'ct_batchnorm_forward', 'ct_batchnorm_backward', 'ct_conv2d_forward', 'ct_conv2d_backward',
  'ct_pool2d_forward', 'ct_pool2d_backward', 'ct_global_avgpool_forward', 'ct_global_avgpool_backward',
  'ct_l2normalize_forward', 'ct_l2normalize_backward', 'ct_sgd_step', 'ct_adam_step', 'ct_lars_step', 'ct_sumsq', 'ct_scale',
  'ct_aug_philox', 'ct_aug_from_hwc', 'ct_aug_resized_crop', 'ct_aug_flip', 'ct_aug_affine', 'ct_aug_color_jitter',
  'ct_aug_grayscale', 'ct_aug_gaussian_blur', 'ct_aug_solarize', 'ct_aug_normalize', 'ct_aug_erase', 'ct_aug_noise',
  'ct_aug_move_images',
  // residual networks
  'ct_residual_add', 'ct_conv2d_backward_some',
  // text layers
  'ct_embedding_forward', 'ct_embedding_backward', 'ct_embedding_zero_rows', 'ct_sgd_rows', 'ct_sparse_adam_rows',
  'ct_token_pool_forward', 'ct_token_pool_backward', 'ct_layernorm_forward', 'ct_layernorm_backward', 'ct_add',
  'ct_qkv_forward', 'ct_qkv_backward', 'ct_attention_forward', 'ct_attention_backward', 'ct_attention_scratch_floats',
];

/** The exports' names that a module must have to be ours. */
export function missingExports(exports: WebAssembly.Exports): string[] {
  return REQUIRED.filter((k) => !(k in exports));
}
