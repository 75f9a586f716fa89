// Residual networks (crates/contrastive-kernels/src/abi/resnet.rs): the residual join, and the
// conv backward that computes only the gradients asked for (frozen weights).
import { table } from './table.js';

export interface ResnetExports {
  /** y = a + b, or max(a + b, 0) when relu != 0 (len floats each). */
  ct_residual_add(a: number, b: number, len: number, relu: number, y: number): number;
  /** As ct_conv2d_backward, but dw may be 0 too (a frozen weight): only what is asked for is computed. */
  ct_conv2d_backward_some(geom: number, x: number, w: number, dy: number, dx: number, dw: number, db: number): number;
  /** 3x3 stride-1 convolutions: 0 by shape, 1 im2col, 2 Winograd F(2x2, 3x3); returns the previous setting. */
  ct_conv_algorithm(algorithm: number): number;
}

export const resnet = table<ResnetExports>({ ct_residual_add: 5, ct_conv2d_backward_some: 7, ct_conv_algorithm: 1 });
