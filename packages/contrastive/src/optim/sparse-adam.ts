import { ContrastiveError } from '../errors.js';
import { checkStatus } from '../runtime/kernel.js';
import { SparseRowParameter } from '../nn/embedding.js';
import type { Parameter } from '../nn/module.js';
import { checkRange, Optimizer, type ParamList } from './optimizer.js';

export interface SparseAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
}

/**
 * torch.optim.SparseAdam for Embedding tables: at each step only the rows the batch touched are
 * updated, moments included (the "lazy" Adam); the other rows keep their values and moments.
 * p <- p - lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps). Every parameter must be an
 * Embedding weight ({@link SparseRowParameter}); give the dense parameters to Adam / AdamW.
 * Kernel: crates/contrastive-kernels/src/nn/embedding.rs.
 */
export class SparseAdam extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  constructor(params: ParamList, opts: SparseAdamOptions = {}) {
    super('SparseAdam', params, opts.lr ?? 1e-3, ['exp_avg', 'exp_avg_sq']);
    for (const [name, p] of this.params) {
      if (!(p instanceof SparseRowParameter)) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `SparseAdam: ${name} is not an Embedding weight; SparseAdam updates embedding tables only (use Adam or AdamW for the others)`,
        );
      }
    }
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    this.betas = [checkRange(b1, 'betas[0]', 'SparseAdam', 0, 0.9999999), checkRange(b2, 'betas[1]', 'SparseAdam', 0, 0.9999999)];
    this.eps = checkRange(opts.eps ?? 1e-8, 'eps', 'SparseAdam', 0, Infinity);
    this.allocateSlots(['exp_avg', 'exp_avg_sq']);
  }
  protected update(name: string, p: Parameter, lr: number, t: number): void {
    const s = p as SparseRowParameter;
    checkStatus(
      'SparseAdam.step',
      this.k.ct_sparse_adam_rows(
        s.ptr,
        s.gradPtr,
        this.slot(name, s, 'exp_avg'),
        this.slot(name, s, 'exp_avg_sq'),
        s.dim,
        s.rows,
        s.listPtr,
        s.touchedCount,
        lr,
        this.betas[0],
        this.betas[1],
        this.eps,
        t,
      ),
    );
  }
}
