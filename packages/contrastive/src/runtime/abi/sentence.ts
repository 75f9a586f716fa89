// Sentence embeddings (crates/contrastive-kernels/src/abi/sentence.rs): the MNRL, CoSENT and pair-margin
// losses (dims/weights/ndims = Matryoshka prefixes, ndims 0 = full) and the streamed exact top-k search.
import { table } from './table.js';

export interface SentenceExports {
  ct_mnrl(
    a: number,
    docs: number,
    n: number,
    h: number,
    d: number,
    tau: number,
    symmetric: number,
    dims: number,
    weights: number,
    ndims: number,
    ga: number,
    gdocs: number,
    out: number,
  ): number;
  ct_cosent(
    a: number,
    b: number,
    labels: number,
    n: number,
    d: number,
    tau: number,
    dims: number,
    weights: number,
    ndims: number,
    ga: number,
    gb: number,
    out: number,
  ): number;
  ct_pair_margin(
    a: number,
    b: number,
    labels: number,
    n: number,
    d: number,
    margin: number,
    dims: number,
    weights: number,
    ndims: number,
    ga: number,
    gb: number,
    out: number,
  ): number;
  ct_topk_update(q: number, nq: number, chunk: number, cn: number, d: number, k: number, seen: number, cosine: number, hs: number, hi: number): number;
  ct_topk_finish(nq: number, k: number, filled: number, hs: number, hi: number): number;
  ct_topk_unit_rows(x: number, rows: number, d: number): number;
}

export const sentence = table<SentenceExports>({ ct_mnrl: 13, ct_cosent: 12, ct_pair_margin: 12, ct_topk_update: 10, ct_topk_finish: 5, ct_topk_unit_rows: 3 });
