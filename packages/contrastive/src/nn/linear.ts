import { ContrastiveError } from '../errors.js';
import { SplitMix32 } from '../rng.js';
import { forkSeed, uniformInit } from './init.js';
import { checkStatus, expectShape, f32, Module, Parameter, type WTensor } from './module.js';

export interface LinearOptions {
  /** Add a bias (default true). */
  bias?: boolean;
  /** Seed of the default init (default 0). */
  seed?: number;
}

/**
 * nn.Linear: y = x W^T + b, W of shape [out, in] (PyTorch's layout), input [N, in].
 * Init as PyTorch: W and b from U(-1/sqrt(in), 1/sqrt(in)).
 * Kernel: crates/contrastive-kernels/src/nn/linear.rs (packed GEMM, NT / NN / TN).
 */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;
  private y = this.buf();
  private dx = this.buf();
  private n = 0;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super('Linear');
    for (const [v, name] of [
      [inFeatures, 'inFeatures'],
      [outFeatures, 'outFeatures'],
    ] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new ContrastiveError('INVALID_ARGUMENT', `Linear: ${name} must be a positive integer, got ${String(v)}`);
    }
    const rng = new SplitMix32(forkSeed(opts.seed ?? 0, 0));
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = new Parameter('weight', [outFeatures, inFeatures], 'weight', uniformInit(outFeatures * inFeatures, bound, rng));
    this.bias = opts.bias === false ? undefined : new Parameter('bias', [outFeatures], 'bias', uniformInit(outFeatures, bound, rng));
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
    const op = 'Linear.forward';
    expectShape(x, x.shape.length === 2 && x.shape[1] === this.inFeatures, `[N, ${this.inFeatures}]`, op);
    this.n = x.shape[0];
    const y = this.y.ensure(this.n * this.outFeatures, op);
    checkStatus(op, this.k.ct_linear_forward(x.ptr, this.n, this.inFeatures, this.weight.ptr, this.outFeatures, this.bias?.ptr ?? 0, y));
    this.lastIn = x;
    this.lastTraining = training;
    return { ptr: y, shape: [this.n, this.outFeatures] };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'Linear.backward';
    const x = this.lastIn!;
    // dx = 0 tells the kernel to skip the dy W product (n x in x out flops)
    const dx = needInput ? this.dx.ensure(this.n * this.inFeatures, op) : 0;
    if (!this.weight.requiresGrad) return this.frozenBackward(dy, dx, op);
    checkStatus(
      op,
      this.k.ct_linear_backward(x.ptr, this.n, this.inFeatures, this.weight.ptr, this.outFeatures, dy.ptr, dx, this.weight.gradPtr, this.bias?.gradPtr ?? 0),
    );
    return needInput ? { ptr: dx, shape: x.shape } : undefined;
  }
  /** A frozen weight: dx = dy W by the GEMM alone (no dW product); a trainable bias still gets sum dy. */
  private frozenBackward(dy: WTensor, dx: number, op: string): WTensor | undefined {
    const x = this.lastIn!;
    if (dx !== 0) checkStatus(op, this.k.ct_gemm(this.n, this.inFeatures, this.outFeatures, dy.ptr, 0, this.weight.ptr, 0, dx, 0));
    if (this.bias?.requiresGrad) {
      const g = f32(this.k, dy.ptr, this.n * this.outFeatures);
      const db = new Float64Array(this.outFeatures);
      for (let i = 0; i < this.n; i++) for (let j = 0; j < this.outFeatures; j++) db[j] += g[i * this.outFeatures + j];
      const acc = f32(this.k, this.bias.gradPtr, this.outFeatures);
      for (let j = 0; j < this.outFeatures; j++) acc[j] += db[j];
    }
    return dx !== 0 ? { ptr: dx, shape: x.shape } : undefined;
  }
  outShape(): number[] | undefined {
    return this.lastIn ? [this.n, this.outFeatures] : undefined;
  }
}
