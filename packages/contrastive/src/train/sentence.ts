// Sentence embeddings: a tokenizer + text encoder + pooling as one model, its training loop with the
// sentence-transformers losses (MNRL, cached MNRL, Matryoshka, CoSENT, ContrastiveLoss, the batch
// triplet losses), and encode().
import { ContrastiveError } from '../errors.js';
import { parseSafetensorsFile, saveSafetensorsFile } from './sentence-files.js';
import { cosent } from '../loss/cosent.js';
import { mnrl } from '../loss/mnrl.js';
import { contrastiveLoss } from '../loss/pair-margin.js';
import { triplet } from '../loss/triplet.js';
import type { MatryoshkaOptions } from '../loss/sentence-common.js';
import { EmbeddingBag, TokenPooling } from '../nn/embedding.js';
import type { Module, Parameter } from '../nn/module.js';
import { BertModel, type BertConfig } from '../nn/transformer.js';
import { AdamW } from '../optim/adam.js';
import type { Optimizer } from '../optim/optimizer.js';
import { SparseAdam } from '../optim/sparse-adam.js';
import { groupByLabelBatches, noDuplicatesBatches, type TextRows } from '../data/text-pairs.js';
import {
  encodeDims,
  loadSentenceTransformer,
  putRow,
  readerOf,
  type LoadSentenceTransformerOptions,
  type ModelSource,
  type SentenceTransformer,
} from '../text/sentence.js';
import { WordPieceTokenizer } from '../text/wordpiece.js';
import type { Matrix } from '../types.js';

export type SentenceArchitecture = 'static' | 'bert';

/** What a saved model's config.json holds besides the BERT config. */
export interface SentenceConfig {
  architecture: SentenceArchitecture;
  /** Tokens per text, special tokens included. */
  maxLength: number;
  /** static: the embedding width. */
  dim?: number;
  /** bert: the Hugging Face config. */
  bert?: BertConfig;
  /** static: the seed of the table's init. */
  seed?: number;
}

export interface EncodeTextOptions {
  /** Texts per forward pass (default 64). */
  batchSize?: number;
  /** L2-normalize each embedding (after truncation; default false). */
  normalize?: boolean;
  /** Keep the first `dims` columns (Matryoshka models; default all). */
  dims?: number;
  /** Called after each batch with the texts done so far and the total (a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/**
 * A sentence-embedding model: a WordPiece tokenizer, then either a static embedding table with mean
 * pooling (sentence-transformers' StaticEmbedding: fast on CPU, no attention) or a BERT encoder with
 * masked mean pooling. `encode` embeds texts; `embed`/`backward` are the training pair.
 */
export class SentenceEncoder {
  readonly tokenizer: WordPieceTokenizer;
  readonly config: SentenceConfig;
  readonly bag?: EmbeddingBag;
  readonly bert?: BertModel;
  readonly pool?: TokenPooling;
  private constructor(tokenizer: WordPieceTokenizer, config: SentenceConfig) {
    this.tokenizer = tokenizer;
    this.config = config;
    if (config.architecture === 'static') {
      this.bag = new EmbeddingBag(tokenizer.vocabSize, config.dim!, { paddingIdx: tokenizer.padId, seed: config.seed ?? 0 });
    } else {
      this.bert = new BertModel(config.bert!);
      this.pool = new TokenPooling('mean');
    }
  }

  /** A static embedding model (Embedding + mean pooling) of `dim` columns over the tokenizer's vocabulary. */
  static static(tokenizer: WordPieceTokenizer, opts: { dim?: number; maxLength?: number; seed?: number } = {}): SentenceEncoder {
    const dim = opts.dim ?? 256;
    if (!Number.isInteger(dim) || dim < 1)
      throw new ContrastiveError('INVALID_ARGUMENT', `SentenceEncoder.static: dim must be a positive integer, got ${String(dim)}`);
    // the table starts N(0, 1), as nn.EmbeddingBag (and sentence-transformers' StaticEmbedding) does
    return new SentenceEncoder(tokenizer, { architecture: 'static', dim, maxLength: opts.maxLength ?? 128, seed: opts.seed ?? 0 });
  }

