// Text layers (crates/contrastive-kernels/src/abi/text.rs): embeddings, token pooling, LayerNorm,
// the fused QKV projection and streamed attention; ids are u32, masks f32 (0 = padding).
import { table } from './table.js';

/**
 * The arguments both attention calls start with: the geometry (b sequences of s tokens, `heads`
 * heads of dh), qkv, the key mask and the dropout (p > 0: on the probabilities, keyed by
 * (seed, stream); the backward call gets the same four values).
 */
type AttentionArgs = [
  b: number,
  s: number,
  heads: number,
  dh: number,
  qkv: number,
  mask: number,
  p: number,
  seedLo: number,
  seedHi: number,
  streamLo: number,
  streamHi: number,
];

export interface TextExports {
  ct_embedding_forward(w: number, vocab: number, dim: number, ids: number, n: number, y: number): number;
  ct_embedding_backward(
    ids: number,
    n: number,
    dy: number,
    dim: number,
    vocab: number,
    padding: number,
    mask: number,
    dw: number,
    mark: number,
    list: number,
    len: number,
  ): number;
  ct_embedding_zero_rows(dw: number, dim: number, vocab: number, mark: number, list: number, len: number): number;
  ct_sgd_rows(p: number, g: number, dim: number, vocab: number, list: number, len: number, lr: number): number;
  ct_sparse_adam_rows(
    p: number,
    g: number,
    m: number,
    v: number,
    dim: number,
    vocab: number,
    list: number,
    len: number,
    lr: number,
    b1: number,
    b2: number,
    eps: number,
    t: number,
  ): number;
  ct_token_pool_forward(kind: number, x: number, b: number, s: number, d: number, mask: number, y: number, arg: number): number;
  ct_token_pool_backward(kind: number, dy: number, b: number, s: number, d: number, mask: number, arg: number, dx: number): number;
  ct_layernorm_forward(x: number, n: number, d: number, gamma: number, beta: number, eps: number, y: number, save: number): number;
  ct_layernorm_backward(x: number, dy: number, n: number, d: number, gamma: number, save: number, dx: number, dgamma: number, dbeta: number): number;
  ct_add(a: number, b: number, len: number, out: number): number;
  ct_qkv_forward(x: number, n: number, hd: number, wq: number, bq: number, wk: number, bk: number, wv: number, bv: number, qkv: number): number;
  ct_qkv_backward(
    x: number,
    n: number,
    hd: number,
    wq: number,
    wk: number,
    wv: number,
    dqkv: number,
    dx: number,
    dwq: number,
    dbq: number,
    dwk: number,
    dbk: number,
    dwv: number,
    dbv: number,
  ): number;
  ct_attention_forward(...args: [...AttentionArgs, ctx: number, lse: number]): number;
  ct_attention_backward(...args: [...AttentionArgs, ctx: number, lse: number, dctx: number, dqkv: number]): number;
  ct_attention_scratch_floats(s: number): number;
}

export const text = table<TextExports>({
  ct_embedding_forward: 6,
  ct_embedding_backward: 11,
  ct_embedding_zero_rows: 6,
  ct_sgd_rows: 7,
  ct_sparse_adam_rows: 13,
  ct_token_pool_forward: 8,
  ct_token_pool_backward: 8,
  ct_layernorm_forward: 8,
  ct_layernorm_backward: 9,
  ct_add: 4,
  ct_qkv_forward: 10,
  ct_qkv_backward: 14,
  ct_attention_forward: 13,
  ct_attention_backward: 15,
  ct_attention_scratch_floats: 1,
});
