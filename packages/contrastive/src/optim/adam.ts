import { checkStatus } from '../runtime/kernel.js';
import type { Parameter } from '../nn/module.js';
import { checkRange, Optimizer, type ParamGroup, type ParamList } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

class AdamBase extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  constructor(
    type: string,
    params: ParamList | ParamGroup[],
    opts: AdamOptions,
    dfltWd: number,
    private readonly decoupled: boolean,
  ) {
    super(type, params, opts.lr ?? 1e-3, ['exp_avg', 'exp_avg_sq']);
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    this.betas = [checkRange(b1, 'betas[0]', type, 0, 0.9999999), checkRange(b2, 'betas[1]', type, 0, 0.9999999)];
    this.eps = checkRange(opts.eps ?? 1e-8, 'eps', type, 0, Infinity);
    this.allocateSlots(['exp_avg', 'exp_avg_sq']);
    this.weightDecay = checkRange(opts.weightDecay ?? dfltWd, 'weightDecay', type, 0, Infinity);
    this.nonNegativeSlots = ['exp_avg_sq'];
  }
  protected update(name: string, p: Parameter, lr: number, t: number): void {
    checkStatus(
      `${this.type}.step`,
      this.k.ct_adam_step(
        p.ptr,
        p.gradPtr,
        this.slot(name, p, 'exp_avg'),
        this.slot(name, p, 'exp_avg_sq'),
        p.size,
        lr,
        this.betas[0],
        this.betas[1],
        this.eps,
        this.decayOf(name, this.weightDecay),
        this.decoupled ? 1 : 0,
        t,
      ),
    );
  }
}

/** torch.optim.Adam: weight decay as L2 added to the gradient. Kernel: src/optim/adam.rs. */
export class Adam extends AdamBase {
  constructor(params: ParamList | ParamGroup[], opts: AdamOptions = {}) {
    super('Adam', params, opts, 0, false);
  }
}

/** torch.optim.AdamW: decoupled weight decay p <- p (1 - lr wd) before the update (default wd 0.01). */
export class AdamW extends AdamBase {
  constructor(params: ParamList | ParamGroup[], opts: AdamOptions = {}) {
    super('AdamW', params, opts, 1e-2, true);
  }
}
