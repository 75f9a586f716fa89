// Losses (crates/contrastive-kernels/src/abi/loss.rs): `out` receives [loss, d loss / d tau] as two f64.
import { table } from './table.js';

export interface LossExports {
  ct_ntxent(z: number, rows: number, d: number, tau: number, gz: number, out: number): number;
  ct_infonce(q: number, k: number, n: number, d: number, tau: number, symmetric: number, gq: number, gk: number, out: number): number;
  ct_infonce_negatives(
    q: number,
    p: number,
    n: number,
    neg: number,
    m: number,
    d: number,
    tau: number,
    gq: number,
    gp: number,
    gneg: number,
    out: number,
  ): number;
  ct_supcon(z: number, labels: number, rows: number, d: number, tau: number, gz: number, out: number): number;
  ct_cosine(a: number, ra: number, b: number, rb: number, d: number, out: number): number;
  ct_softmax_xent(logits: number, n: number, c: number, labels: number, grad: number, out: number): number;
}

export const loss = table<LossExports>({
  ct_ntxent: 6,
  ct_infonce: 9,
  ct_infonce_negatives: 11,
  ct_supcon: 7,
  ct_cosine: 6,
  ct_softmax_xent: 6,
});
