// The training steps of the methods beyond the InfoNCE family: DCL/DCLW, BYOL, SimSiam, Barlow
// Twins, VICReg, NNCLR, and the labeled metric-learning losses (triplet, multi-similarity).
// Trainer (./trainer.ts) dispatches to MethodStep for these; each step leaves the parameter
// gradients accumulated in the modules and returns the loss before the update.
import { ContrastiveError } from '../errors.js';
import { search } from '../eval/search.js';
import { barlowTwins, type BarlowTwinsOptions } from '../loss/barlow.js';
import { dcl, dclw } from '../loss/dcl.js';
import { multiSimilarity, type MultiSimilarityOptions } from '../loss/multisim.js';
import { negativeCosineSimilarity } from '../loss/negcos.js';
import { ntXent } from '../loss/ntxent.js';
import { triplet, type TripletOptions } from '../loss/triplet.js';
import { vicReg, type VicRegOptions } from '../loss/vicreg.js';
import type { Module, StateDict, Tensor } from '../nn/module.js';
import { cosineMomentum, momentumUpdate } from '../optim/ema.js';
import type { Matrix } from '../types.js';
import { denseLabels, finiteData } from '../validate.js';

export const EXTRA_METHODS = ['dcl', 'dclw', 'byol', 'simsiam', 'barlowtwins', 'vicreg', 'nnclr', 'triplet', 'multisimilarity'] as const;
export type ExtraMethod = (typeof EXTRA_METHODS)[number];

export interface MethodOptions {
  /** BYOL, SimSiam, NNCLR: the predictor head on top of `model`'s output (its parameters belong in the optimizer). */
  predictor?: Module;
  /** BYOL: the target network, a module of `model`'s architecture (its weights are overwritten by `model`'s at the start). */
  targetModel?: Module;
  /**
   * BYOL: the steps of the whole run, over which the target momentum rises from `momentum`
   * (default 0.996) to 1 along a half cosine (cosineMomentum). Without it the momentum stays constant.
   */
  totalSteps?: number;
  /** NNCLR: size of the support queue of past embeddings (default `queueSize`, else 4096). */
  supportSize?: number;
  /** The loss's own options: DCLW's sigma; Barlow Twins' lambda; VICReg's lambda, mu, nu; the triplet and multi-similarity options. */
  loss?: { sigma?: number } & BarlowTwinsOptions & VicRegOptions & Omit<TripletOptions, 'grad'> & Omit<MultiSimilarityOptions, 'grad'>;
}

const NO_INPUT_GRAD = { inputGrad: false } as const;
const rowsOf = (t: Tensor) => t.shape[0];
const asMatrix = (t: Tensor): Matrix => ({ data: t.data, rows: rowsOf(t), cols: t.data.length / rowsOf(t) });
const half = (m: Matrix, i: 0 | 1): Matrix => {
  const b = m.rows / 2;
  return { data: m.data.subarray(i * b * m.cols, (i + 1) * b * m.cols), rows: b, cols: m.cols };
};
const join = (x: Float32Array, y: Float32Array, scale = 1): Float32Array => {
  const out = new Float32Array(x.length + y.length);
  for (let i = 0; i < x.length; i++) out[i] = scale * x[i];
  for (let i = 0; i < y.length; i++) out[x.length + i] = scale * y[i];
  return out;
};
/** The other view's rows first: [b; a] for [a; b] (the stop-gradient targets of the swapped loss). */
const swapHalves = (m: Matrix): Matrix => ({ data: join(half(m, 1).data, half(m, 0).data), rows: m.rows, cols: m.cols });

/**
 * NNCLR's neighbour search: for every row of `Z`, the index of the `support` row (unit vectors)
 * with the highest cosine similarity, argmax_k Z_i . s_k (the row's own norm does not change the
 * ranking), ties to the lower index. It is the top-1 of the streamed exact search kernel
 * (`search` with k = 1 and dot scores): one GEMM of the batch against the queue, each row's
 * scores summed in the same order whatever the thread count.
 */
