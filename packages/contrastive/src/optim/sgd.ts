import { checkStatus } from '../runtime/kernel.js';
import { SparseRowParameter } from '../nn/embedding.js';
import type { Parameter } from '../nn/module.js';
import { checkRange, Optimizer, type ParamGroup, type ParamList } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  /** Coupled L2: added to the gradient. */
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD: momentum (buffer = g on the first step), dampening, Nesterov, coupled weight decay. Kernel: src/optim/sgd.rs.
 * An Embedding table without momentum and weight decay is updated on the rows of the batch only.
 */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  constructor(params: ParamList | ParamGroup[], opts: SgdOptions) {
    super('SGD', params, opts.lr, ['momentum_buffer']);
    this.momentum = checkRange(opts.momentum ?? 0, 'momentum', 'SGD', 0, 1);
    this.dampening = checkRange(opts.dampening ?? 0, 'dampening', 'SGD', 0, 1);
    this.weightDecay = checkRange(opts.weightDecay ?? 0, 'weightDecay', 'SGD', 0, Infinity);
    this.nesterov = opts.nesterov ?? false;
    if (this.momentum !== 0) this.allocateSlots(['momentum_buffer']);
  }
  protected update(name: string, p: Parameter, lr: number, t: number): void {
    if (p instanceof SparseRowParameter && this.momentum === 0 && this.weightDecay === 0) {
      // exact on the touched rows alone: every other row's gradient is zero
      checkStatus('SGD.step', this.k.ct_sgd_rows(p.ptr, p.gradPtr, p.dim, p.rows, p.listPtr, p.touchedCount, lr));
      return;
    }
    const buf = this.momentum !== 0 ? this.slot(name, p, 'momentum_buffer') : 0;
    checkStatus(
      'SGD.step',
      this.k.ct_sgd_step(
        p.ptr,
        p.gradPtr,
        buf,
        p.size,
        lr,
        this.momentum,
        this.dampening,
        this.decayOf(name, this.weightDecay),
        this.nesterov ? 1 : 0,
        t === 1 ? 1 : 0,
      ),
    );
  }
}