  /** A BERT-layout transformer (from scratch, or with `weights` in Hugging Face names) over the tokenizer. */
  static transformer(tokenizer: WordPieceTokenizer, bert: Partial<BertConfig> = {}, opts: { maxLength?: number } = {}): SentenceEncoder {
    const config: BertConfig = {
      vocab_size: tokenizer.vocabSize,
      hidden_size: 256,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      intermediate_size: 1024,
      max_position_embeddings: 512,
      pad_token_id: tokenizer.padId,
      ...bert,
    };
    if (config.vocab_size < tokenizer.vocabSize) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `SentenceEncoder.transformer: vocab_size ${config.vocab_size} is smaller than the tokenizer's ${tokenizer.vocabSize} tokens`,
      );
    }
    const maxLength = Math.min(opts.maxLength ?? 128, config.max_position_embeddings ?? 512);
    return new SentenceEncoder(tokenizer, { architecture: 'bert', bert: config, maxLength });
  }

  get dim(): number {
    return this.config.architecture === 'static' ? this.config.dim! : this.config.bert!.hidden_size;
  }

  /** The trainable module(s): parameters and state_dict (Hugging Face names for BERT, `embedding.weight` for static). */
  get module(): Module {
    return (this.bag ?? this.bert)!;
  }

  namedParameters(): [string, Parameter][] {
    return this.module.namedParameters();
  }

  /** Forward a batch of texts (training mode when asked); keeps what `backward` needs. */
  embed(texts: string[], opts: { training?: boolean } = {}): Matrix {
    const b = this.tokenizer.encodeBatch(texts, { maxLength: this.config.maxLength });
    const training = opts.training ?? false;
    if (this.bag) return this.bag.forward(b.ids, { attentionMask: b.attentionMask, training });
    const tokens = this.bert!.forward(b.ids, { attentionMask: b.attentionMask, training });
    return this.pool!.forward(tokens, { attentionMask: b.attentionMask, training });
  }

  /** Backpropagates dL/d(embeddings of the last `embed`) into the parameters' gradients. */
  backward(grad: Matrix): void {
    if (this.bag) {
      this.bag.backward(grad, { inputGrad: false });
      return;
    }
    const g = this.pool!.backward(grad);
    this.bert!.backward(g, { inputGrad: false });
  }

  /** Embeddings of `texts`, in batches, in eval mode (dropout off). */
  encode(texts: string[], opts: EncodeTextOptions = {}): Matrix {
    const op = 'SentenceEncoder.encode';
    if (!Array.isArray(texts)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: texts must be an array of strings`);
    const bs = opts.batchSize ?? 64;
    if (!Number.isInteger(bs) || bs < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: batchSize must be a positive integer, got ${String(bs)}`);
    const dims = encodeDims(opts.dims, this.dim, op);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: texts[${i}] must be a string, got ${typeof t}`);
    });
    const out = new Float32Array(texts.length * dims);
    for (let r0 = 0; r0 < texts.length; r0 += bs) {
      const e = this.embed(texts.slice(r0, r0 + bs));
      for (let i = 0; i < e.rows; i++) putRow(e.data.subarray(i * e.cols, (i + 1) * e.cols), dims, !!opts.normalize, out, (r0 + i) * dims);
      opts.onProgress?.(r0 + e.rows, texts.length);
    }
    return { data: out, rows: texts.length, cols: dims };
  }

  /** The model as files: config.json, tokenizer.json, model.safetensors. */
  files(): Record<string, Uint8Array | string> {
    return {
      'config.json': JSON.stringify({ ...(this.config.bert ?? {}), contrastive: this.config }, null, 2),
      'tokenizer.json': this.tokenizer.toJSON(),
      'model.safetensors': saveSafetensorsFile(this.module.stateDict()),
    };
  }

  /** Rebuilds a model from `files()` output (or a Hugging Face BERT folder: config.json + tokenizer.json + model.safetensors). */
  static fromFiles(files: { 'config.json': string; 'tokenizer.json': string; 'model.safetensors': Uint8Array }): SentenceEncoder {
    const op = 'SentenceEncoder.fromFiles';
    let cfg: Record<string, unknown>;
    try {
      cfg = JSON.parse(files['config.json']);
    } catch (e) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: config.json is not JSON (${(e as Error).message})`);
    }
    const tok = WordPieceTokenizer.fromJSON(files['tokenizer.json']);
    const ours = cfg.contrastive as SentenceConfig | undefined;
    let enc: SentenceEncoder;
    if (ours?.architecture === 'static') {
      enc = new SentenceEncoder(tok, ours);
    } else {
      const { contrastive: _c, ...bert } = cfg;
      enc = new SentenceEncoder(
        tok,
        ours ?? {
          architecture: 'bert',
          bert: bert as unknown as BertConfig,
          maxLength: Math.min(256, (bert as { max_position_embeddings?: number }).max_position_embeddings ?? 512),
        },
      );
    }
    const sd = parseSafetensorsFile(files['model.safetensors']);
    if (enc.bag) {
      enc.bag.loadStateDict(sd);
    } else {
      // Hugging Face files may prefix every name with "bert." and carry a pooler the encoder does not use
      const mine = new Set(Object.keys(enc.bert!.stateDict()));
      const fixed: typeof sd = {};
      for (const [k, v] of Object.entries(sd)) {
        const name = k.startsWith('bert.') ? k.slice(5) : k;
        if (mine.has(name)) fixed[name] = v;
      }
      const missing = [...mine].filter((k) => !(k in fixed));
      if (missing.length)
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: model.safetensors lacks ${missing.length} tensor(s), e.g. ${missing.slice(0, 3).join(', ')}`);
      enc.bert!.loadStateDict(fixed);
    }
    return enc;
  }

  /**
   * Loads a folder this library wrote (`files()`), or a Hugging Face BERT folder with a WordPiece
   * tokenizer.json, as a trainable SentenceEncoder: a folder path (Node), a map of files or a reader.
   */
  static async load(source: ModelSource): Promise<SentenceEncoder> {
    const op = 'SentenceEncoder.load';
    const read = readerOf(source, op);
    const need = async (f: string) => {
      const b = await read(f);
      if (!b)
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the model has no ${f} (a model folder has config.json, tokenizer.json, model.safetensors)`);
      return b;
    };
    const text = new TextDecoder();
    return SentenceEncoder.fromFiles({
      'config.json': text.decode(await need('config.json')),
      'tokenizer.json': text.decode(await need('tokenizer.json')),
      'model.safetensors': await need('model.safetensors'),
    });
  }

  free(): void {
    this.bag?.free();
    this.bert?.free();
    this.pool?.free();
  }
}

