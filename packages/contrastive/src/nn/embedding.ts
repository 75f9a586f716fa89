import { ContrastiveError } from '../errors.js';
import type { ForwardOptions } from './module.js';
import { checkStatus, f32, Module, Parameter, type WTensor } from './module.js';
import { SplitMix32 } from '../rng.js';
import { forkSeed } from './init.js';
import { normalInit, placeIds, placeMask, tokenShape, type WMask } from './tokens.js';
import { u32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { toMatrix } from '../validate.js';

/**
 * The weight of an {@link Embedding}: a vocab x dim table whose gradient is written row by row.
 * Backward adds into the rows of the tokens in the batch and records them; `zeroGrad()` clears
 * only those rows, `SGD` without momentum and weight decay updates only those rows (exact: the
 * other rows' gradient is zero) and `SparseAdam` is the lazy Adam of PyTorch on those rows.
 * Dense optimizers (Adam, AdamW, SGD with momentum) see an ordinary dense gradient, zeros
 * outside the touched rows, exactly as PyTorch's `nn.Embedding(sparse=False)` with them.
 */
export class SparseRowParameter extends Parameter {
  /** @internal vocab bytes: 1 for a listed row. */
  markPtr: number;
  /** @internal vocab u32 (the touched rows) and one u32 more: the list's length. */
  listPtr: number;
  constructor(
    name: string,
    readonly rows: number,
    readonly dim: number,
    init?: ArrayLike<number>,
  ) {
    super(name, [rows, dim], 'weight', init);
    this.markPtr = this.k.ct_alloc(Math.max(4, rows));
    this.listPtr = this.k.ct_alloc(4 * (rows + 1));
    if (this.markPtr === 0 || this.listPtr === 0) throw new ContrastiveError('OUT_OF_MEMORY', `Embedding: no memory for the row list of ${rows} rows`);
    new Uint8Array(this.k.memory.buffer, this.markPtr, rows).fill(0);
    u32(this.k, this.listPtr, rows + 1).fill(0);
  }
  /** @internal Pointer of the list's length (one u32 after the list). */
  get lenPtr(): number {
    return this.listPtr + 4 * this.rows;
  }
  /** Number of rows with a (possibly) nonzero gradient since the last zeroGrad. */
  get touchedCount(): number {
    return this.ptr === 0 ? 0 : u32(this.k, this.lenPtr, 1)[0];
  }
  /** The rows with a (possibly) nonzero gradient since the last zeroGrad, in first-touch order. */
  touchedRows(): Uint32Array {
    return u32(this.k, this.listPtr, this.touchedCount).slice();
  }
  /** Marks every row as touched (after a dense write of the gradient). */
  private markAll(): void {
    new Uint8Array(this.k.memory.buffer, this.markPtr, this.rows).fill(1);
    const l = u32(this.k, this.listPtr, this.rows + 1);
    for (let i = 0; i < this.rows; i++) l[i] = i;
    l[this.rows] = this.rows;
  }
  setGrad(data: ArrayLike<number>): void {
    super.setGrad(data);
    this.markAll();
  }
  zeroGrad(): void {
    if (this.ptr === 0) return;
    const n = this.touchedCount;
    if (n === 0) return;
    checkStatus('zeroGrad', this.k.ct_embedding_zero_rows(this.gradPtr, this.dim, this.rows, this.markPtr, this.listPtr, n));
    u32(this.k, this.lenPtr, 1)[0] = 0;
  }
  free(): void {
    if (this.ptr !== 0) {
      this.k.ct_free(this.markPtr, Math.max(4, this.rows));
      this.k.ct_free(this.listPtr, 4 * (this.rows + 1));
      this.markPtr = 0;
      this.listPtr = 0;
    }
    super.free();
  }
}

export interface EmbeddingOptions {
  /** A row that is looked up like any other but never receives gradient (PyTorch's padding_idx); initialized to zeros. */
  paddingIdx?: number;
  /** Seed of the N(0, 1) init (PyTorch's default distribution; the numbers are ours). Default 0. */
  seed?: number;
}

/**
 * nn.Embedding: y_i = W[id_i], W of shape [numEmbeddings, embeddingDim]. `forward(ids)` takes
 * ids as a Matrix (rows = sequences, cols = positions; integers in [0, numEmbeddings)) and
 * returns one row per token: [rows * cols, embeddingDim]. Ids have no gradient: `backward`
 * writes the table's gradient rows (see {@link SparseRowParameter}) and returns zeros shaped
 * like the ids (pass `{ inputGrad: false }` to skip them).
 * Kernel: crates/contrastive-kernels/src/nn/embedding.rs.
 */
export class Embedding extends Module {
  readonly weight: SparseRowParameter;
  readonly paddingIdx: number | undefined;
  private idsBuf = this.buf();
  private y = this.buf();
  private dx = this.buf();
  private n = 0;
  /** @internal Positions to leave out of the next backward (mask 0), set by composite modules. */
  _skipMask = 0;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingOptions = {},
  ) {
    super('Embedding');
    for (const [v, name] of [
      [numEmbeddings, 'numEmbeddings'],
      [embeddingDim, 'embeddingDim'],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ContrastiveError('INVALID_ARGUMENT', `Embedding: ${name} must be a positive integer, got ${String(v)}`);
    }
    const pad = opts.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < 0 || pad >= numEmbeddings)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `Embedding: paddingIdx must be an integer in [0, ${numEmbeddings}), got ${String(pad)}`);
    }
    this.paddingIdx = pad;
    const init = normalInit(numEmbeddings * embeddingDim, 1, new SplitMix32(forkSeed(opts.seed ?? 0, 0)));
    if (pad !== undefined) init.fill(0, pad * embeddingDim, (pad + 1) * embeddingDim);
    this.weight = new SparseRowParameter('weight', numEmbeddings, embeddingDim, init);
  }
  _params(): [string, Parameter][] {
    return [['weight', this.weight]];
  }
  /** Looks up a batch of ids (rows = sequences, cols = positions): [rows * cols, embeddingDim]. */
  forward(ids: MatrixLike, opts: ForwardOptions = {}): Matrix {
    const op = 'Embedding.forward';
    this.check(op);
    const p = placeIds(this.k, this.idsBuf, ids, this.numEmbeddings, 'ids', op);
    const y = this._forward({ ptr: p, shape: [ids.rows, ids.cols] }, opts.training ?? false);
    return { data: f32(this.k, y.ptr, y.shape[0] * y.shape[1]).slice(), rows: y.shape[0], cols: y.shape[1] };
  }
  /** @internal x holds u32 ids (checked < numEmbeddings by whoever placed them). */
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'Embedding.forward';
    this.n = x.shape.reduce((a, b) => a * b, 1);
    const y = this.y.ensure(this.n * this.embeddingDim, op);
    checkStatus(op, this.k.ct_embedding_forward(this.weight.ptr, this.numEmbeddings, this.embeddingDim, x.ptr, this.n, y));
    this.lastIn = x;
    this.lastTraining = training;
    return { ptr: y, shape: [this.n, this.embeddingDim] };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'Embedding.backward';
    const w = this.weight;
    checkStatus(
      op,
      this.k.ct_embedding_backward(
        this.lastIn!.ptr,
        this.n,
        dy.ptr,
        this.embeddingDim,
        this.numEmbeddings,
        this.paddingIdx ?? -1,
        this._skipMask,
        w.gradPtr,
        w.markPtr,
        w.listPtr,
        w.lenPtr,
      ),
    );
    if (!needInput) return undefined;
    const dx = this.dx.ensure(this.n, op);
    f32(this.k, dx, this.n).fill(0);
    return { ptr: dx, shape: this.lastIn!.shape };
  }
  outShape(): number[] | undefined {
    return this.lastIn ? [this.n, this.embeddingDim] : undefined;
  }
}

