// Augmentations (crates/contrastive-kernels/src/abi/augment.rs): float32 NCHW batches in [0, 1].
import { table } from './table.js';

export interface AugmentExports {
  ct_aug_philox(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, out: number): number;
  ct_aug_from_hwc(src: number, isU8: number, n: number, h: number, w: number, cIn: number, out: number): number;
  ct_aug_resized_crop(src: number, n: number, c: number, h: number, w: number, boxes: number, flags: number, oh: number, ow: number, out: number): number;
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
}

export const augment = table<AugmentExports>({
  ct_aug_philox: 7,
  ct_aug_from_hwc: 7,
  ct_aug_resized_crop: 10,
  ct_aug_flip: 6,
  ct_aug_affine: 9,
  ct_aug_color_jitter: 7,
  ct_aug_move_images: 8,
  ct_aug_grayscale: 6,
  ct_aug_gaussian_blur: 7,
  ct_aug_solarize: 4,
  ct_aug_normalize: 6,
  ct_aug_erase: 7,
  ct_aug_noise: 6,
});
