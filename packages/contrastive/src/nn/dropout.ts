import { ContrastiveError } from '../errors.js';
import { checkStatus, numel, Stateless, type WTensor } from './module.js';

/**
 * nn.Dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1-p); identity in eval mode. The mask comes from a counter-based RNG keyed by
 * (seed, call counter, element index), so runs are reproducible; the counter is part of
 * `rngState()` and of checkpoints, so a resumed run draws the same masks.
 */
export class Dropout extends Stateless {
  /** Number of training forward passes so far: the RNG stream of the next mask. */
  counter = 0;
  private mask = this.buf();
  private active = false;
  constructor(
    readonly p = 0.5,
    readonly seed = 0,
  ) {
    super('Dropout');
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new ContrastiveError('INVALID_ARGUMENT', `Dropout: p must be in [0, 1), got ${String(p)}`);
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new ContrastiveError('INVALID_ARGUMENT', `Dropout: seed must be a non-negative integer, got ${String(seed)}`);
  }
  _rng(): [string, { get: () => number; set: (v: number) => void }][] {
    return [['dropout_counter', { get: () => this.counter, set: (v) => (this.counter = v) }]];
  }
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastIn = x;
    this.lastTraining = training;
    this.out = x.shape;
    this.active = training && this.p > 0;
    if (!this.active) return x;
    const op = 'Dropout.forward';
    const n = numel(x.shape);
    const y = this.y.ensure(n, op);
    const m = this.mask.ensure(n, op);
    const c = this.counter++;
    const s = this.seed;
    checkStatus(op, this.k.ct_dropout_forward(x.ptr, n, this.p, s >>> 0, Math.floor(s / 2 ** 32), c >>> 0, Math.floor(c / 2 ** 32), y, m));
    return { ptr: y, shape: x.shape };
  }
  _backward(dy: WTensor): WTensor {
    if (!this.active) return dy;
    const op = 'Dropout.backward';
    const n = numel(dy.shape);
    const dx = this.dx.ensure(n, op);
    checkStatus(op, this.k.ct_mul(dy.ptr, this.mask.ptr, n, dx));
    return { ptr: dx, shape: this.lastIn!.shape };
  }
}
