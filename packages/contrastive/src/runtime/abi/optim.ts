// Optimizers (crates/contrastive-kernels/src/abi/optim.rs): one step on one tensor, and gradient clipping's pieces.
import { table } from './table.js';

export interface OptimExports {
  ct_sgd_step(
    p: number,
    g: number,
    buf: number,
    len: number,
    lr: number,
    momentum: number,
    dampening: number,
    wd: number,
    nesterov: number,
    first: number,
  ): number;
  ct_adam_step(
    p: number,
    g: number,
    m: number,
    v: number,
    len: number,
    lr: number,
    b1: number,
    b2: number,
    eps: number,
    wd: number,
    decoupled: number,
    t: number,
  ): number;
  ct_lars_step(
    w: number,
    g: number,
    v: number,
    len: number,
    lr: number,
    momentum: number,
    wd: number,
    eta: number,
    adapt: number,
    nesterov: number,
    out: number,
  ): number;
  ct_sumsq(x: number, len: number, out: number): number;
  ct_scale(x: number, len: number, s: number): number;
}

export const optim = table<OptimExports>({ ct_sgd_step: 10, ct_adam_step: 12, ct_lars_step: 11, ct_sumsq: 3, ct_scale: 3 });
