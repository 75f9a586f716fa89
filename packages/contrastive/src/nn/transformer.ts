import { ContrastiveError } from '../errors.js';
import { f32, u32 } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { GELU, ReLU } from './activation.js';
import { MultiHeadSelfAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { forkSeed } from './init.js';
import { LayerNorm } from './layernorm.js';
import { Linear } from './linear.js';
import { checkStatus, Module, numel, type ForwardOptions, type WTensor } from './module.js';
import { placeIds, placeMask, tokenShape, type WMask } from './tokens.js';

/** A module that only names its children (state_dict paths such as `attention.output.dense`); it has no forward of its own. */
export class ModuleDict extends Module {
  constructor(private readonly entries: [string, Module][]) {
    super('ModuleDict');
  }
  _children(): [string, Module][] {
    return this.entries;
  }
  _forward(): WTensor {
    throw new ContrastiveError('INVALID_ARGUMENT', 'ModuleDict: a container of named modules has no forward; call its owner');
  }
  _backward(): WTensor | undefined {
    throw new ContrastiveError('INVALID_ARGUMENT', 'ModuleDict: a container of named modules has no backward; call its owner');
  }
  outShape(): number[] | undefined {
    return undefined;
  }
}

export type HiddenAct = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';

export interface EncoderLayerOptions {
  hidden: number;
  heads: number;
  /** Width of the feed-forward block (BERT: 4 x hidden). */
  intermediate: number;
  /** LayerNorm eps (BERT: 1e-12). */
  eps?: number;
  /** Dropout after the attention output and after the feed-forward block (default 0.1). */
  dropout?: number;
  /** Dropout on the attention probabilities (default 0; BERT's attention_probs_dropout_prob is 0.1). */
  attentionDropout?: number;
  /** 'gelu' (erf, BERT's), 'gelu_new' / 'gelu_pytorch_tanh' (tanh form), 'relu'. Default 'gelu'. */
  activation?: HiddenAct;
  /** 'post' (BERT: add then LayerNorm) or 'pre' (LayerNorm on the branch input). Default 'post'. */
  norm?: 'post' | 'pre';
  seed?: number;
}

/**
 * A transformer encoder layer. Post-LN (BERT): h = LN1(x + Drop(Wo Attn(x))),
 * y = LN2(h + Drop(W2 act(W1 h))). Pre-LN: h = x + Drop(Wo Attn(LN1(x))),
 * y = h + Drop(W2 act(W1 LN2(h))). Rows are tokens [sequences * positions, hidden]; the
 * attention mask comes with `forward(tokens, { attentionMask })`. State_dict names are Hugging
 * Face's BertLayer: attention.self.query.weight, attention.output.dense.weight,
 * attention.output.LayerNorm.weight, intermediate.dense.weight, output.dense.weight,
 * output.LayerNorm.weight (and the biases).
 */
export class TransformerEncoderLayer extends Module {
  readonly attention: MultiHeadSelfAttention;
  readonly attnOut: Linear;
  readonly ln1: LayerNorm;
  readonly inter: Linear;
  readonly act: Module;
  readonly out: Linear;
  readonly ln2: LayerNorm;
  readonly norm: 'post' | 'pre';
  private readonly drop1: Dropout;
  private readonly drop2: Dropout;
  private readonly tree: [string, Module][];
  private s1 = this.buf();
  private s2 = this.buf();
  private g1 = this.buf();
  private g2 = this.buf();
  private maskBuf = this.buf();
  constructor(readonly options: EncoderLayerOptions) {
    super('TransformerEncoderLayer');
    const { hidden, heads, intermediate } = options;
    for (const [v, name] of [
      [hidden, 'hidden'],
      [heads, 'heads'],
      [intermediate, 'intermediate'],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0)
        throw new ContrastiveError('INVALID_ARGUMENT', `TransformerEncoderLayer: ${name} must be a positive integer, got ${String(v)}`);
    }
    const seed = options.seed ?? 0;
    const eps = options.eps ?? 1e-12;
    const p = options.dropout ?? 0.1;
    this.norm = options.norm ?? 'post';
    if (this.norm !== 'post' && this.norm !== 'pre')
      throw new ContrastiveError('INVALID_ARGUMENT', `TransformerEncoderLayer: norm must be 'post' or 'pre', got ${String(options.norm)}`);
    this.attention = new MultiHeadSelfAttention(hidden, heads, { seed: forkSeed(seed, 0), dropout: options.attentionDropout ?? 0 });
    this.attnOut = new Linear(hidden, hidden, { seed: forkSeed(seed, 1) });
    this.ln1 = new LayerNorm(hidden, { eps });
    this.inter = new Linear(hidden, intermediate, { seed: forkSeed(seed, 2) });
    this.act = activationModule(options.activation ?? 'gelu');
    this.out = new Linear(intermediate, hidden, { seed: forkSeed(seed, 3) });
    this.ln2 = new LayerNorm(hidden, { eps });
    this.drop1 = new Dropout(p, forkSeed(seed, 4));
    this.drop2 = new Dropout(p, forkSeed(seed, 5));
    this.tree = [
      [
        'attention',
        new ModuleDict([
          ['self', this.attention],
          [
            'output',
            new ModuleDict([
              ['dense', this.attnOut],
              ['LayerNorm', this.ln1],
              ['dropout', this.drop1],
            ]),
          ],
        ]),
      ],
      ['intermediate', new ModuleDict([['dense', this.inter]])],
      [
        'output',
        new ModuleDict([
          ['dense', this.out],
          ['LayerNorm', this.ln2],
          ['dropout', this.drop2],
        ]),
      ],
    ];
  }
  _children(): [string, Module][] {
    return this.tree;
  }
  forward(tokens: MatrixLike, opts: ForwardOptions & { attentionMask?: MatrixLike } = {}): Matrix {
    const op = 'TransformerEncoderLayer.forward';
    this.check(op);
    const rows = tokens?.rows;
    let b = 1;
    let s = rows;
    if (opts.attentionMask) ({ rows: b, cols: s } = tokenShape(opts.attentionMask, 'opts.attentionMask', op));
    if (rows !== b * s) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: tokens has ${String(rows)} rows, expected sequences * positions = ${b} * ${s}`);
    this._setMask(placeMask(this.k, this.maskBuf, opts.attentionMask, b, s, 'opts.attentionMask', op));
    return super.forward(tokens, opts);
  }
  /** @internal */
  _setMask(mask: WMask): void {
    this.attention._setMask(mask);
  }
  private add(buf: { ensure(n: number, op: string): number }, a: WTensor, b: WTensor, op: string): WTensor {
    const n = numel(a.shape);
    const p = buf.ensure(n, op);
    checkStatus(op, this.k.ct_add(a.ptr, b.ptr, n, p));
    return { ptr: p, shape: a.shape };
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'TransformerEncoderLayer.forward';
    this.lastIn = x;
    this.lastTraining = training;
    if (this.norm === 'post') {
      let a = this.attention._forward(x, training);
      a = this.drop1._forward(this.attnOut._forward(a, training), training);
      const h = this.ln1._forward(this.add(this.s1, a, x, op), training);
      const o = this.drop2._forward(this.out._forward(this.act._forward(this.inter._forward(h, training), training), training), training);
      return this.ln2._forward(this.add(this.s2, o, h, op), training);
    }
    let a = this.attention._forward(this.ln1._forward(x, training), training);
    a = this.drop1._forward(this.attnOut._forward(a, training), training);
    const h = this.add(this.s1, x, a, op);
    const o = this.drop2._forward(
      this.out._forward(this.act._forward(this.inter._forward(this.ln2._forward(h, training), training), training), training),
      training,
    );
    return this.add(this.s2, h, o, op);
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'TransformerEncoderLayer.backward';
    const ffn = (d: WTensor) => this.inter._backward(this.act._backward(this.out._backward(this.drop2._backward(d), true)!, true)!, true)!;
    const attn = (d: WTensor, need: boolean) => this.attention._backward(this.attnOut._backward(this.drop1._backward(d), true)!, need);
    if (this.norm === 'post') {
      const ds2 = this.ln2._backward(dy, true)!;
      const dh = this.add(this.g1, ds2, ffn(ds2), op);
      const ds1 = this.ln1._backward(dh, true)!;
      const dxa = attn(ds1, needInput);
      return needInput ? this.add(this.g2, ds1, dxa!, op) : undefined;
    }
    const dh = this.add(this.g1, dy, this.ln2._backward(ffn(dy), true)!, op);
    const dxa = attn(dh, true)!;
    const dxn = this.ln1._backward(dxa, needInput);
    return needInput ? this.add(this.g2, dh, dxn!, op) : undefined;
  }
  outShape(): number[] | undefined {
    return this.lastIn?.shape;
  }
}

function activationModule(a: HiddenAct): Module {
  if (a === 'gelu') return new GELU('none');
  if (a === 'gelu_new' || a === 'gelu_pytorch_tanh') return new GELU('tanh');
  if (a === 'relu') return new ReLU();
  throw new ContrastiveError(
    'INVALID_ARGUMENT',
    `TransformerEncoderLayer: activation must be 'gelu', 'gelu_new', 'gelu_pytorch_tanh' or 'relu', got ${String(a)}`,
  );
}

/** The fields of a Hugging Face BERT `config.json` that the encoder uses (snake_case, as in the file). */
export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  max_position_embeddings?: number;
  type_vocab_size?: number;
  layer_norm_eps?: number;
  hidden_dropout_prob?: number;
  /** Dropout on the attention probabilities in training; default: hidden_dropout_prob (Hugging Face configs always state both). */
  attention_probs_dropout_prob?: number;
  hidden_act?: HiddenAct;
  pad_token_id?: number;
  /** Not in Hugging Face configs: 'pre' builds the pre-LN variant. Default 'post'. */
  norm?: 'post' | 'pre';
  /** Include the pooler (dense + tanh on the first token), as BertModel(add_pooling_layer=True). Default false. */
  add_pooling_layer?: boolean;
  seed?: number;
  [extra: string]: unknown;
}

export interface TextForwardOptions extends ForwardOptions {
  /** rows = sequences, cols = positions: 1 = token, 0 = padding. Default: all tokens. */
  attentionMask?: MatrixLike;
  /** Segment ids, same shape (default 0). */
  tokenTypeIds?: MatrixLike;
}

/**
 * BERT's embeddings: word + position (0, 1, ... per sequence) + token type, then LayerNorm and
 * dropout. Names as Hugging Face's BertEmbeddings: word_embeddings.weight,
 * position_embeddings.weight, token_type_embeddings.weight, LayerNorm.weight, LayerNorm.bias.
 */
export class BertEmbeddings extends Module {
  readonly word: Embedding;
  readonly position: Embedding;
  readonly tokenType: Embedding;
  readonly norm: LayerNorm;
  private readonly drop: Dropout;
  private posIds = this.buf();
  private types = this.buf();
  private sum = this.buf();
  /** @internal ids placed by the owner: [b, s] u32 and token types (0 = all zeros). */
  _typesPtr = 0;
  private geom: [number, number] = [0, 0];
  constructor(cfg: { vocab: number; hidden: number; maxPositions: number; typeVocab: number; eps: number; dropout: number; padding?: number; seed: number }) {
    super('BertEmbeddings');
    this.word = new Embedding(cfg.vocab, cfg.hidden, { paddingIdx: cfg.padding, seed: forkSeed(cfg.seed, 0) });
    this.position = new Embedding(cfg.maxPositions, cfg.hidden, { seed: forkSeed(cfg.seed, 1) });
    this.tokenType = new Embedding(cfg.typeVocab, cfg.hidden, { seed: forkSeed(cfg.seed, 2) });
    // BERT's init: N(0, 0.02) for the tables
    for (const e of [this.word, this.position, this.tokenType]) {
      const w = e.weight.value();
      for (let i = 0; i < w.length; i++) w[i] *= 0.02;
      e.weight.set(w);
    }
    this.norm = new LayerNorm(cfg.hidden, { eps: cfg.eps });
    this.drop = new Dropout(cfg.dropout, forkSeed(cfg.seed, 3));
  }
  _children(): [string, Module][] {
    return [
      ['word_embeddings', this.word],
      ['position_embeddings', this.position],
      ['token_type_embeddings', this.tokenType],
      ['LayerNorm', this.norm],
      ['dropout', this.drop],
    ];
  }
  /** @internal x: u32 ids [b, s]. */
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'BertEmbeddings.forward';
    const [b, s] = x.shape;
    if (s > this.position.numEmbeddings) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: sequences of ${s} positions are longer than max_position_embeddings = ${this.position.numEmbeddings}`,
      );
    }
    const n = b * s;
    const pos = this.posIds.ensure(n, op);
    const pv = u32(this.k, pos, n);
    for (let i = 0; i < n; i++) pv[i] = i % s;
    let types = this._typesPtr;
    if (types === 0) {
      types = this.types.ensure(n, op);
      u32(this.k, types, n).fill(0);
    }
    const h = this.norm.normalizedShape;
    const w = this.word._forward(x, training);
    const p = this.position._forward({ ptr: pos, shape: [b, s] }, training);
    const t = this.tokenType._forward({ ptr: types, shape: [b, s] }, training);
    const sum = this.sum.ensure(n * h, op);
    checkStatus(op, this.k.ct_add(w.ptr, p.ptr, n * h, sum));
    checkStatus(op, this.k.ct_add(sum, t.ptr, n * h, sum));
    this.geom = [b, s];
    this.lastIn = x;
    this.lastTraining = training;
    return this.drop._forward(this.norm._forward({ ptr: sum, shape: [n, h] }, training), training);
  }
  /** Ids have no gradient: with needInput, zeros shaped like the ids (as Embedding). */
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const d = this.norm._backward(this.drop._backward(dy), true)!;
    this.position._backward(d, false);
    this.tokenType._backward(d, false);
    return this.word._backward(d, needInput);
  }
  outShape(): number[] | undefined {
    return this.lastIn ? [this.geom[0] * this.geom[1], this.norm.normalizedShape] : undefined;
  }
}

