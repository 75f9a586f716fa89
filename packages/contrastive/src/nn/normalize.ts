import { checkStatus, expectShape, Stateless, type WTensor } from './module.js';

/**
 * Row L2 normalization as F.normalize(x, p=2, dim=1, eps=1e-12): y = x / max(||x||, eps).
 * Kernel: crates/contrastive-kernels/src/loss/normalize.rs (shared with the losses).
 */
export class L2Normalize extends Stateless {
  constructor() {
    super('L2Normalize');
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'L2Normalize.forward';
    expectShape(x, x.shape.length === 2, '[N, D]', op);
    const [n, d] = x.shape;
    const y = this.y.ensure(n * d, op);
    checkStatus(op, this.k.ct_l2normalize_forward(x.ptr, n, d, y));
    this.lastIn = x;
    this.lastTraining = training;
    this.out = x.shape;
    return { ptr: y, shape: x.shape };
  }
  _backward(dy: WTensor): WTensor {
    const op = 'L2Normalize.backward';
    const x = this.lastIn!;
    const [n, d] = x.shape;
    const dx = this.dx.ensure(n * d, op);
    checkStatus(op, this.k.ct_l2normalize_backward(x.ptr, dy.ptr, n, d, dx));
    return { ptr: dx, shape: x.shape };
  }
}
