import { ContrastiveError } from '../errors.js';
import { Parameter } from '../nn/module.js';

/**
 * A learnable temperature stored as CLIP's logit scale s = log(1/tau) (Radford et al. 2021;
 * open_clip clamps s to [0, log 100], so 1/tau <= 100). Feed `tau` to a loss, then
 * `accumulate(result.dTemperature)` adds dL/ds = dL/dtau * (-tau) to the gradient; after the
 * optimizer step call `clamp()`.
 */
export class LearnableTemperature {
  readonly logitScale: Parameter;
  static readonly MAX_LOGIT_SCALE = Math.log(100);
  constructor(initialTemperature = 0.07) {
    if (!(initialTemperature > 0.01 - 1e-12)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `LearnableTemperature: initial temperature must be >= 0.01 (logit scale <= 100), got ${initialTemperature}`,
      );
    }
    this.logitScale = new Parameter('logit_scale', [], 'norm', [Math.log(1 / initialTemperature)]);
  }
  get tau(): number {
    const s = Math.min(this.logitScale.value()[0], LearnableTemperature.MAX_LOGIT_SCALE);
    return Math.exp(-s);
  }
  accumulate(dTemperature: number): void {
    const g = this.logitScale.grad()[0] + dTemperature * -this.tau;
    this.logitScale.setGrad([g]);
  }
  clamp(): void {
    const s = this.logitScale.value()[0];
    this.logitScale.set([Math.min(Math.max(s, 0), LearnableTemperature.MAX_LOGIT_SCALE)]);
  }
  free(): void {
    this.logitScale.free();
  }
  [Symbol.dispose](): void {
    this.free();
  }
}
