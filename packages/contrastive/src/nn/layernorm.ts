import { ContrastiveError } from '../errors.js';
import { checkStatus, expectShape, Module, numel, Parameter, type WTensor } from './module.js';

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5, PyTorch's; BERT uses 1e-12). */
  eps?: number;
  /** Learnable gain and bias (default true). */
  elementwiseAffine?: boolean;
}

/**
 * nn.LayerNorm over the last dimension: y = (x - mean) / sqrt(var + eps) * weight + bias, the
 * variance biased (divided by d), per row of [N, d]. weight starts at 1 and bias at 0.
 * Kernel: crates/contrastive-kernels/src/nn/layernorm.rs.
 */
export class LayerNorm extends Module {
  readonly weight: Parameter | undefined;
  readonly bias: Parameter | undefined;
  readonly eps: number;
  private y = this.buf();
  private dx = this.buf();
  private save = this.buf();
  private n = 0;
  constructor(
    readonly normalizedShape: number,
    opts: LayerNormOptions = {},
  ) {
    super('LayerNorm');
    if (!Number.isInteger(normalizedShape) || normalizedShape <= 0) {
      throw new ContrastiveError('INVALID_ARGUMENT', `LayerNorm: normalizedShape must be a positive integer, got ${String(normalizedShape)}`);
    }
    const eps = opts.eps ?? 1e-5;
    if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps))
      throw new ContrastiveError('INVALID_ARGUMENT', `LayerNorm: eps must be a finite number > 0, got ${String(eps)}`);
    this.eps = eps;
    if (opts.elementwiseAffine !== false) {
      this.weight = new Parameter('weight', [normalizedShape], 'norm', new Float32Array(normalizedShape).fill(1));
      this.bias = new Parameter('bias', [normalizedShape], 'norm');
    }
  }
  _params(): [string, Parameter][] {
    return this.weight && this.bias
      ? [
          ['weight', this.weight],
          ['bias', this.bias],
        ]
      : [];
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'LayerNorm.forward';
    const d = this.normalizedShape;
    expectShape(x, x.shape[x.shape.length - 1] === d, `[..., ${d}]`, op);
    this.n = numel(x.shape) / d;
    const y = this.y.ensure(this.n * d, op);
    const s = this.save.ensure(2 * this.n, op);
    checkStatus(op, this.k.ct_layernorm_forward(x.ptr, this.n, d, this.weight?.ptr ?? 0, this.bias?.ptr ?? 0, this.eps, y, s));
    this.lastIn = x;
    this.lastTraining = training;
    return { ptr: y, shape: x.shape };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'LayerNorm.backward';
    const d = this.normalizedShape;
    const dx = needInput ? this.dx.ensure(this.n * d, op) : 0;
    checkStatus(
      op,
      this.k.ct_layernorm_backward(
        this.lastIn!.ptr,
        dy.ptr,
        this.n,
        d,
        this.weight?.ptr ?? 0,
        this.save.ptr,
        dx,
        this.weight?.gradPtr ?? 0,
        this.bias?.gradPtr ?? 0,
      ),
    );
    return needInput ? { ptr: dx, shape: this.lastIn!.shape } : undefined;
  }
  outShape(): number[] | undefined {
    return this.lastIn?.shape;
  }
}
