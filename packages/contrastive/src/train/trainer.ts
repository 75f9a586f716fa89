// The contrastive training loop: SimCLR, MoCo v2, CLIP-style pairs and SupCon on one engine.
import { ContrastiveError } from '../errors.js';
import { infoNce } from '../loss/infonce.js';
import { mnrl } from '../loss/mnrl.js';
import { ntXent } from '../loss/ntxent.js';
import { supCon } from '../loss/supcon.js';
import { checkTensor, type Module, type StateDict, type Tensor } from '../nn/module.js';
import { clipGradNorm } from '../optim/clip.js';
import { momentumUpdate } from '../optim/ema.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LearnableTemperature } from '../optim/temperature.js';
import type { Matrix } from '../types.js';
import { checkInt, checkLr, checkObject, checkRange, checkTemperature, denseLabels, describe, finiteData } from '../validate.js';
import { toViews, type TensorLike } from './data.js';
import { EXTRA_METHODS, MethodStep, type ExtraMethod, type MethodOptions } from './methods.js';

/**
 * The inputs of one step: two augmented views of the same samples (or the two sides of CLIP
 * pairs), and for CLIP optionally a third: one hard negative per pair (triplets), encoded by the
 * second tower beside the positives.
 */
export type Views = [Tensor, Tensor] | [Tensor, Tensor, Tensor];

export type Method = 'simclr' | 'moco' | 'clip' | 'supcon' | ExtraMethod;

export interface TrainerOptions extends MethodOptions {
  /**
   * - 'simclr' (Chen et al. 2020): both views through `model`, NT-Xent over the 2B rows.
   * - 'moco' (He et al. 2020; MoCo v2, Chen et al. 2020): queries from `model`, keys from a
   *   momentum copy of it, negatives from a FIFO queue of past keys; InfoNCE with `negatives`.
   * - 'clip' (Radford et al. 2021): view 1 through `model`, view 2 through `modelB`, symmetric
   *   InfoNCE, usually with a learnable temperature. With a third view (triplets: anchor,
   *   positive, hard negative), the negatives go through `modelB` with the positives and the
   *   loss is symmetric MNRL: each anchor's candidates are every positive and every negative of
   *   the batch, each positive's candidates are the anchors.
   * - 'supcon' (Khosla et al. 2020): as SimCLR, every same-label row is a positive.
   * - 'dcl' / 'dclw' (Yeh et al. 2021): as SimCLR with the decoupled loss (dcl, dclw).
   * - 'byol' (Grill et al. 2020): `model` + `predictor` against `targetModel`, an EMA of
   *   `model` (momentum 0.996 rising to 1 over `totalSteps`), negative cosine, symmetric.
   * - 'simsiam' (Chen & He 2021): `model` + `predictor` against `model`'s own output on the
   *   other view under a stop-gradient, negative cosine, symmetric.
   * - 'barlowtwins' (Zbontar et al. 2021), 'vicreg' (Bardes et al. 2022): both views through
   *   `model`, the loss on the two halves (barlowTwins, vicReg; weights in `loss`).
   * - 'nnclr' (Dwibedi et al. 2021): `model` + `predictor`; each view's positive is its nearest
   *   neighbour in a support queue of past embeddings (NT-Xent; the batch itself until the
   *   queue has entries).
   * - 'triplet', 'multisimilarity': labeled metric learning over both views' rows
   *   (triplet, multiSimilarity; options in `loss`), labels as for SupCon.
   * BatchNorm in `model` sees both views in one batch (2B rows) for every method but MoCo and CLIP.
   */
  method: Method;
  /** Encoder + projection head: the module the loss sees the output of. */
  model: Module;
  /** CLIP's second tower. */
  modelB?: Module;
  /** MoCo's key encoder: a module of the same architecture; its weights are overwritten by `model`'s at the start. */
  keyModel?: Module;
  optimizer: Optimizer;
  /** A fixed tau, or a LearnableTemperature (its parameter must be in the optimizer). */
  temperature: number | LearnableTemperature;
  /** lr of step t (0-based); default: the optimizer's lr. */
  schedule?: (step: number) => number;
  /** Clip the global gradient norm to this value before each step. */
  clipGradNorm?: number;
  /** MoCo: momentum of the key encoder (default 0.99) and queue length (default 4096). */
  momentum?: number;
  queueSize?: number;
  /**
   * GradCache (Gao et al. 2021): forward the batch in chunks of this many rows without keeping
   * activations, take the loss and dL/dz once over the whole batch, then re-forward each chunk
   * and backpropagate its slice of dL/dz. The gradient equals the whole-batch step's for
   * encoders without BatchNorm (BatchNorm then sees per-chunk statistics). SimCLR and SupCon.
   */
  gradCacheChunk?: number;
}

