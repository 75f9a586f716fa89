import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { expectError } from '../../../../test/util/errors.js';
import { Adam, AdamW, clipGradNorm, init, LARS, LearnableTemperature, Parameter, SGD, warmupCosine } from '../index.node.js';

beforeAll(() => init());

describe('optimizers', () => {
  it('SGD, Adam, AdamW and LARS match torch.optim / SimCLR over 3 steps (params and state)', () => {
    const problems: string[] = [];
    const cases = loadCases('optim.json');
    expect(cases.length).toBe(18);
    for (const c of cases) {
      const named: [string, Parameter][] = c.param_names.map((n: string) => {
        const adapt = c.param_flags ? c.param_flags[n].layer_adaptation : true;
        return [n, new Parameter(n, c.shapes[n], adapt ? 'weight' : 'bias', f32a(c.inputs.params[n]))];
      });
      const p = c.params;
      const opt =
        c.op === 'sgd'
          ? new SGD(named, { lr: p.lr, momentum: p.momentum, dampening: p.dampening, nesterov: p.nesterov, weightDecay: p.weight_decay })
          : c.op === 'adam'
            ? new Adam(named, { lr: p.lr, betas: p.betas, eps: p.eps, weightDecay: p.weight_decay })
            : c.op === 'adamw'
              ? new AdamW(named, { lr: p.lr, betas: p.betas, eps: p.eps, weightDecay: p.weight_decay })
              : new LARS(named, { lr: 0, momentum: p.momentum, weightDecay: p.weight_decay, eta: p.eta, nesterov: p.nesterov });
      c.steps.forEach((s: any, t: number) => {
        for (const [n, par] of named) par.setGrad(f32a(c.inputs.grads[t][n]));
        opt.step(c.op === 'lars' ? p.lr_per_step[t] : undefined);
        const st = opt.stateDict().tensors;
        for (const [n, par] of named) {
          problems.push(...within(c, `params.${n}`, par.value(), s.params[n]).map((e) => `step ${t + 1} ${e}`));
          for (const [slot, ref] of Object.entries(s.state[n] as Record<string, unknown>)) {
            if (!Array.isArray(ref)) continue;
            problems.push(...within(c, `state.${n}.${slot}`, st[`${n}.${slot}`].data, ref as number[]).map((e) => `step ${t + 1} ${e}`));
          }
          if (c.op === 'lars') {
            const r = (opt as LARS).lastTrustRatio.get(n)!;
            if (Math.abs(r - s.state[n].trust_ratio) > 1e-5 * Math.abs(s.state[n].trust_ratio))
              problems.push(`${c.name} ${n} trust ratio ${r} vs ${s.state[n].trust_ratio}`);
          }
        }
      });
      opt.free();
      opt.free();
      named.forEach(([, x]) => x.free());
    }
    expect(problems).toEqual([]);
  });

  it('warmup + cosine schedule matches SimCLR at every step (lr(0) = 0, lr(T) = 0)', () => {
    for (const c of loadCases('schedule.json')) {
      const f = warmupCosine({ baseLr: c.params.base_lr, warmupSteps: c.params.warmup_steps, totalSteps: c.params.total_steps });
      c.steps.forEach((t: number, i: number) => {
        expect(Math.abs(f(t) - c.lr[i]), `${c.name} t=${t}`).toBeLessThanOrEqual(c.tol.atol + c.tol.rtol * Math.abs(c.lr[i]));
      });
    }
  });

  it('clipGradNorm scales to the max norm and returns the norm before clipping', () => {
    const a = new Parameter('a', [2], 'weight');
    const b = new Parameter('b', [1], 'bias');
    a.setGrad([3, 0]);
    b.setGrad([4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expect(a.grad()[0]).toBeCloseTo(0.6, 5);
    expect(b.grad()[0]).toBeCloseTo(0.8, 5);
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
    expect(a.grad()[0]).toBeCloseTo(0.6, 5);
    a.free();
    b.free();
  });

  it('learnable temperature: gradient through log(1/tau), logit scale clamped at 100', () => {
    const t = new LearnableTemperature(0.07);
    expect(t.tau).toBeCloseTo(0.07, 6);
    t.accumulate(2);
    expect(t.logitScale.grad()[0]).toBeCloseTo(-2 * 0.07, 6);
    t.logitScale.set([10]);
    t.clamp();
    expect(t.tau).toBeCloseTo(0.01, 6);
    t.free();
  });

  it('bad hyperparameters name the optimizer and the argument', () => {
    const a = new Parameter('a', [2]);
    expectError(() => new SGD([a], { lr: -1 }), 'INVALID_ARGUMENT', 'SGD', 'lr');
    expectError(() => new AdamW([a], { betas: [1.5, 0.9] }), 'INVALID_ARGUMENT', 'AdamW', 'betas[0]');
    a.free();
  });
});
