// Layers and the matrix product (crates/contrastive-kernels/src/abi/nn.rs): dx pointers may be 0
// (skip); parameter gradients accumulate.
import { table } from './table.js';

export interface NnExports {
  ct_gemm(m: number, n: number, k: number, a: number, transA: number, b: number, transB: number, c: number, accumulate: number): number;
  ct_linear_forward(x: number, n: number, din: number, w: number, dout: number, b: number, y: number): number;
  ct_linear_backward(x: number, n: number, din: number, w: number, dout: number, dy: number, dx: number, dw: number, db: number): number;
  ct_activation_forward(kind: number, x: number, len: number, y: number): number;
  ct_activation_backward(kind: number, x: number, dy: number, len: number, dx: number): number;
  ct_mul(a: number, b: number, len: number, out: number): number;
  ct_dropout_forward(x: number, len: number, p: number, seedLo: number, seedHi: number, streamLo: number, streamHi: number, y: number, mask: number): number;
  ct_batchnorm_forward(
    x: number,
    n: number,
    c: number,
    l: number,
    gamma: number,
    beta: number,
    runningMean: number,
    runningVar: number,
    momentum: number,
    eps: number,
    training: number,
    y: number,
    saveMean: number,
    saveInvstd: number,
  ): number;
  ct_batchnorm_backward(
    x: number,
    dy: number,
    n: number,
    c: number,
    l: number,
    gamma: number,
    saveMean: number,
    saveInvstd: number,
    training: number,
    dx: number,
    dgamma: number,
    dbeta: number,
  ): number;
  ct_conv2d_forward(geom: number, x: number, w: number, b: number, y: number): number;
  ct_conv2d_backward(geom: number, x: number, w: number, dy: number, dx: number, dw: number, db: number): number;
  ct_pool2d_forward(kind: number, geom: number, x: number, y: number, idx: number): number;
  ct_pool2d_backward(kind: number, geom: number, dy: number, idx: number, dx: number): number;
  ct_global_avgpool_forward(x: number, planes: number, hw: number, y: number): number;
  ct_global_avgpool_backward(dy: number, planes: number, hw: number, dx: number): number;
  ct_l2normalize_forward(x: number, rows: number, d: number, y: number): number;
  ct_l2normalize_backward(x: number, dy: number, rows: number, d: number, dx: number): number;
}

export const nn = table<NnExports>({
  ct_gemm: 9,
  ct_linear_forward: 7,
  ct_linear_backward: 9,
  ct_activation_forward: 4,
  ct_activation_backward: 5,
  ct_mul: 4,
  ct_dropout_forward: 9,
  ct_batchnorm_forward: 14,
  ct_batchnorm_backward: 12,
  ct_conv2d_forward: 5,
  ct_conv2d_backward: 7,
  ct_pool2d_forward: 5,
  ct_pool2d_backward: 5,
  ct_global_avgpool_forward: 4,
  ct_global_avgpool_backward: 4,
  ct_l2normalize_forward: 4,
  ct_l2normalize_backward: 5,
});
