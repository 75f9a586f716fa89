// Self-supervised and metric-learning losses beyond InfoNCE, and the momentum (EMA) update
// (crates/contrastive-kernels/src/abi/methods.rs).
import { table } from './table.js';

export interface MethodsExports {
  /** Triplet margin loss with mining; metric 0 Euclidean / 1 cosine; mining 0..5 = all, hard, semihard, easy, batchHard, batchSemiHard; reduction 0 meanNonZero / 1 mean. */
  ct_triplet(
    z: number,
    labels: number,
    rows: number,
    d: number,
    margin: number,
    metric: number,
    normalize: number,
    mining: number,
    minerMargin: number,
    reduction: number,
    gz: number,
    out: number,
  ): number;
  /** Multi-similarity loss; mine != 0 applies the miner with epsilon. */
  ct_multisim(
    z: number,
    labels: number,
    rows: number,
    d: number,
    alpha: number,
    beta: number,
    base: number,
    mine: number,
    epsilon: number,
    gz: number,
    out: number,
  ): number;
  /** DCL (sigma 0) or DCLW (sigma > 0) on two views of n >= 2 rows. */
  ct_dcl(a: number, b: number, n: number, d: number, tau: number, sigma: number, ga: number, gb: number, out: number): number;
  ct_negcos(a: number, b: number, n: number, d: number, ga: number, gb: number, out: number): number;
  ct_barlow(a: number, b: number, n: number, d: number, lambda: number, ga: number, gb: number, out: number): number;
  ct_vicreg(a: number, b: number, n: number, d: number, lambda: number, mu: number, nu: number, eps: number, ga: number, gb: number, out: number): number;
  /** target <- m target + (1 - m) online over len floats; m is an f64. */
  ct_ema(target: number, online: number, len: number, m: number): number;
}

export const methods = table<MethodsExports>({
  ct_triplet: 12,
  ct_multisim: 11,
  ct_dcl: 9,
  ct_negcos: 7,
  ct_barlow: 8,
  ct_vicreg: 11,
  ct_ema: 4,
});
