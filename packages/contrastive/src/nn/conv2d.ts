import { ContrastiveError } from '../errors.js';
import { SplitMix32 } from '../rng.js';
import { forkSeed, uniformInit } from './init.js';
import { checkStatus, expectShape, Module, Parameter, type WTensor } from './module.js';
import { type Pair, Window2d } from './window.js';

export { outSize, type Pair } from './window.js';

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  seed?: number;
}

/**
 * nn.Conv2d (groups 1, dilation 1) on NCHW, weight [out, in, kh, kw]; cross-correlation as
 * PyTorch. Init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in kh kw, for weight and bias.
 * Kernel: crates/contrastive-kernels/src/nn/conv2d.rs (im2col + packed GEMM).
 */
export class Conv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  private y = this.buf();
  private geom = this.buf();
  private readonly win: Window2d;
  private out: number[] | undefined;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    opts: Conv2dOptions = {},
  ) {
    super('Conv2d');
    for (const [v, name] of [
      [inChannels, 'inChannels'],
      [outChannels, 'outChannels'],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ContrastiveError('INVALID_ARGUMENT', `Conv2d: ${name} must be an integer >= 1, got ${String(v)}`);
    }
    this.win = new Window2d('Conv2d', kernelSize, opts.stride ?? 1, opts.padding ?? 0);
    ({ kernelSize: this.kernelSize, stride: this.stride, padding: this.padding } = this.win);
    const [kh, kw] = this.kernelSize;
    const fanIn = inChannels * kh * kw;
    const rng = new SplitMix32(forkSeed(opts.seed ?? 0, 0));
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = new Parameter('weight', [outChannels, inChannels, kh, kw], 'weight', uniformInit(outChannels * fanIn, bound, rng));
    this.bias = opts.bias === false ? undefined : new Parameter('bias', [outChannels], 'bias', uniformInit(outChannels, bound, rng));
  }
  _params(): [string, Parameter][] {
    return this.bias
      ? [
          ['weight', this.weight],
          ['bias', this.bias],
        ]
      : [['weight', this.weight]];
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'Conv2d.forward';
    expectShape(x, x.shape.length === 4 && x.shape[1] === this.inChannels, `[N, ${this.inChannels}, H, W]`, op);
    const [n, , h, w] = x.shape;
    const [ho, wo] = this.win.outHw(h, w);
    if (ho === 0 || wo === 0) {
      const [[kh, kw], [ph, pw]] = [this.kernelSize, this.padding];
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: kernel ${kh}x${kw} does not fit the ${h}x${w} input padded by ${ph},${pw}`);
    }
    const g = this.geom.ensure(11, op);
    this.win.writeGeometry(this.k, g, n, this.inChannels, h, w, this.outChannels);
    const y = this.y.ensure(n * this.outChannels * ho * wo, op);
    checkStatus(op, this.k.ct_conv2d_forward(g, x.ptr, this.weight.ptr, this.bias?.ptr ?? 0, y));
    this.lastIn = x;
    this.lastTraining = training;
    this.out = [n, this.outChannels, ho, wo];
    return { ptr: y, shape: this.out };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'Conv2d.backward';
    const x = this.lastIn!;
    // 0 tells the kernel to skip: dx = 0 skips W^T dY and col2im, dw = 0 (frozen) the dY cols^T product
    const dx = needInput
      ? this.gradOut(
          x.shape.reduce((a, b) => a * b, 1),
          op,
        )
      : 0;
    const dw = this.weight.requiresGrad ? this.weight.gradPtr : 0;
    const db = this.bias?.requiresGrad ? this.bias.gradPtr : 0;
    if (dx === 0 && dw === 0 && db === 0) return undefined;
    checkStatus(op, this.k.ct_conv2d_backward_some(this.geom.ptr, x.ptr, this.weight.ptr, dy.ptr, dx, dw, db));
    return needInput ? { ptr: dx, shape: x.shape } : undefined;
  }
  outShape(): number[] | undefined {
    return this.out;
  }
}
