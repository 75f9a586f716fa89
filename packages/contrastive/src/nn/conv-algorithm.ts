// The choice of convolution algorithm for 3x3 stride-1 layers (kernels: nn/conv2d.rs, nn/winograd.rs).
import { ContrastiveError } from '../errors.js';
import { getRuntime } from '../runtime/init.js';

export type ConvAlgorithm = 'auto' | 'im2col' | 'winograd';
const NAMES: ConvAlgorithm[] = ['auto', 'im2col', 'winograd'];

/**
 * How Conv2d runs 3x3 stride-1 layers with padding 0 or 1 (every other shape uses im2col):
 * 'winograd' = Winograd F(2x2, 3x3) (2.25x fewer multiply-adds; rounds differently from
 * im2col, by about 1e-6 of the output's scale in float32), 'im2col' = patches + one GEMM,
 * 'auto' (default) = Winograd when the layer has at least 8 input and 8 output channels.
 * Forward and both backward products follow the setting; results stay bit-identical across
 * thread counts either way. Applies to the whole runtime (all modules, all threads) until
 * changed; returns the previous setting.
 */
export function setConvAlgorithm(algorithm: ConvAlgorithm): ConvAlgorithm {
  const i = NAMES.indexOf(algorithm);
  if (i < 0) throw new ContrastiveError('INVALID_ARGUMENT', `setConvAlgorithm: algorithm must be 'auto', 'im2col' or 'winograd', got ${String(algorithm)}`);
  return NAMES[getRuntime('setConvAlgorithm').k.ct_conv_algorithm(i)] ?? 'auto';
}
