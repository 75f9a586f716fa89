import { ContrastiveError } from '../errors.js';
import { checkStatus, expectShape, fmt, Module, numel, Parameter, StateBuffer, type WTensor } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the NEW batch in the running averages (PyTorch's convention), default 0.1. */
  momentum?: number;
  /** Learnable gamma (weight) and beta (bias), default true. */
  affine?: boolean;
}

/**
 * The one rule for BatchNorm's hyperparameters, the same as the kernel's (`params_ok` in
 * crates/contrastive-kernels/src/nn/batchnorm.rs): `momentum` a number in [0, 1], `eps` a
 * finite number that stays > 0 as a float32 (the kernel's precision: 1e-50 would become 0).
 */
const show = (v: unknown) => (typeof v === 'number' ? String(v) : typeof v);

export function checkBatchNormParams(type: string, momentum: unknown, eps: unknown): void {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || !(Math.fround(eps) > 0) || !Number.isFinite(Math.fround(eps))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${type}: eps must be a finite number > 0 in float32, got ${show(eps)}`);
  }
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${type}: momentum must be a number in [0, 1], got ${show(momentum)}`);
  }
}

/**
 * BatchNorm over every axis but the channel axis (1). Train: normalize with the biased batch
 * variance, update running_var with the unbiased one; eval: use the running statistics.
 * Kernel: crates/contrastive-kernels/src/nn/batchnorm.rs.
 */
abstract class BatchNorm extends Module {
  readonly weight: Parameter | undefined;
  readonly bias: Parameter | undefined;
  readonly runningMean: StateBuffer;
  readonly runningVar: StateBuffer;
  numBatchesTracked = 0;
  readonly eps: number;
  readonly momentum: number;
  private y = this.buf();
  private saved = this.buf();
  private geo = { n: 0, l: 0 };
  constructor(
    type: string,
    readonly numFeatures: number,
    opts: BatchNormOptions,
  ) {
    super(type);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${type}: numFeatures must be a positive integer, got ${String(numFeatures)}`);
    }
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    checkBatchNormParams(type, this.momentum, this.eps);
    const affine = opts.affine ?? true;
    const c = numFeatures;
    this.weight = affine ? new Parameter('weight', [c], 'norm', new Float32Array(c).fill(1)) : undefined;
    this.bias = affine ? new Parameter('bias', [c], 'norm') : undefined;
    this.runningMean = new StateBuffer('running_mean', [c], 0);
    this.runningVar = new StateBuffer('running_var', [c], 1);
  }
  _params(): [string, Parameter][] {
    return this.weight && this.bias
      ? [
          ['weight', this.weight],
          ['bias', this.bias],
        ]
      : [];
  }
  _buffers(): [string, StateBuffer][] {
    return [
      ['running_mean', this.runningMean],
      ['running_var', this.runningVar],
    ];
  }
  _scalars(): [string, { get: () => number; set: (v: number) => void }][] {
    return [['num_batches_tracked', { get: () => this.numBatchesTracked, set: (v) => (this.numBatchesTracked = v) }]];
  }
  protected abstract ok(shape: number[]): boolean;
  protected abstract want: string;
  _forward(x: WTensor, training: boolean): WTensor {
    const op = `${this.type}.forward`;
    expectShape(x, this.ok(x.shape) && x.shape[1] === this.numFeatures, this.want, op);
    const n = x.shape[0];
    const c = this.numFeatures;
    const l = numel(x.shape) / (n * c);
    if (training && n * l < 2) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: expected more than 1 value per channel when training, got input shape ${fmt(x.shape)}`);
    }
    const y = this.y.ensure(n * c * l, op);
    const s = this.saved.ensure(2 * c, op);
    checkStatus(
      op,
      this.k.ct_batchnorm_forward(
        x.ptr,
        n,
        c,
        l,
        this.weight?.ptr ?? 0,
        this.bias?.ptr ?? 0,
        this.runningMean.ptr,
        this.runningVar.ptr,
        this.momentum,
        this.eps,
        training ? 1 : 0,
        y,
        s,
        s + 4 * c,
      ),
    );
    if (training) this.numBatchesTracked++;
    this.geo = { n, l };
    this.lastIn = x;
    this.lastTraining = training;
    return { ptr: y, shape: x.shape };
  }
  _backward(dy: WTensor, needInput = true): WTensor | undefined {
    const op = `${this.type}.backward`;
    const x = this.lastIn!;
    const c = this.numFeatures;
    const { n, l } = this.geo;
    // frozen gamma / beta: null gradient pointers, the kernel skips their sums
    const dg = this.weight?.requiresGrad ? this.weight.gradPtr : 0;
    const dbeta = this.bias?.requiresGrad ? this.bias.gradPtr : 0;
    if (!needInput && dg === 0 && dbeta === 0) return undefined;
    const dx = this.gradOut(n * c * l, op);
    const s = this.saved.ptr;
    checkStatus(op, this.k.ct_batchnorm_backward(x.ptr, dy.ptr, n, c, l, this.weight?.ptr ?? 0, s, s + 4 * c, this.lastTraining ? 1 : 0, dx, dg, dbeta));
    return needInput ? { ptr: dx, shape: x.shape } : undefined;
  }
  outShape(): number[] | undefined {
    return this.lastIn?.shape;
  }
}

/** nn.BatchNorm1d on [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  protected want = `[N, ${'C'}] or [N, C, L] with C = numFeatures`;
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, opts);
  }
  protected ok(s: number[]): boolean {
    return s.length === 2 || s.length === 3;
  }
}

/** nn.BatchNorm2d on NCHW. */
export class BatchNorm2d extends BatchNorm {
  protected want = '[N, C, H, W] with C = numFeatures';
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, opts);
  }
  protected ok(s: number[]): boolean {
    return s.length === 4;
  }
}
