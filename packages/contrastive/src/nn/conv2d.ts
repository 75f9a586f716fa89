import { ContrastiveError } from '../errors.js';
import { u32 } from '../runtime/memory.js';
import { SplitMix32 } from '../rng.js';
import { forkSeed, uniformInit } from './init.js';
import { checkStatus, expectShape, Module, Parameter, type WTensor } from './module.js';

export type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (Array.isArray(v) ? [v[0], v[1]] : [v, v]);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  bias?: boolean;
  seed?: number;
}

/**
 * Output size of a window op: floor((size + 2 pad - k) / stride) + 1, or 0 when it does not fit.
 * @internal
 */
export function outSize(size: number, k: number, s: number, p: number): number {
  return size + 2 * p < k ? 0 : Math.floor((size + 2 * p - k) / s) + 1;
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
  private dx = this.buf();
  private geom = this.buf();
  private out: number[] | undefined;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, opts: Conv2dOptions = {}) {
    super('Conv2d');
    this.kernelSize = pair(kernelSize);
    this.stride = pair(opts.stride ?? 1);
    this.padding = pair(opts.padding ?? 0);
    const ints: [number, string, number][] = [
      [inChannels, 'inChannels', 1], [outChannels, 'outChannels', 1], [this.kernelSize[0], 'kernelSize', 1],
      [this.kernelSize[1], 'kernelSize', 1], [this.stride[0], 'stride', 1], [this.stride[1], 'stride', 1],
      [this.padding[0], 'padding', 0], [this.padding[1], 'padding', 0],
    ];
    for (const [v, name, min] of ints) {
      if (!Number.isInteger(v) || v < min) throw new ContrastiveError('INVALID_ARGUMENT', `Conv2d: ${name} must be an integer >= ${min}, got ${String(v)}`);
    }
    const [kh, kw] = this.kernelSize;
    const fanIn = inChannels * kh * kw;
    const rng = new SplitMix32(forkSeed(opts.seed ?? 0, 0));
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = new Parameter('weight', [outChannels, inChannels, kh, kw], 'weight', uniformInit(outChannels * fanIn, bound, rng));
    this.bias = opts.bias === false ? undefined : new Parameter('bias', [outChannels], 'bias', uniformInit(outChannels, bound, rng));
  }
  _params(): [string, Parameter][] {
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'Conv2d.forward';
    expectShape(x, x.shape.length === 4 && x.shape[1] === this.inChannels, `[N, ${this.inChannels}, H, W]`, op);
    const [n, , h, w] = x.shape;
    const [kh, kw] = this.kernelSize;
    const [sh, sw] = this.stride;
    const [ph, pw] = this.padding;
    const ho = outSize(h, kh, sh, ph);
    const wo = outSize(w, kw, sw, pw);
    if (ho === 0 || wo === 0) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: kernel ${kh}x${kw} does not fit the ${h}x${w} input padded by ${ph},${pw}`);
    }
    const g = this.geom.ensure(11, op);
    u32(this.k, g, 11).set([n, this.inChannels, h, w, this.outChannels, kh, kw, sh, sw, ph, pw]);
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
    // dx = 0 tells the kernel to skip W^T dY and col2im
    const dx = needInput ? this.dx.ensure(x.shape.reduce((a, b) => a * b, 1), op) : 0;
    checkStatus(op, this.k.ct_conv2d_backward(this.geom.ptr, x.ptr, this.weight.ptr, dy.ptr, dx, this.weight.gradPtr, this.bias?.gradPtr ?? 0));
    return needInput ? { ptr: dx, shape: x.shape } : undefined;
  }
  outShape(): number[] | undefined {
    return this.out;
  }
}
