// The choice of convolution algorithm for 3x3 stride-1 layers (kernels: nn/conv2d.rs, nn/winograd.rs).
import { ContrastiveError } from '../errors.js';
import { getRuntime } from '../runtime/init.js';

export type ConvAlgorithm = 'auto' | 'im2col' | 'winograd' | 'winograd4';
const NAMES: ConvAlgorithm[] = ['auto', 'im2col', 'winograd', 'winograd4'];

/**
 * How Conv2d runs 3x3 stride-1 layers with padding 0 or 1 (every other shape uses im2col):
 * - 'winograd' = Winograd F(2x2, 3x3): 2.25x fewer multiply-adds than im2col; rounds differently
 *   from it, by about 1e-6 of the output's scale in float32;
 * - 'winograd4' = Winograd F(4x4, 3x3): 4x fewer multiply-adds; its transforms scale values by up
 *   to 8 and 1/24, so it differs from im2col by about 1e-5 of the output's scale (tests bound it at 1e-4);
 * - 'im2col' = patches + one GEMM;
 * - 'auto' (default) = im2col below 8 input or output channels, 'winograd4' from 32 channels each
 *   way when the batch has at least 64 of its 4x4 output tiles and they cover at most 1/8 more
 *   than the 2x2 tiles would (so 14 x 14 outputs stay on 'winograd'), 'winograd' otherwise.
 * Forward and both backward products follow the setting; results stay bit-identical across
 * thread counts either way. Applies to the whole runtime (all modules, all threads) until
 * changed; returns the previous setting.
 */
export function setConvAlgorithm(algorithm: ConvAlgorithm): ConvAlgorithm {
  const i = NAMES.indexOf(algorithm);
  if (i < 0)
    throw new ContrastiveError('INVALID_ARGUMENT', `setConvAlgorithm: algorithm must be 'auto', 'im2col', 'winograd' or 'winograd4', got ${String(algorithm)}`);
  return NAMES[getRuntime('setConvAlgorithm').k.ct_conv_algorithm(i)] ?? 'auto';
}