export type SentenceLoss = 'mnrl' | 'cached-mnrl' | 'matryoshka' | 'cosent' | 'contrastive' | 'triplet';

/** The batch triplet losses of sentence-transformers: BatchHardTripletLoss, BatchSemiHardTripletLoss, BatchAllTripletLoss. */
export type SentenceTripletMining = 'batchHard' | 'batchSemiHard' | 'batchAll';

const TRIPLET_MINING: SentenceTripletMining[] = ['batchHard', 'batchSemiHard', 'batchAll'];

export interface FitSentenceOptions {
  /**
   * Default 'mnrl' (needs anchor, positive[, negatives...]); 'cosent' / 'contrastive' need a label
   * column; 'triplet' needs one text column and an integer class label (batches grouped by label).
   */
  loss?: SentenceLoss;
  epochs?: number;
  batchSize?: number;
  /** Peak learning rate (default 0.05 for static models, 5e-5 for transformers). */
  lr?: number;
  /**
   * Static models: SparseAdam (updates only the rows a batch touched; several times faster on a
   * large vocabulary) instead of AdamW over the whole table (sentence-transformers' default, and
   * the better retrieval in the WordNet benchmark). Default false.
   */
  sparse?: boolean;
  /** Fraction of the steps spent warming up linearly from 0 (default 0.1); then linear decay to 0. */
  warmupRatio?: number;
  /**
   * After the warmup: 'linear' (default) decays to 0 at the last step; 'constant' keeps the peak,
   * for training in several calls (one epoch at a time, e.g. to yield to a UI between them).
   */
  schedule?: 'linear' | 'constant';
  /** Similarity scale of MNRL/CoSENT (default 20). */
  scale?: number;
  /** MNRL's symmetric (both directions) form. */
  symmetric?: boolean;
  /** 'matryoshka': the dims (default [dim, dim/2, dim/4, dim/8]) and weights. */
  matryoshka?: MatryoshkaOptions;
  /** 'cached-mnrl': texts per forward chunk (default 32); the loss still sees the whole batch. */
  miniBatchSize?: number;
  /** ContrastiveLoss margin (default 0.5); triplet margin on Euclidean distances (default 5, sentence-transformers'). */
  margin?: number;
  /**
   * 'triplet': which triplets of the batch count (default 'batchHard': each anchor's farthest
   * positive and nearest negative; 'batchSemiHard': per positive pair the nearest negative farther
   * than the positive; 'batchAll': every valid triplet, averaged over those with a positive loss),
   * on Euclidean distances of the raw embeddings, as sentence-transformers' batch triplet losses.
   */
  tripletMining?: SentenceTripletMining;
  seed?: number;
  /** Shuffle the rows each epoch (default true); false keeps the file order (batches still skip duplicates). */
  shuffle?: boolean;
  /** Your own optimizer over `encoder.namedParameters()` (its lr is replaced by the schedule's each step). */
  optimizer?: Optimizer;
  /** Called after every step. */
  onStep?: (e: { step: number; steps: number; epoch: number; loss: number; lr: number }) => void;
  /** Stops between steps. */
  signal?: AbortSignal;
}