export type PoolingMode = 'cls' | 'mean' | 'max';
const POOL_KIND: Record<PoolingMode, number> = { cls: 0, mean: 1, max: 2 };

export interface PoolingForwardOptions extends ForwardOptions {
  /** rows = sequences, cols = positions: 1 = token, 0 = padding. Required by `forward`. */
  attentionMask?: MatrixLike;
}

/**
 * sentence-transformers' Pooling: token embeddings [sequences * positions, d] (one row per
 * token, sequence-major) and an attention mask [sequences, positions] -> one row per sequence.
 * 'cls': the first token; 'mean': the mean of the unmasked tokens (sum / max(count, 1e-9));
 * 'max': the per-feature max over unmasked tokens. A fully masked sequence pools to zeros.
 * Kernel: crates/contrastive-kernels/src/nn/token_pool.rs.
 */
export class TokenPooling extends Module {
  private y = this.buf();
  private dx = this.buf();
  private arg = this.buf();
  private maskBuf = this.buf();
  private mask: WMask | undefined;
  private d = 0;
  readonly kind: number;
  constructor(readonly mode: PoolingMode = 'mean') {
    super('TokenPooling');
    if (!(mode in POOL_KIND)) throw new ContrastiveError('INVALID_ARGUMENT', `TokenPooling: mode must be 'cls', 'mean' or 'max', got ${String(mode)}`);
    this.kind = POOL_KIND[mode];
  }
  forward(tokens: MatrixLike, opts: PoolingForwardOptions = {}): Matrix {
    const op = 'TokenPooling.forward';
    this.check(op);
    if (!opts.attentionMask) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: opts.attentionMask is required (rows = sequences, cols = positions)`);
    const sh = tokenShape(opts.attentionMask, 'opts.attentionMask', op);
    const t = toMatrix(tokens, 'tokens', op);
    if (t.rows !== sh.rows * sh.cols) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${op}: tokens has ${t.rows} rows, expected sequences * positions = ${sh.rows} * ${sh.cols} (the attention mask's shape)`,
      );
    }
    this.mask = placeMask(this.k, this.maskBuf, opts.attentionMask, sh.rows, sh.cols, 'opts.attentionMask', op);
    return super.forward(t, opts);
  }
  /** @internal Sets the mask the next _forward uses (composite models). */
  _setMask(mask: WMask): void {
    this.mask = mask;
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'TokenPooling.forward';
    const m = this.mask;
    if (!m || x.shape[0] !== m.b * m.s) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: no attention mask of ${x.shape[0]} tokens`);
    this.d = x.shape[1];
    const y = this.y.ensure(m.b * this.d, op);
    const arg = this.kind === 2 ? this.arg.ensure(m.b * this.d, op) : 0;
    checkStatus(op, this.k.ct_token_pool_forward(this.kind, x.ptr, m.b, m.s, this.d, m.ptr, y, arg));
    this.lastIn = x;
    this.lastTraining = training;
    return { ptr: y, shape: [m.b, this.d] };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    if (!needInput) return undefined;
    const op = 'TokenPooling.backward';
    const m = this.mask!;
    const dx = this.dx.ensure(m.b * m.s * this.d, op);
    checkStatus(op, this.k.ct_token_pool_backward(this.kind, dy.ptr, m.b, m.s, this.d, m.ptr, this.kind === 2 ? this.arg.ptr : 0, dx));
    return { ptr: dx, shape: this.lastIn!.shape };
  }
  outShape(): number[] | undefined {
    return this.lastIn && this.mask ? [this.mask.b, this.d] : undefined;
  }
}

export interface EmbeddingBagOptions extends EmbeddingOptions {
  /** 'mean' (default) or 'max' over a sequence's tokens. */
  mode?: 'mean' | 'max';
}

/**
 * nn.EmbeddingBag for padded batches: ids [sequences, positions] -> one row per sequence, the
 * mean (or max) of its tokens' embeddings. Positions whose attention mask is 0 or whose id is
 * `paddingIdx` are left out (PyTorch excludes padding_idx from the bag). State_dict:
 * `weight`, as nn.EmbeddingBag. The static embedding model is this layer.
 */
export class EmbeddingBag extends Module {
  readonly embedding: Embedding;
  readonly pool: TokenPooling;
  private idsBuf = this.buf();
  private maskBuf = this.buf();
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: EmbeddingBagOptions = {},
  ) {
    super('EmbeddingBag');
    this.embedding = new Embedding(numEmbeddings, embeddingDim, opts);
    const mode = opts.mode ?? 'mean';
    if (mode !== 'mean' && mode !== 'max') throw new ContrastiveError('INVALID_ARGUMENT', `EmbeddingBag: mode must be 'mean' or 'max', got ${String(mode)}`);
    this.pool = new TokenPooling(mode);
  }
  get weight(): SparseRowParameter {
    return this.embedding.weight;
  }
  _params(): [string, Parameter][] {
    return [['weight', this.embedding.weight]];
  }
  /** ids: rows = sequences, cols = positions; opts.attentionMask (same shape) marks the tokens (default: all). */
  forward(ids: MatrixLike, opts: PoolingForwardOptions = {}): Matrix {
    const op = 'EmbeddingBag.forward';
    this.check(op);
    const p = placeIds(this.k, this.idsBuf, ids, this.numEmbeddings, 'ids', op);
    const mask = placeMask(this.k, this.maskBuf, opts.attentionMask, ids.rows, ids.cols, 'opts.attentionMask', op);
    const pad = this.embedding.paddingIdx;
    if (pad !== undefined) {
      const idv = u32(this.k, p, ids.rows * ids.cols);
      const mv = f32(this.k, mask.ptr, ids.rows * ids.cols);
      for (let i = 0; i < mv.length; i++) if (idv[i] === pad) mv[i] = 0;
    }
    this._setMask(mask);
    const y = this._forward({ ptr: p, shape: [ids.rows, ids.cols] }, opts.training ?? false);
    return { data: f32(this.k, y.ptr, y.shape[0] * y.shape[1]).slice(), rows: y.shape[0], cols: y.shape[1] };
  }
  /** @internal x holds u32 ids [b, s]; the pool's mask was set by the caller. */
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastIn = x;
    this.lastTraining = training;
    return this.pool._forward(this.embedding._forward(x, training), training);
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    return this.embedding._backward(this.pool._backward(dy, true)!, needInput);
  }
  /** @internal Sets the mask of the next _forward (composite models). */
  _setMask(mask: WMask): void {
    this.pool._setMask(mask);
    this.embedding._skipMask = mask.ptr;
  }
  outShape(): number[] | undefined {
    return this.pool.outShape();
  }
  free(): void {
    super.free();
    this.embedding.free();
    this.pool.free();
  }
}
