import { ContrastiveError } from '../errors.js';
import { expectShape, Stateless, type WTensor } from './module.js';

/** nn.Flatten(): [N, ...] -> [N, prod(...)]. No copy: the output aliases the input. */
export class Flatten extends Stateless {
  constructor() {
    super('Flatten');
  }
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastIn = x;
    this.lastTraining = training;
    this.out = [x.shape[0], x.shape.slice(1).reduce((a, b) => a * b, 1)];
    return { ptr: x.ptr, shape: this.out };
  }
  _backward(dy: WTensor): WTensor {
    return { ptr: dy.ptr, shape: this.lastIn!.shape };
  }
}

/** nn.Unflatten(1, shape): [N, prod(shape)] -> [N, ...shape] (e.g. flat MNIST rows to [N, 1, 28, 28]). */
export class Unflatten extends Stateless {
  constructor(readonly shape: number[]) {
    super('Unflatten');
    if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `Unflatten: shape must be positive integers, got ${String(shape)}`);
    }
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const size = this.shape.reduce((a, b) => a * b, 1);
    const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
    expectShape(x, per === size, `[N, ${size}] to unflatten into [N, ${this.shape.join(', ')}]`, 'Unflatten.forward');
    this.lastIn = x;
    this.lastTraining = training;
    this.out = [x.shape[0], ...this.shape];
    return { ptr: x.ptr, shape: this.out };
  }
  _backward(dy: WTensor): WTensor {
    return { ptr: dy.ptr, shape: this.lastIn!.shape };
  }
}