export interface StepResult {
  loss: number;
  temperature: number;
  lr: number;
}

/** The whole-state snapshot for an exact resume: model(s), optimizer, MoCo queue, counters. */
export interface TrainerState {
  step: number;
  tensors: StateDict;
  optimizer: ReturnType<Optimizer['stateDict']>;
  rng: Record<string, Record<string, number>>;
}

// The models' inputs are data: their input gradients would be computed only to be dropped.
const NO_INPUT_GRAD = { inputGrad: false } as const;
const rowsOf = (t: Tensor) => t.shape[0];
const concat = (a: Tensor, b: Tensor): Tensor => {
  if (a.shape.slice(1).join() !== b.shape.slice(1).join() || rowsOf(a) !== rowsOf(b)) {
    throw new ContrastiveError('SHAPE_MISMATCH', `Trainer.step: the two views have shapes [${a.shape}] and [${b.shape}]; they must match`);
  }
  const shape = [rowsOf(a) * 2, ...a.shape.slice(1)];
  // views that are already consecutive in one buffer (imageTrainData's) are used as they are
  if (a.data.buffer === b.data.buffer && a.data.byteOffset + a.data.byteLength === b.data.byteOffset) {
    return { data: new Float32Array(a.data.buffer, a.data.byteOffset, a.data.length + b.data.length), shape };
  }
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, shape };
};
const rowSlice = (t: Tensor, r0: number, r1: number): Tensor => {
  const per = t.data.length / rowsOf(t);
  return { data: t.data.subarray(r0 * per, r1 * per), shape: [r1 - r0, ...t.shape.slice(1)] };
};
const asMatrix = (t: Tensor): Matrix => ({ data: t.data, rows: rowsOf(t), cols: t.data.length / rowsOf(t) });

/**
 * One optimization step at a time, for any of the methods. `fit` (./fit.ts) runs epochs
 * of steps with progress, monitoring, checkpoints and cancellation on top of this.
 *
 * @example
 * ```ts
 * const model = new Sequential(mlp([784, 512, 256], { batchNorm: true }), simclrHead(256));
 * const trainer = new Trainer({
 *   method: 'simclr', model, temperature: 0.1,
 *   optimizer: new AdamW(model.namedParameters(), { lr: 1e-3 }),
 * });
 * const { loss } = trainer.step([view1, view2]); // two Tensors { data, shape: [batch, 784] }
 * ```
 */
export class Trainer {
  readonly method: Method;
  readonly model: Module;
  readonly modelB?: Module;
  readonly keyModel?: Module;
  readonly optimizer: Optimizer;
  readonly temperature: number | LearnableTemperature;
  /** Steps taken so far (the schedule's t). */
  stepCount = 0;
  private queue: Float32Array | undefined;
  private queueFill = 0;
  private queueHead = 0;
  private readonly opts: TrainerOptions;
  private readonly extra: MethodStep | undefined;

