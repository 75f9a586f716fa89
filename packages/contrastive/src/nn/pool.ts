import { ContrastiveError } from '../errors.js';
import { u32 } from '../runtime/memory.js';
import { outSize, type Pair } from './conv2d.js';
import { checkStatus, expectShape, numel, Stateless, type WTensor } from './module.js';

const pair = (v: Pair): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);

export interface PoolOptions {
  /** Default: the kernel size (as PyTorch). */
  stride?: Pair;
  padding?: Pair;
}

abstract class Pool2d extends Stateless {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  private geom = this.buf();
  private idx = this.buf();
  constructor(type: string, kernelSize: Pair, opts: PoolOptions, private readonly kind: () => number) {
    super(type);
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? kernelSize);
    this.padding = pair(opts.padding ?? 0);
    for (const [v, name, min] of [
      [this.kernelSize[0], 'kernelSize', 1], [this.kernelSize[1], 'kernelSize', 1], [this.stride[0], 'stride', 1],
      [this.stride[1], 'stride', 1], [this.padding[0], 'padding', 0], [this.padding[1], 'padding', 0],
    ] as [number, string, number][]) {
      if (!Number.isInteger(v) || v < min) throw new ContrastiveError('INVALID_ARGUMENT', `${type}: ${name} must be an integer >= ${min}, got ${String(v)}`);
    }
    if (2 * this.padding[0] > this.kernelSize[0] || 2 * this.padding[1] > this.kernelSize[1]) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${type}: padding should be at most half the kernel size, got padding ${this.padding} for kernel ${this.kernelSize}`);
    }
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = `${this.type}.forward`;
    expectShape(x, x.shape.length === 4, '[N, C, H, W]', op);
    const [n, c, h, w] = x.shape;
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const ho = outSize(h, kh, sh, ph);
    const wo = outSize(w, kw, sw, pw);
    if (ho === 0 || wo === 0) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: window ${kh}x${kw} does not fit the ${h}x${w} input`);
    const g = this.geom.ensure(11, op);
    u32(this.k, g, 11).set([n, c, h, w, 0, kh, kw, sh, sw, ph, pw]);
    const len = n * c * ho * wo;
    const y = this.y.ensure(len, op);
    const idx = this.idx.ensure(len, op);
    checkStatus(op, this.k.ct_pool2d_forward(this.kind(), g, x.ptr, y, idx));
    this.lastIn = x;
    this.lastTraining = training;
    this.out = [n, c, ho, wo];
    return { ptr: y, shape: this.out };
  }
  _backward(dy: WTensor): WTensor {
    const op = `${this.type}.backward`;
    const x = this.lastIn!;
    const dx = this.dx.ensure(numel(x.shape), op);
    checkStatus(op, this.k.ct_pool2d_backward(this.kind(), this.geom.ptr, dy.ptr, this.idx.ptr, dx));
    return { ptr: dx, shape: x.shape };
  }
}

/** nn.MaxPool2d (ceil_mode false): padding counts as -infinity; gradients go to the argmax. */
export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Pair, opts: PoolOptions = {}) {
    super('MaxPool2d', kernelSize, opts, () => 0);
  }
}

/** nn.AvgPool2d (ceil_mode false); countIncludePad defaults to true, as PyTorch. */
export class AvgPool2d extends Pool2d {
  readonly countIncludePad: boolean;
  constructor(kernelSize: Pair, opts: PoolOptions & { countIncludePad?: boolean } = {}) {
    super('AvgPool2d', kernelSize, opts, () => (this.countIncludePad ? 1 : 2));
    this.countIncludePad = opts.countIncludePad ?? true;
  }
}

/** nn.AdaptiveAvgPool2d(1): the mean of each channel plane; output [N, C, 1, 1]. */
export class GlobalAvgPool2d extends Stateless {
  constructor() {
    super('GlobalAvgPool2d');
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'GlobalAvgPool2d.forward';
    expectShape(x, x.shape.length === 4, '[N, C, H, W]', op);
    const [n, c, h, w] = x.shape;
    const y = this.y.ensure(n * c, op);
    checkStatus(op, this.k.ct_global_avgpool_forward(x.ptr, n * c, h * w, y));
    this.lastIn = x;
    this.lastTraining = training;
    this.out = [n, c, 1, 1];
    return { ptr: y, shape: this.out };
  }
  _backward(dy: WTensor): WTensor {
    const op = 'GlobalAvgPool2d.backward';
    const [n, c, h, w] = this.lastIn!.shape;
    const dx = this.dx.ensure(n * c * h * w, op);
    checkStatus(op, this.k.ct_global_avgpool_backward(dy.ptr, n * c, h * w, dx));
    return { ptr: dx, shape: this.lastIn!.shape };
  }
}