export function nearestSupport(Z: Matrix, support: Matrix): Uint32Array {
  return search(Z, support, { k: 1, score: 'dot', chunkSize: support.rows }).indices;
}

export class MethodStep {
  private support: Float32Array | undefined;
  private supportFill = 0;
  private supportHead = 0;

  constructor(
    readonly method: ExtraMethod,
    private readonly model: Module,
    private readonly opts: MethodOptions & { momentum?: number; queueSize?: number },
  ) {
    const op = 'Trainer';
    if ((method === 'byol' || method === 'simsiam' || method === 'nnclr') && !opts.predictor) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: method '${method}' needs predictor (the prediction head)`);
    }
    if (method === 'byol') {
      if (!opts.targetModel) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: method 'byol' needs targetModel (a module like model)`);
      opts.targetModel.loadStateDict(model.stateDict());
      const m = opts.momentum ?? 0.996;
      if (!(m >= 0 && m <= 1)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: momentum must be in [0, 1], got ${m}`);
      if (opts.totalSteps !== undefined && !(Number.isInteger(opts.totalSteps) && opts.totalSteps > 0)) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: totalSteps must be a positive integer, got ${opts.totalSteps}`);
      }
    }
    const s = opts.supportSize ?? opts.queueSize ?? 4096;
    if (method === 'nnclr' && !(Number.isInteger(s) && s > 0)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: supportSize must be a positive integer, got ${s}`);
    }
  }

  /** BYOL's target momentum at `step`. */
  momentumAt(step: number): number {
    const base = this.opts.momentum ?? 0.996;
    return this.opts.totalSteps === undefined ? base : cosineMomentum(step, this.opts.totalSteps, base);
  }

  /** One step's forward and backward on x = [view 1; view 2] (2B rows); returns [loss, dL/dtau]. */
  run(x: Tensor, tau: number, labels?: ArrayLike<number>): [number, number] {
    const z = this.model.forwardTensor(x, { training: true });
    const Z = asMatrix(z);
    const back = (g: Float32Array) => this.model.backwardTensor({ data: g, shape: z.shape }, NO_INPUT_GRAD);
    const lo = this.opts.loss ?? {};
    switch (this.method) {
      case 'dcl':
      case 'dclw': {
        const r =
          this.method === 'dcl' ? dcl(half(Z, 0), half(Z, 1), { temperature: tau }) : dclw(half(Z, 0), half(Z, 1), { temperature: tau, sigma: lo.sigma });
        back(join(r.grads.a.data, r.grads.b.data));
        return [r.loss, r.dTemperature];
      }
      case 'barlowtwins': {
        const r = barlowTwins(half(Z, 0), half(Z, 1), { lambda: lo.lambda });
        back(join(r.grads.a.data, r.grads.b.data));
        return [r.loss, 0];
      }
      case 'vicreg': {
        const r = vicReg(half(Z, 0), half(Z, 1), { lambda: lo.lambda, mu: lo.mu, nu: lo.nu, eps: lo.eps });
        back(join(r.grads.a.data, r.grads.b.data));
        return [r.loss, 0];
      }
      case 'triplet':
      case 'multisimilarity': {
        const b = Z.rows / 2;
        if (!labels || labels.length !== b) {
          throw new ContrastiveError('SHAPE_MISMATCH', `Trainer.step: ${this.method} needs ${b} labels (one per sample), got ${labels?.length ?? 'none'}`);
        }
        const both = [...Array.from(labels), ...Array.from(labels)];
        const r =
          this.method === 'triplet'
            ? triplet(Z, both, {
                margin: lo.margin,
                distance: lo.distance,
                normalize: lo.normalize,
                mining: lo.mining,
                minerMargin: lo.minerMargin,
                reduction: lo.reduction,
              })
            : multiSimilarity(Z, both, { alpha: lo.alpha, beta: lo.beta, base: lo.base, mine: lo.mine, epsilon: lo.epsilon });
        back(r.grads.z.data);
        return [r.loss, 0];
      }
      case 'simsiam':
      case 'byol': {
        // predictions p of both views; targets: the other view's z (SimSiam, stop-gradient) or the
        // target network's output on the other view (BYOL). L = (D(p1, t2) + D(p2, t1)) / 2.
        const pred = this.opts.predictor!;
        const p = asMatrix(pred.forwardTensor(z, { training: true }));
        const t = this.method === 'simsiam' ? Z : asMatrix(this.opts.targetModel!.forwardTensor(x, { training: true }));
        const r = negativeCosineSimilarity(p, swapHalves(t));
        // the mean over 2B rows is already the average of the two directions
        const dz = pred.backwardTensor({ data: r.grads.a.data, shape: [p.rows, p.cols] });
        back(dz.data);
        return [r.loss, 0];
      }
      case 'nnclr': {
        // NNCLR (Dwibedi et al. 2021), as lightly's example: positives are the nearest neighbours
        // (cosine) of z in the support queue; L = (NT-Xent(nn(z1), p2) + NT-Xent(nn(z2), p1)) / 2,
        // with the neighbours constants.
        const pred = this.opts.predictor!;
        const p = asMatrix(pred.forwardTensor(z, { training: true }));
        const nn = this.neighbours(Z);
        const r1 = ntXent(half(nn, 0), half(p, 1), { temperature: tau });
        const r2 = ntXent(half(nn, 1), half(p, 0), { temperature: tau });
        const dz = pred.backwardTensor({ data: join(r2.grads.b.data, r1.grads.b.data, 0.5), shape: [p.rows, p.cols] });
        back(dz.data);
        this.enqueue(half(Z, 1));
        return [(r1.loss + r2.loss) / 2, (r1.dTemperature + r2.dTemperature) / 2];
      }
    }
  }

  /** After the optimizer step: BYOL's target moves toward the online network. */
  afterStep(step: number): void {
    if (this.method === 'byol') momentumUpdate(this.opts.targetModel!, this.model, this.momentumAt(step));
  }

  /** Each row's nearest support entry by cosine similarity (the row itself while the queue is empty). */
  private neighbours(Z: Matrix): Matrix {
    const d = Z.cols;
    if (!this.support || this.supportFill === 0) return { data: Z.data.slice(), rows: Z.rows, cols: d };
    const s = this.support;
    const indices = nearestSupport(Z, { data: s.subarray(0, this.supportFill * d), rows: this.supportFill, cols: d });
    const out = new Float32Array(Z.data.length);
    for (let i = 0; i < Z.rows; i++) out.set(s.subarray(indices[i] * d, (indices[i] + 1) * d), i * d);
    return { data: out, rows: Z.rows, cols: d };
  }

  /** The support queue holds L2-normalized past embeddings, oldest out first. */
  private enqueue(Z: Matrix): void {
    const d = Z.cols;
    const size = this.opts.supportSize ?? this.opts.queueSize ?? 4096;
    this.support ??= new Float32Array(size * d);
    for (let i = 0; i < Z.rows; i++) {
      const row = Z.data.subarray(i * d, (i + 1) * d);
      let n = 0;
      for (const v of row) n += v * v;
      n = Math.sqrt(n) || 1;
      for (let j = 0; j < d; j++) this.support[this.supportHead * d + j] = row[j] / n;
      this.supportHead = (this.supportHead + 1) % size;
      this.supportFill = Math.min(size, this.supportFill + 1);
    }
  }

  /** State for an exact resume: the BYOL target and the NNCLR support queue. */
  state(tensors: StateDict, rng: Record<string, Record<string, number>>): void {
    const add = (prefix: string, m: Module) => Object.entries(m.stateDict()).forEach(([k, t]) => (tensors[prefix + k] = t));
    if (this.opts.predictor) {
      add('predictor.', this.opts.predictor);
      rng.predictor = this.opts.predictor.rngState();
    }
    if (this.method === 'byol') {
      add('targetModel.', this.opts.targetModel!);
      rng.targetModel = this.opts.targetModel!.rngState();
    }
    if (this.support) {
      const d = this.support.length / (this.opts.supportSize ?? this.opts.queueSize ?? 4096);
      tensors['nnclr.support'] = { shape: [this.support.length / d, d], data: this.support.slice() };
      tensors['nnclr.pointer'] = { shape: [2], data: Float32Array.of(this.supportFill, this.supportHead) };
    }
  }

  /** The state keys this method owns, for Trainer.restore's check. */
  prefixes(): string[] {
    return [...(this.opts.predictor ? ['predictor.'] : []), ...(this.method === 'byol' ? ['targetModel.'] : [])];
  }

  ownKeys(): string[] {
    return this.method === 'nnclr' ? ['nnclr.support', 'nnclr.pointer'] : [];
  }

  /** Validates this method's part of a state; returns what applies it (nothing changes before). */
  checkRestore(tensors: StateDict, rng: Record<string, Record<string, number>>, op: string): (() => void)[] {
    const pick = (prefix: string) => {
      const sd: StateDict = {};
      for (const [k, t] of Object.entries(tensors)) if (k.startsWith(prefix)) sd[k.slice(prefix.length)] = t;
      return sd;
    };
    const applies: (() => void)[] = [];
    const nets: [string, Module | undefined][] = [
      ['predictor', this.opts.predictor],
      ['targetModel', this.method === 'byol' ? this.opts.targetModel : undefined],
    ];
    for (const [name, m] of nets) {
      if (!m) continue;
      applies.push(m.checkStateDict(pick(`${name}.`), `${op}: ${name}`));
      applies.push(m.checkRngState(rng[name] ?? {}, `${op}: rng.${name}`));
    }
    if (this.method === 'nnclr') {
      const q = tensors['nnclr.support'];
      if (!q) {
        applies.push(() => {
          this.support = undefined;
          this.supportFill = 0;
          this.supportHead = 0;
        });
        return applies;
      }
      const size = this.opts.supportSize ?? this.opts.queueSize ?? 4096;
      const data = finiteData(q.data, 'nnclr.support', op);
      if (q.shape.length !== 2 || q.shape[0] !== size || q.shape[0] * q.shape[1] !== data.length) {
        throw new ContrastiveError('SHAPE_MISMATCH', `${op}: nnclr.support has shape [${q.shape}], expected [${size}, d]`);
      }
      const ptr = tensors['nnclr.pointer'];
      const pv = ptr ? finiteData(ptr.data, 'nnclr.pointer', op, { length: 2 }) : undefined;
      if (!pv || !pv.every((v) => Number.isInteger(v) && v >= 0) || pv[0] > size || pv[1] >= size) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${op}: nnclr.pointer must be [fill <= ${size}, head < ${size}], got ${pv ? `[${Array.from(pv)}]` : 'none'}`,
        );
      }
      const copy = Float32Array.from(data);
      applies.push(() => {
        this.support = copy;
        [this.supportFill, this.supportHead] = Array.from(pv);
      });
    }
    return applies;
  }

  /** What a step refuses before its first forward (no side effects): labels, batch size. */
  check(b: number, labels: ArrayLike<number> | undefined, op: string): void {
    if (this.method === 'triplet' || this.method === 'multisimilarity') {
      if (labels === undefined || labels === null)
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${this.method} needs labels (one per sample), got none`);
      denseLabels(labels, b, op);
    }
    if (['dcl', 'dclw', 'barlowtwins', 'vicreg', 'nnclr'].includes(this.method) && b < 2) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${this.method} needs at least 2 samples per view, got ${b}`);
    }
  }
}