  constructor(opts: TrainerOptions) {
    const op = 'Trainer';
    checkObject(opts, 'options', op);
    this.opts = opts;
    this.method = opts.method;
    const methods: readonly string[] = ['simclr', 'moco', 'clip', 'supcon', ...EXTRA_METHODS];
    if (!methods.includes(opts.method)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: method must be one of ${methods.map((m) => `'${m}'`).join(', ')}, got ${String(opts.method)}`);
    }
    this.model = opts.model;
    this.optimizer = opts.optimizer;
    this.temperature = opts.temperature;
    if (!(opts.temperature instanceof LearnableTemperature)) checkTemperature(opts.temperature, 'temperature', op);
    if (opts.schedule !== undefined && typeof opts.schedule !== 'function') {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: schedule must be a function (step) => lr, got ${describe(opts.schedule)}`);
    }
    if (opts.clipGradNorm !== undefined) checkRange(opts.clipGradNorm, 'clipGradNorm', op, Number.MIN_VALUE, Number.MAX_VALUE);
    if (opts.queueSize !== undefined) checkInt(opts.queueSize, 'queueSize', op, 1);
    if (opts.method === 'clip') {
      if (!opts.modelB) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: method 'clip' needs modelB (the second tower)`);
      this.modelB = opts.modelB;
    }
    if (opts.method === 'moco') {
      if (!opts.keyModel) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: method 'moco' needs keyModel (a module like model)`);
      this.keyModel = opts.keyModel;
      this.keyModel.loadStateDict(this.model.stateDict());
      const m = opts.momentum ?? 0.99;
      if (typeof m !== 'number' || !(m >= 0 && m < 1)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: momentum must be in [0, 1), got ${describe(m)}`);
    }
    this.extra = (EXTRA_METHODS as readonly string[]).includes(opts.method) ? new MethodStep(opts.method as ExtraMethod, opts.model, opts) : undefined;
    if (opts.gradCacheChunk !== undefined) {
      if (!Number.isInteger(opts.gradCacheChunk) || opts.gradCacheChunk < 1) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: gradCacheChunk must be a positive integer, got ${opts.gradCacheChunk}`);
      }
      if (opts.method !== 'simclr' && opts.method !== 'supcon') {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: gradCacheChunk works with 'simclr' and 'supcon', not '${opts.method}'`);
      }
    }
  }

  private tau(): number {
    return typeof this.temperature === 'number' ? this.temperature : this.temperature.tau;
  }

  /**
   * One step on two views of a batch (`labels`: SupCon's, one per sample). Returns the loss
   * before the update.
   */
  step(input: Views | [TensorLike, TensorLike] | [TensorLike, TensorLike, TensorLike], labels?: ArrayLike<number>): StepResult {
    // Everything that can be refused is checked before the first forward: a refused step has
    // no side effects (BatchNorm running statistics, dropout counters, the MoCo queue).
    const op = 'Trainer.step';
    const views = toViews(input, op);
    const b = rowsOf(views[0]);
    if (views.length === 3) {
      if (this.method !== 'clip')
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: a third view (hard negatives) goes with method 'clip', not '${this.method}'`);
      if (views[2].shape.join() !== views[1].shape.join())
        throw new ContrastiveError(
          'SHAPE_MISMATCH',
          `${op}: the negatives (views[2]) have shape [${views[2].shape}], the positives (views[1]) [${views[1].shape}]; they must match`,
        );
    }
    if (this.method === 'simclr' || this.method === 'supcon') {
      if (views[0].shape.join() !== views[1].shape.join()) {
        throw new ContrastiveError('SHAPE_MISMATCH', `${op}: the two views have shapes [${views[0].shape}] and [${views[1].shape}]; they must match`);
      }
      if (b < 2 && this.method === 'simclr') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: NT-Xent needs at least 2 samples per view, got ${b}`);
    } else if (rowsOf(views[1]) !== b) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: the two views have ${b} and ${rowsOf(views[1])} rows; they must match`);
    }
    if (this.method === 'supcon') {
      if (labels === undefined || labels === null) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: supcon needs labels (one per sample), got none`);
      denseLabels(labels, b, op);
    }
    this.extra?.check(b, labels, op);
    const lr = checkLr(this.opts.schedule ? this.opts.schedule(this.stepCount) : this.optimizer.lr, `${op}: the schedule's lr at step ${this.stepCount}`);
    const tau = checkTemperature(this.tau(), 'temperature', op);
    this.optimizer.zeroGrad();
    let loss: number;
    let dTau: number;
    switch (this.method) {
      case 'simclr':
      case 'supcon':
        [loss, dTau] = this.opts.gradCacheChunk ? this.gradCacheStep(views, tau, labels) : this.twoViewStep(views, tau, labels);
        break;
      case 'moco':
        [loss, dTau] = this.mocoStep(views, tau);
        break;
      case 'clip':
        [loss, dTau] = this.clipStep(views, tau);
        break;
      default:
        [loss, dTau] = this.extra!.run(concat(views[0], views[1]), tau, labels);
    }
    if (this.temperature instanceof LearnableTemperature) this.temperature.accumulate(dTau);
    if (this.opts.clipGradNorm !== undefined)
      clipGradNorm(
        this.optimizer.params.map(([, p]) => p),
        this.opts.clipGradNorm,
      );
    this.optimizer.step(lr);
    if (this.temperature instanceof LearnableTemperature) this.temperature.clamp();
    if (this.method === 'moco') this.momentumUpdate();
    this.extra?.afterStep(this.stepCount);
    this.stepCount++;
    return { loss, temperature: tau, lr };
  }

  /** The model output went non-finite: the weights have diverged (the input was checked finite). */
  private diverged(z: Tensor | Matrix): void {
    const d = z.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i];
      if (v - v !== 0) {
        throw new ContrastiveError(
          'NON_FINITE',
          `Trainer.step: loss diverged at step ${this.stepCount + 1} (the model's output has ${v}); lower the learning rate`,
        );
      }
    }
  }

  private loss(z: Tensor, b: number, tau: number, labels?: ArrayLike<number>): { loss: number; dTau: number; g: Float32Array } {
    this.diverged(z);
    const Z = asMatrix(z);
    const d = Z.cols;
    if (this.method === 'supcon') {
      if (!labels || labels.length !== b) {
        throw new ContrastiveError('SHAPE_MISMATCH', `Trainer.step: supcon needs ${b} labels (one per sample), got ${labels?.length ?? 'none'}`);
      }
      const both = [...Array.from(labels), ...Array.from(labels)];
      const r = supCon(Z, both, { temperature: tau });
      return { loss: r.loss, dTau: r.dTemperature, g: r.grads.z.data };
    }
    const r = ntXent({ data: Z.data.subarray(0, b * d), rows: b, cols: d }, { data: Z.data.subarray(b * d), rows: b, cols: d }, { temperature: tau });
    const g = new Float32Array(2 * b * d);
    g.set(r.grads.a.data);
    g.set(r.grads.b.data, b * d);
    return { loss: r.loss, dTau: r.dTemperature, g };
  }

  private twoViewStep(views: Views, tau: number, labels?: ArrayLike<number>): [number, number] {
    // both views in one batch: one forward, BatchNorm statistics over all 2B rows
    const x = concat(views[0], views[1]);
    const z = this.model.forwardTensor(x, { training: true });
    const r = this.loss(z, rowsOf(views[0]), tau, labels);
    this.model.backwardTensor({ data: r.g, shape: z.shape }, NO_INPUT_GRAD);
    return [r.loss, r.dTau];
  }

  private gradCacheStep(views: Views, tau: number, labels?: ArrayLike<number>): [number, number] {
    const x = concat(views[0], views[1]);
    const n = rowsOf(x);
    const c = this.opts.gradCacheChunk!;
    // pass 1 runs in training mode (the same function as pass 2) but must not advance the
    // BatchNorm running statistics or the dropout counters twice: snapshot and restore them
    const state = this.model.stateDict();
    const rng = this.model.rngState();
    const parts: Tensor[] = [];
    for (let r0 = 0; r0 < n; r0 += c) parts.push(this.model.forwardTensor(rowSlice(x, r0, Math.min(n, r0 + c)), { training: true }));
    const d = parts[0].data.length / rowsOf(parts[0]);
    const z = new Float32Array(n * d);
    let o = 0;
    for (const p of parts) {
      z.set(p.data, o);
      o += p.data.length;
    }
    const r = this.loss({ data: z, shape: [n, d] }, rowsOf(views[0]), tau, labels);
    this.model.loadStateDict(state);
    this.model.setRngState(rng);
    for (let r0 = 0; r0 < n; r0 += c) {
      const r1 = Math.min(n, r0 + c);
      this.model.forwardTensor(rowSlice(x, r0, r1), { training: true });
      this.model.backwardTensor({ data: r.g.subarray(r0 * d, r1 * d), shape: [r1 - r0, d] }, NO_INPUT_GRAD);
    }
    return [r.loss, r.dTau];
  }

  private mocoStep(views: Views, tau: number): [number, number] {
    const q = this.model.forwardTensor(views[0], { training: true });
    const k = this.keyModel!.forwardTensor(views[1], { training: true }); // no backward: keys are constants
    const Q = asMatrix(q);
    const K = asMatrix(k);
    const d = Q.cols;
    this.queue ??= new Float32Array((this.opts.queueSize ?? 4096) * d);
    const negatives = { data: this.queue.subarray(0, this.queueFill * d), rows: this.queueFill, cols: d };
    this.diverged(Q);
    this.diverged(K);
    const r = infoNce(Q, K, { temperature: tau, negatives });
    this.model.backwardTensor({ data: r.grads.query.data, shape: q.shape }, NO_INPUT_GRAD);
    this.enqueue(K);
    return [r.loss, r.dTemperature];
  }

  private clipStep(views: Views, tau: number): [number, number] {
    const a = this.model.forwardTensor(views[0], { training: true });
    if (views.length === 3) return this.clipNegativesStep(a, views[1], views[2], tau);
    const b = this.modelB!.forwardTensor(views[1], { training: true });
    this.diverged(a);
    this.diverged(b);
    const r = infoNce(asMatrix(a), asMatrix(b), { temperature: tau, symmetric: true });
    this.model.backwardTensor({ data: r.grads.query.data, shape: a.shape }, NO_INPUT_GRAD);
    this.modelB!.backwardTensor({ data: r.grads.key.data, shape: b.shape }, NO_INPUT_GRAD);
    return [r.loss, r.dTemperature];
  }

  /** CLIP with one hard negative per pair: positives and negatives in one forward of `modelB`, symmetric MNRL. */
  private clipNegativesStep(a: Tensor, positives: Tensor, negatives: Tensor, tau: number): [number, number] {
    const docs = this.modelB!.forwardTensor(concat(positives, negatives), { training: true });
    this.diverged(a);
    this.diverged(docs);
    const D = asMatrix(docs);
    const n = rowsOf(positives);
    const half = n * D.cols;
    const p = { data: D.data.subarray(0, half), rows: n, cols: D.cols };
    const neg = { data: D.data.subarray(half), rows: n, cols: D.cols };
    const r = mnrl(asMatrix(a), p, { temperature: tau, negatives: [neg], symmetric: true });
    const g = new Float32Array(2 * half);
    g.set(r.grads.positive.data);
    g.set(r.grads.negatives[0].data, half);
    this.model.backwardTensor({ data: r.grads.anchor.data, shape: a.shape }, NO_INPUT_GRAD);
    this.modelB!.backwardTensor({ data: g, shape: docs.shape }, NO_INPUT_GRAD);
    return [r.loss, r.dTemperature];
  }

  /** Keys enter the queue L2-normalized, oldest out first. */
  private enqueue(K: Matrix): void {
    const q = this.queue!;
    const size = q.length / K.cols;
    for (let i = 0; i < K.rows; i++) {
      const row = K.data.subarray(i * K.cols, (i + 1) * K.cols);
      const norm = Math.hypot(...row) || 1;
      for (let j = 0; j < K.cols; j++) q[this.queueHead * K.cols + j] = row[j] / norm;
      this.queueHead = (this.queueHead + 1) % size;
      this.queueFill = Math.min(size, this.queueFill + 1);
    }
  }

  /** theta_k <- m theta_k + (1 - m) theta_q, over the parameters (the EMA kernel); buffers (BN statistics) are the key model's own. */
  private momentumUpdate(): void {
    momentumUpdate(this.keyModel!, this.model, this.opts.momentum ?? 0.99);
  }

  /** Everything a resumed run needs to continue bit for bit. */
  state(): TrainerState {
    const tensors: StateDict = {};
    const add = (prefix: string, sd: StateDict) => Object.entries(sd).forEach(([k, t]) => (tensors[prefix + k] = t));
    add('model.', this.model.stateDict());
    if (this.modelB) add('modelB.', this.modelB.stateDict());
    if (this.keyModel) add('keyModel.', this.keyModel.stateDict());
    if (this.temperature instanceof LearnableTemperature) {
      tensors['logit_scale'] = { shape: [], data: this.temperature.logitScale.value() };
    }
    if (this.queue) {
      const d = this.queue.length / (this.opts.queueSize ?? 4096);
      tensors['moco.queue'] = { shape: [this.queue.length / d, d], data: this.queue.slice() };
      tensors['moco.pointer'] = { shape: [2], data: Float32Array.of(this.queueFill, this.queueHead) };
    }
    const rng: TrainerState['rng'] = { model: this.model.rngState() };
    if (this.modelB) rng.modelB = this.modelB.rngState();
    if (this.keyModel) rng.keyModel = this.keyModel.rngState();
    this.extra?.state(tensors, rng);
    return { step: this.stepCount, tensors, optimizer: this.optimizer.stateDict(), rng };
  }

  /**
   * Continues from a state() snapshot. Every part is validated first (names, shapes, finite
   * values, counters, optimizer moments, step); a refused state changes nothing.
   */
  restore(s: TrainerState): void {
    const op = 'Trainer.restore';
    checkObject(s, 'state', op);
    const tensors = checkObject(s.tensors, 'state.tensors', op) as StateDict;
    const rng = checkObject(s.rng, 'state.rng', op) as TrainerState['rng'];
    const step = checkInt(s.step, 'state.step', op, 0);
    const prefixes = ['model.', ...(this.modelB ? ['modelB.'] : []), ...(this.keyModel ? ['keyModel.'] : []), ...(this.extra?.prefixes() ?? [])];
    const own = new Set<string>([
      ...(this.temperature instanceof LearnableTemperature ? ['logit_scale'] : []),
      ...(this.method === 'moco' ? ['moco.queue', 'moco.pointer'] : []),
      ...(this.extra?.ownKeys() ?? []),
    ]);
    for (const k of Object.keys(tensors)) {
      if (!own.has(k) && !prefixes.some((p) => k.startsWith(p))) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: unexpected tensor ${k}`);
    }
    const pick = (prefix: string) => {
      const sd: StateDict = {};
      for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) sd[k.slice(prefix.length)] = t;
      return sd;
    };
    const applies: (() => void)[] = [];
    const models: [string, Module | undefined][] = [
      ['model', this.model],
      ['modelB', this.modelB],
      ['keyModel', this.keyModel],
    ];
    for (const [name, m] of models) {
      if (!m) continue;
      applies.push(m.checkStateDict(pick(`${name}.`), `${op}: ${name}`));
      applies.push(m.checkRngState(rng[name] ?? {}, `${op}: rng.${name}`));
    }
    if (this.temperature instanceof LearnableTemperature) {
      const t = tensors['logit_scale'];
      if (!t) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the state has no logit_scale for the learnable temperature`);
      const v = finiteData(t.data, 'logit_scale', op, { length: 1 });
      const temp = this.temperature;
      applies.push(() => temp.logitScale.set(v));
    }
    const q = tensors['moco.queue'];
    if (q) {
      const size = this.opts.queueSize ?? 4096;
      const data = finiteData(q.data, 'moco.queue', op);
      if (q.shape.length !== 2 || q.shape[0] !== size || q.shape[0] * q.shape[1] !== data.length) {
        throw new ContrastiveError('SHAPE_MISMATCH', `${op}: moco.queue has shape [${q.shape}], expected [${size}, d]`);
      }
      const ptr = tensors['moco.pointer'];
      const pv = ptr ? finiteData(ptr.data, 'moco.pointer', op, { length: 2 }) : undefined;
      if (!pv || !pv.every((v) => Number.isInteger(v) && v >= 0) || pv[0] > size || pv[1] >= size) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${op}: moco.pointer must be [fill <= ${size}, head < ${size}], got ${pv ? `[${Array.from(pv)}]` : 'none'}`,
        );
      }
      const copy = Float32Array.from(data);
      applies.push(() => {
        this.queue = copy;
        [this.queueFill, this.queueHead] = Array.from(pv);
      });
    } else if (this.method === 'moco') {
      applies.push(() => {
        this.queue = undefined;
        this.queueFill = 0;
        this.queueHead = 0;
      });
    }
    if (this.extra) applies.push(...this.extra.checkRestore(tensors, rng, op));
    applies.push(this.optimizer.checkStateDict(s.optimizer, `${op}: optimizer`));
    for (const apply of applies) apply();
    this.stepCount = step;
  }
}
