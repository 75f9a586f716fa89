import { ContrastiveError } from '../errors.js';
import type { Matrix, MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';
import { Linear } from './linear.js';
import { checkStatus, expectShape, Module, type ForwardOptions, type WTensor } from './module.js';
import { placeMask, tokenShape, type WMask } from './tokens.js';
import { forkSeed } from './init.js';

export interface AttentionForwardOptions extends ForwardOptions {
  /** rows = sequences, cols = positions: 1 = token, 0 = padding (masked keys get no attention). Default: all tokens. */
  attentionMask?: MatrixLike;
  /** Sequences in the batch when there is no mask (default 1). */
  batch?: number;
}

export interface SelfAttentionOptions {
  /** Biases on the three projections (default true). */
  bias?: boolean;
  /** Dropout on the attention probabilities in training (Hugging Face's attention_probs_dropout_prob; default 0). */
  dropout?: number;
  seed?: number;
}

/**
 * Multi-head self-attention, the core of BERT's `attention.self`: one fused projection
 * [q | k | v] = x [Wq; Wk; Wv]^T + b, then per head softmax(q k^T / sqrt(d_head)) v with padded
 * keys left out, heads concatenated. Input and output: one row per token, [sequences *
 * positions, hidden], sequence-major. Memory: the scores are streamed in blocks of 64 queries,
 * so a call holds 64 x positions scores per thread, never heads x positions^2.
 * State_dict names as Hugging Face's BertSelfAttention: query.weight, query.bias, key.*, value.*.
 * Kernel: crates/contrastive-kernels/src/nn/attention.rs.
 */
export class MultiHeadSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly headDim: number;
  private qkv = this.buf();
  private ctx = this.buf();
  private lse = this.buf();
  private dqkv = this.buf();
  private dx = this.buf();
  private maskBuf = this.buf();
  private mask: WMask | undefined;
  private geom: [number, number] = [0, 0];
  readonly dropout: number;
  /** The seed of the projections' init and of the dropout stream. */
  readonly seed: number;
  private readonly dropSeed: number;
  /** Training forward passes with dropout so far: the RNG stream of the next one (saved in checkpoints). */
  counter = 0;
  private stream = -1;
  constructor(
    readonly hidden: number,
    readonly heads: number,
    opts: SelfAttentionOptions = {},
  ) {
    super('MultiHeadSelfAttention');
    if (!Number.isInteger(hidden) || hidden <= 0)
      throw new ContrastiveError('INVALID_ARGUMENT', `MultiHeadSelfAttention: hidden must be a positive integer, got ${String(hidden)}`);
    if (!Number.isInteger(heads) || heads <= 0 || hidden % heads !== 0) {
      throw new ContrastiveError('INVALID_ARGUMENT', `MultiHeadSelfAttention: heads must be a positive divisor of hidden (${hidden}), got ${String(heads)}`);
    }
    this.headDim = hidden / heads;
    const seed = opts.seed ?? 0;
    this.seed = seed;
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1))
      throw new ContrastiveError('INVALID_ARGUMENT', `MultiHeadSelfAttention: dropout must be in [0, 1), got ${String(p)}`);
    this.dropout = p;
    this.dropSeed = forkSeed(seed, 3);
    const bias = opts.bias !== false;
    this.query = new Linear(hidden, hidden, { bias, seed: forkSeed(seed, 0) });
    this.key = new Linear(hidden, hidden, { bias, seed: forkSeed(seed, 1) });
    this.value = new Linear(hidden, hidden, { bias, seed: forkSeed(seed, 2) });
  }
  _children(): [string, Module][] {
    return [
      ['query', this.query],
      ['key', this.key],
      ['value', this.value],
    ];
  }
  _rng(): [string, { get: () => number; set: (v: number) => void }][] {
    return [['dropout_counter', { get: () => this.counter, set: (v) => (this.counter = v) }]];
  }
  /** [p, seed lo, seed hi, stream lo, stream hi] of the kernel calls; p = 0 when dropout is off. */
  private dropArgs(): [number, number, number, number, number] {
    if (this.stream < 0) return [0, 0, 0, 0, 0];
    const s = this.dropSeed;
    const c = this.stream;
    return [this.dropout, s >>> 0, Math.floor(s / 2 ** 32), c >>> 0, Math.floor(c / 2 ** 32)];
  }
  /** Runs on token rows [sequences * positions, hidden] with the batch's attention mask. */
  forward(tokens: MatrixLike, opts: AttentionForwardOptions = {}): Matrix {
    const op = 'MultiHeadSelfAttention.forward';
    this.check(op);
    const t = toMatrix(tokens, 'tokens', op, { finite: false });
    let b: number;
    let s: number;
    if (opts.attentionMask) {
      ({ rows: b, cols: s } = tokenShape(opts.attentionMask, 'opts.attentionMask', op));
    } else {
      b = opts.batch ?? 1;
      if (!Number.isInteger(b) || b <= 0 || t.rows % b !== 0) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts.batch must be a positive divisor of the ${t.rows} token rows, got ${String(opts.batch)}`);
      }
      s = t.rows / b;
    }
    if (t.rows !== b * s) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${op}: tokens has ${t.rows} rows, expected sequences * positions = ${b} * ${s} (the attention mask's shape)`,
      );
    }
    this.mask = placeMask(this.k, this.maskBuf, opts.attentionMask, b, s, 'opts.attentionMask', op);
    return super.forward(t, opts);
  }
  /** @internal The mask (and so the sequence shape) of the next _forward. */
  _setMask(mask: WMask): void {
    this.mask = mask;
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'MultiHeadSelfAttention.forward';
    const h = this.hidden;
    expectShape(x, x.shape.length === 2 && x.shape[1] === h, `[N, ${h}]`, op);
    const m = this.mask;
    if (!m || m.b * m.s !== x.shape[0]) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: no attention mask for ${x.shape[0]} tokens`);
    const n = x.shape[0];
    const qkv = this.qkv.ensure(3 * n * h, op);
    const ctx = this.ctx.ensure(n * h, op);
    const lse = this.lse.ensure(m.b * this.heads * m.s, op);
    const [q, k, v] = [this.query, this.key, this.value];
    checkStatus(op, this.k.ct_qkv_forward(x.ptr, n, h, q.weight.ptr, q.bias?.ptr ?? 0, k.weight.ptr, k.bias?.ptr ?? 0, v.weight.ptr, v.bias?.ptr ?? 0, qkv));
    this.stream = training && this.dropout > 0 ? this.counter++ : -1;
    checkStatus(op, this.k.ct_attention_forward(m.b, m.s, this.heads, this.headDim, qkv, m.ptr, ...this.dropArgs(), ctx, lse));
    this.geom = [m.b, m.s];
    this.lastIn = x;
    this.lastTraining = training;
    return { ptr: ctx, shape: [n, h] };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'MultiHeadSelfAttention.backward';
    const h = this.hidden;
    const [b, s] = this.geom;
    const n = b * s;
    const dqkv = this.dqkv.ensure(3 * n * h, op);
    checkStatus(
      op,
      this.k.ct_attention_backward(b, s, this.heads, this.headDim, this.qkv.ptr, this.mask!.ptr, ...this.dropArgs(), this.ctx.ptr, this.lse.ptr, dy.ptr, dqkv),
    );
    const dx = needInput ? this.dx.ensure(n * h, op) : 0;
    const [q, k, v] = [this.query, this.key, this.value];
    checkStatus(
      op,
      this.k.ct_qkv_backward(
        this.lastIn!.ptr,
        n,
        h,
        q.weight.ptr,
        k.weight.ptr,
        v.weight.ptr,
        dqkv,
        dx,
        q.weight.gradPtr,
        q.bias?.gradPtr ?? 0,
        k.weight.gradPtr,
        k.bias?.gradPtr ?? 0,
        v.weight.gradPtr,
        v.bias?.gradPtr ?? 0,
      ),
    );
    return needInput ? { ptr: dx, shape: this.lastIn!.shape } : undefined;
  }
  outShape(): number[] | undefined {
    return this.lastIn?.shape;
  }
}
