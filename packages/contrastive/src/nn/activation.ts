import { ContrastiveError } from '../errors.js';
import { checkStatus, numel, Stateless, type WTensor } from './module.js';

abstract class Elementwise extends Stateless {
  constructor(
    type: string,
    private readonly kind: number,
  ) {
    super(type);
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = `${this.type}.forward`;
    const n = numel(x.shape);
    const y = this.y.ensure(n, op);
    checkStatus(op, this.k.ct_activation_forward(this.kind, x.ptr, n, y));
    this.lastIn = x;
    this.lastTraining = training;
    this.out = x.shape;
    return { ptr: y, shape: x.shape };
  }
  _backward(dy: WTensor): WTensor {
    const op = `${this.type}.backward`;
    const x = this.lastIn!;
    const n = numel(x.shape);
    const dx = this.gradOut(n, op);
    checkStatus(op, this.k.ct_activation_backward(this.kind, x.ptr, dy.ptr, n, dx));
    return { ptr: dx, shape: x.shape };
  }
}

/** nn.ReLU: y = max(x, 0); the gradient at exactly 0 is 0. */
export class ReLU extends Elementwise {
  constructor() {
    super('ReLU', 0);
  }
}

/**
 * nn.GELU. `approximate: 'none'` (default, as PyTorch) is x Phi(x) with the exact erf;
 * `'tanh'` is the tanh approximation, whose gradient is that of the approximation.
 */
export class GELU extends Elementwise {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super('GELU', geluKind(approximate));
  }
}

function geluKind(a: unknown): number {
  if (a !== 'none' && a !== 'tanh') {
    throw new ContrastiveError('INVALID_ARGUMENT', `GELU: approximate must be 'none' or 'tanh', got ${String(a)}`);
  }
  return a === 'tanh' ? 2 : 1;
}
