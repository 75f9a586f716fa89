import { checkStatus } from '../runtime/kernel.js';
import type { Parameter } from '../nn/module.js';
import { f64 } from '../runtime/memory.js';
import { checkRange, Optimizer, type ParamGroup, type ParamList } from './optimizer.js';

export interface LarsOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  /** Trust coefficient eta (SimCLR: 0.001). */
  eta?: number;
  nesterov?: boolean;
  /**
   * Tensors that get neither weight decay nor layer adaptation. Default: biases and BatchNorm
   * parameters (kind !== 'weight'), as SimCLR's exclude_from_weight_decay=['batch_normalization', 'bias'].
   */
  exclude?: (name: string, p: Parameter) => boolean;
}

/**
 * LARS as google-research/simclr (You et al. 2017; Chen et al. 2020): trust ratio
 * eta ||w|| / ||g + wd w||, learning rate inside the momentum slot. `lastTrustRatio` holds the
 * ratio of each tensor's last step. Kernel: src/optim/lars.rs.
 */
export class LARS extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly eta: number;
  readonly nesterov: boolean;
  readonly lastTrustRatio = new Map<string, number>();
  private readonly exclude: (name: string, p: Parameter) => boolean;
  private out = 0;
  constructor(params: ParamList | ParamGroup[], opts: LarsOptions) {
    super('LARS', params, opts.lr, ['momentum']);
    this.momentum = checkRange(opts.momentum ?? 0.9, 'momentum', 'LARS', 0, 1);
    this.weightDecay = checkRange(opts.weightDecay ?? 1e-6, 'weightDecay', 'LARS', 0, Infinity);
    this.eta = checkRange(opts.eta ?? 0.001, 'eta', 'LARS', 0, Infinity);
    this.nesterov = opts.nesterov ?? false;
    this.allocateSlots(['momentum']);
    this.exclude = opts.exclude ?? ((_n, p) => p.kind !== 'weight');
  }
  protected update(name: string, p: Parameter, lr: number): void {
    if (this.out === 0) this.out = this.ownBlock(8, 'LARS.step');
    const ex = this.exclude(name, p);
    checkStatus(
      'LARS.step',
      this.k.ct_lars_step(
        p.ptr,
        p.gradPtr,
        this.slot(name, p, 'momentum'),
        p.size,
        lr,
        this.momentum,
        ex ? 0 : this.decayOf(name, this.weightDecay),
        this.eta,
        ex ? 0 : 1,
        this.nesterov ? 1 : 0,
        this.out,
      ),
    );
    this.lastTrustRatio.set(name, f64(this.k, this.out, 1)[0]);
  }
  free(): void {
    this.out = 0; // one of the blocks super.free() returns
    super.free();
  }
}
