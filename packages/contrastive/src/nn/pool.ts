import { ContrastiveError } from '../errors.js';
import { checkStatus, expectShape, numel, Stateless, type WTensor } from './module.js';
import { type Pair, Window2d } from './window.js';

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
  private readonly win: Window2d;
  constructor(
    type: string,
    kernelSize: Pair,
    opts: PoolOptions,
    private readonly kind: () => number,
  ) {
    super(type);
    this.win = new Window2d(type, kernelSize, opts.stride ?? kernelSize, opts.padding ?? 0);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding } = this.win);
    if (2 * this.padding[0] > this.kernelSize[0] || 2 * this.padding[1] > this.kernelSize[1]) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${type}: padding should be at most half the kernel size, got padding ${this.padding} for kernel ${this.kernelSize}`,
      );
    }
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = `${this.type}.forward`;
    expectShape(x, x.shape.length === 4, '[N, C, H, W]', op);
    const [n, c, h, w] = x.shape;
    const [ho, wo] = this.win.outHw(h, w);
    if (ho === 0 || wo === 0) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: window ${this.kernelSize[0]}x${this.kernelSize[1]} does not fit the ${h}x${w} input`);
    }
    const g = this.geom.ensure(11, op);
    this.win.writeGeometry(this.k, g, n, c, h, w, 0);
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
    const dx = this.gradOut(numel(x.shape), op);
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
    const dx = this.gradOut(n * c * h * w, op);
    checkStatus(op, this.k.ct_global_avgpool_backward(dy.ptr, n * c, h * w, dx));
    return { ptr: dx, shape: this.lastIn!.shape };
  }
}