export interface FitSentenceResult {
  steps: number;
  /** Mean loss of each epoch. */
  epochLosses: number[];
  /** Rows (anchor, positive, ...) processed per second of training. */
  rowsPerSecond: number;
  /** true when the signal stopped the run early. */
  aborted: boolean;
}

/**
 * Trains a SentenceEncoder on text rows as sentence-transformers' trainer does: NO_DUPLICATES
 * batches, AdamW (weight decay 0.01; or SparseAdam for a static table), linear warmup and decay, and the chosen loss on
 * the embeddings of all the batch's columns (one forward through the shared encoder).
 * 'cached-mnrl' is GradCache (Gao et al. 2021; CachedMultipleNegativesRankingLoss): the batch is
 * embedded in chunks without keeping activations, the loss and dL/d(embeddings) are taken over the
 * whole batch, then each chunk is re-embedded and its slice of the gradient backpropagated: the
 * same update as the full batch with the memory of one chunk (with dropout, the chunks draw other
 * masks than one whole-batch pass would, as in sentence-transformers; the two passes share theirs).
 */
export function fitSentence(encoder: SentenceEncoder, rows: TextRows, opts: FitSentenceOptions = {}): FitSentenceResult {
  const op = 'fitSentence';
  const loss = opts.loss ?? 'mnrl';
  if (!['mnrl', 'cached-mnrl', 'matryoshka', 'cosent', 'contrastive', 'triplet'].includes(loss)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: loss must be 'mnrl', 'cached-mnrl', 'matryoshka', 'cosent', 'contrastive' or 'triplet', got ${String(loss)}`,
    );
  }
  const pairLoss = loss === 'cosent' || loss === 'contrastive';
  const cols = rows.columns.length;
  const mining = opts.tripletMining ?? 'batchHard';
  if (loss === 'triplet') {
    if (!TRIPLET_MINING.includes(mining)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: tripletMining must be 'batchHard', 'batchSemiHard' or 'batchAll', got ${String(mining)}`);
    }
    if (cols !== 1 || !rows.labels) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: triplet needs exactly one text column and a label column (the class), got ${cols} text column(s)${rows.labels ? '' : ' and no label'}`,
      );
    }
    const bad = rows.labels.findIndex((v) => !Number.isSafeInteger(v));
    if (bad >= 0) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: triplet labels are classes (integers); line ${rows.lines[bad]} has ${rows.labels[bad]}`);
    }
  } else if (cols < 2) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${loss} needs at least two text columns (anchor, positive), got ${cols}`);
  if (pairLoss && (!rows.labels || cols !== 2)) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: ${loss} needs exactly two text columns and a label/score column, got ${cols} text column(s)${rows.labels ? '' : ' and no label'}`,
    );
  }
  const epochs = opts.epochs ?? 1;
  const batchSize = opts.batchSize ?? 32;
  for (const [n, v] of [
    ['epochs', epochs],
    ['batchSize', batchSize],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${n} must be a positive integer, got ${String(v)}`);
  }
  const isStatic = encoder.config.architecture === 'static';
  const lr = opts.lr ?? (isStatic ? 0.05 : 5e-5);
  const params = encoder.namedParameters();
  const optimizer: Optimizer = opts.optimizer ?? (isStatic && opts.sparse ? new SparseAdam(params, { lr }) : new AdamW(params, { lr, weightDecay: 0.01 }));
  const seed = opts.seed ?? 0;
  const plan: number[][][] = [];
  for (let e = 0; e < epochs; e++) {
    plan.push(
      loss === 'triplet'
        ? groupByLabelBatches(rows.labels!, batchSize, { seed: seed + e })
        : noDuplicatesBatches(rows.texts, batchSize, { seed: seed + e, shuffle: opts.shuffle }),
    );
  }
  if (loss === 'triplet' && plan[0].length === 0)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: triplet needs a label that occurs at least twice (a positive pair); every label occurs once`);
  const steps = plan.reduce((s, p) => s + p.length, 0);
  const warm = Math.round((opts.warmupRatio ?? 0.1) * steps);
  const schedule = opts.schedule ?? 'linear';
  if (schedule !== 'linear' && schedule !== 'constant')
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: schedule must be 'linear' or 'constant', got ${String(schedule)}`);
  const decay = (t: number) => (schedule === 'constant' ? 1 : Math.max(0, (steps - t) / Math.max(1, steps - warm)));
  const lrAt = (t: number) => (t < warm ? (lr * (t + 1)) / (warm + 1) : lr * decay(t));
  const dims =
    loss === 'matryoshka'
      ? (opts.matryoshka ?? { dims: [encoder.dim, encoder.dim >> 1, encoder.dim >> 2, encoder.dim >> 3].filter((d) => d >= 1) })
      : opts.matryoshka;
  const chunk = loss === 'cached-mnrl' ? (opts.miniBatchSize ?? 32) : Infinity;
  let step = 0;
  let rowsDone = 0;
  const t0 = Date.now();
  const epochLosses: number[] = [];
  for (let e = 0; e < epochs; e++) {
    let sum = 0;
    for (const batch of plan[e]) {
      if (opts.signal?.aborted) break;
      const n = batch.length;
      // column-major texts: all anchors, all positives, then each negative column
      const texts: string[] = [];
      for (let c = 0; c < cols; c++) for (const i of batch) texts.push(rows.texts[i][c]);
      optimizer.zeroGrad();
      let z: Matrix;
      let backward: (g: Float32Array) => void;
      if (Number.isFinite(chunk)) {
        const rng = encoder.module.rngState();
        const parts: Matrix[] = [];
        for (let r0 = 0; r0 < texts.length; r0 += chunk) parts.push(encoder.embed(texts.slice(r0, r0 + chunk), { training: true }));
        const d = parts[0].cols;
        const data = new Float32Array(texts.length * d);
        let o = 0;
        for (const p of parts) {
          data.set(p.data, o);
          o += p.data.length;
        }
        z = { data, rows: texts.length, cols: d };
        backward = (g) => {
          encoder.module.setRngState(rng); // the same dropout masks as the first pass
          for (let r0 = 0; r0 < texts.length; r0 += chunk) {
            const r1 = Math.min(texts.length, r0 + chunk);
            encoder.embed(texts.slice(r0, r1), { training: true });
            encoder.backward({ data: g.slice(r0 * d, r1 * d), rows: r1 - r0, cols: d });
          }
        };
      } else {
        const whole = encoder.embed(texts, { training: true });
        z = whole;
        backward = (g) => encoder.backward({ data: g, rows: whole.rows, cols: whole.cols });
      }
      const d = z.cols;
      const col = (c: number) => ({ data: z.data.subarray(c * n * d, (c + 1) * n * d), rows: n, cols: d });
      const g = new Float32Array(z.data.length);
      let value: number;
      if (loss === 'triplet') {
        const r = triplet(
          z,
          Float64Array.from(batch, (i) => rows.labels![i]),
          {
            mining: mining === 'batchAll' ? 'all' : mining,
            margin: opts.margin ?? 5,
            distance: 'euclidean',
            normalize: false,
            reduction: mining === 'batchAll' ? 'meanNonZero' : 'mean',
          },
        );
        value = r.loss;
        g.set(r.grads.z.data);
      } else if (pairLoss) {
        const labels = batch.map((i) => rows.labels![i]);
        const r =
          loss === 'cosent'
            ? cosent(col(0), col(1), labels, { scale: opts.scale, matryoshka: dims })
            : contrastiveLoss(col(0), col(1), labels, { margin: opts.margin, matryoshka: dims });
        value = r.loss;
        g.set(r.grads.a.data, 0);
        g.set(r.grads.b.data, n * d);
      } else {
        const negatives = Array.from({ length: cols - 2 }, (_, j) => col(j + 2));
        const r = mnrl(col(0), col(1), { scale: opts.scale, symmetric: opts.symmetric, negatives, matryoshka: dims });
        value = r.loss;
        g.set(r.grads.anchor.data, 0);
        g.set(r.grads.positive.data, n * d);
        r.grads.negatives.forEach((m, j) => g.set(m.data, (j + 2) * n * d));
      }
      backward(g);
      const lrNow = lrAt(step);
      optimizer.step(lrNow);
      sum += value;
      rowsDone += n;
      step++;
      opts.onStep?.({ step, steps, epoch: e, loss: value, lr: lrNow });
    }
    epochLosses.push(sum / Math.max(1, plan[e].length));
    if (opts.signal?.aborted) break;
  }
  const secs = Math.max(1e-3, (Date.now() - t0) / 1000);
  return { steps: step, epochLosses, rowsPerSecond: rowsDone / secs, aborted: !!opts.signal?.aborted };
}

/** A model that embeds texts: one this library trained, or a sentence-transformers folder. */
export type SentenceModel = SentenceEncoder | SentenceTransformer;

/**
 * The one loader of a sentence-embedding model folder (a path in Node, a map of files, or a
 * reader): a folder this library trained (its config.json has a `contrastive` entry) becomes a
 * SentenceEncoder; any other (a sentence-transformers or Hugging Face BERT folder) becomes a
 * SentenceTransformer with the folder's pooling and normalization (its tokenizer needs the optional
 * peer @huggingface/tokenizers). Both `encode(texts, { batchSize, normalize, dims, onProgress })`.
 */
export async function loadSentenceModel(source: ModelSource, opts: LoadSentenceTransformerOptions = {}): Promise<SentenceModel> {
  const op = 'loadSentenceModel';
  const read = readerOf(source, op);
  const cfg = await read('config.json');
  if (!cfg) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the model has no config.json`);
  let ours = false;
  try {
    ours = typeof JSON.parse(new TextDecoder().decode(cfg))?.contrastive === 'object';
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: config.json is not valid JSON (${(e as Error).message})`);
  }
  return ours ? SentenceEncoder.load(read) : (await loadSentenceTransformer(read, opts)).model;
}