/**
 * A BERT-family encoder (BERT, MiniLM, the sentence-transformers models built on them) from a
 * Hugging Face `config.json`: embeddings, then `num_hidden_layers` encoder layers. `forward(ids,
 * { attentionMask, tokenTypeIds })` takes ids as a Matrix (rows = sequences, cols = positions)
 * and returns the last hidden state, one row per token: [rows * cols, hidden_size].
 * State_dict names are Hugging Face's (embeddings.word_embeddings.weight,
 * encoder.layer.0.attention.self.query.weight, ...); `loadHuggingFace` also accepts them
 * under a `bert.` prefix. Defaults as BertConfig's: 512 positions, 2 token types, eps 1e-12.
 */
export class BertModel extends Module {
  readonly config: Required<Pick<BertConfig, 'vocab_size' | 'hidden_size' | 'num_hidden_layers' | 'num_attention_heads' | 'intermediate_size'>> & BertConfig;
  readonly embeddings: BertEmbeddings;
  readonly layers: TransformerEncoderLayer[];
  readonly pooler: Linear | undefined;
  private idsBuf = this.buf();
  private maskBuf = this.buf();
  private typesBuf = this.buf();
  private mask: WMask | undefined;
  private readonly tree: [string, Module][];
  constructor(config: BertConfig) {
    super('BertModel');
    const need = ['vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'] as const;
    for (const k of need) {
      const v = config?.[k];
      if (!Number.isInteger(v) || (v as number) <= 0)
        throw new ContrastiveError('INVALID_ARGUMENT', `bertEncoder: config.${k} must be a positive integer, got ${String(v)}`);
    }
    if (config.hidden_size % config.num_attention_heads !== 0) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `bertEncoder: config.hidden_size (${config.hidden_size}) must be a multiple of num_attention_heads (${config.num_attention_heads})`,
      );
    }
    const act = config.hidden_act ?? 'gelu';
    if (!['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu'].includes(act)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `bertEncoder: config.hidden_act ${String(act)} is not supported ('gelu', 'gelu_new', 'gelu_pytorch_tanh', 'relu')`,
      );
    }
    this.config = config as BertModel['config'];
    const seed = config.seed ?? 0;
    const eps = config.layer_norm_eps ?? 1e-12;
    const dropout = config.hidden_dropout_prob ?? 0.1;
    this.embeddings = new BertEmbeddings({
      vocab: config.vocab_size,
      hidden: config.hidden_size,
      maxPositions: config.max_position_embeddings ?? 512,
      typeVocab: config.type_vocab_size ?? 2,
      eps,
      dropout,
      padding: config.pad_token_id ?? undefined,
      seed: forkSeed(seed, 0),
    });
    this.layers = [];
    for (let i = 0; i < config.num_hidden_layers; i++) {
      this.layers.push(
        new TransformerEncoderLayer({
          hidden: config.hidden_size,
          heads: config.num_attention_heads,
          intermediate: config.intermediate_size,
          eps,
          dropout,
          attentionDropout: config.attention_probs_dropout_prob ?? dropout,
          activation: act,
          norm: config.norm ?? 'post',
          seed: forkSeed(seed, i + 1),
        }),
      );
    }
    this.pooler = config.add_pooling_layer ? new Linear(config.hidden_size, config.hidden_size, { seed: forkSeed(seed, 999) }) : undefined;
    this.tree = [
      ['embeddings', this.embeddings],
      ['encoder', new ModuleDict([['layer', new ModuleDict(this.layers.map((l, i) => [String(i), l]))]])],
    ];
    if (this.pooler) this.tree.push(['pooler', new ModuleDict([['dense', this.pooler]])]);
  }
  _children(): [string, Module][] {
    return this.tree;
  }
  /** The last hidden state of a batch of ids (rows = sequences, cols = positions): [rows * cols, hidden_size]. */
  forward(ids: MatrixLike, opts: TextForwardOptions = {}): Matrix {
    const op = 'BertModel.forward';
    this.check(op);
    const p = this._place(ids, opts, op);
    const y = this._forward({ ptr: p, shape: [ids.rows, ids.cols] }, opts.training ?? false);
    return { data: f32(this.k, y.ptr, numel(y.shape)).slice(), rows: y.shape[0], cols: y.shape[1] };
  }
  /** @internal Checks and places ids, mask and token types; returns the ids pointer (the mask and types are set for the next _forward). */
  _place(ids: MatrixLike, opts: TextForwardOptions, op: string): number {
    const p = placeIds(this.k, this.idsBuf, ids, this.config.vocab_size, 'ids', op);
    this._setMask(placeMask(this.k, this.maskBuf, opts.attentionMask, ids.rows, ids.cols, 'opts.attentionMask', op));
    if (opts.tokenTypeIds) {
      const sh = tokenShape(opts.tokenTypeIds, 'opts.tokenTypeIds', op);
      if (sh.rows !== ids.rows || sh.cols !== ids.cols) {
        throw new ContrastiveError(
          'SHAPE_MISMATCH',
          `${op}: opts.tokenTypeIds has shape [${sh.rows}, ${sh.cols}], expected [${ids.rows}, ${ids.cols}] (the shape of the ids)`,
        );
      }
      this.embeddings._typesPtr = placeIds(this.k, this.typesBuf, opts.tokenTypeIds, this.embeddings.tokenType.numEmbeddings, 'opts.tokenTypeIds', op);
    } else {
      this.embeddings._typesPtr = 0;
    }
    return p;
  }
  /** @internal */
  _setMask(mask: WMask): void {
    this.mask = mask;
    for (const l of this.layers) l._setMask(mask);
  }
  /** @internal The mask of the last placed batch. */
  get _mask(): WMask | undefined {
    return this.mask;
  }
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastIn = x;
    this.lastTraining = training;
    let h = this.embeddings._forward(x, training);
    for (const l of this.layers) h = l._forward(h, training);
    return h;
  }
  /** Parameter gradients accumulate; ids have no gradient (zeros shaped like the ids when asked for). */
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i]._backward(g, true)!;
    return this.embeddings._backward(g, needInput);
  }
  outShape(): number[] | undefined {
    return this.layers.length ? this.layers[this.layers.length - 1].outShape() : this.embeddings.outShape();
  }
}

/** A BERT-family encoder from a Hugging Face config.json (see {@link BertModel}). */
export function bertEncoder(config: BertConfig): BertModel {
  return new BertModel(config);
}
