import { describe, expect, it } from 'vitest';
import { ContrastiveError } from '../errors.js';
import { minimizeLbfgs } from './lbfgs.js';

// Rosenbrock in n dimensions: sum 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, minimum 0 at all ones;
// its curved valley defeats steepest descent in this many iterations.
function rosenbrock(x: Float64Array, g: Float64Array): { f: number } {
  g.fill(0);
  let f = 0;
  for (let i = 0; i + 1 < x.length; i++) {
    const a = x[i + 1] - x[i] * x[i];
    const b = 1 - x[i];
    f += 100 * a * a + b * b;
    g[i] += -400 * a * x[i] - 2 * b;
    g[i + 1] += 200 * a;
  }
  return { f };
}

describe('minimizeLbfgs', () => {
  it('finds the minimum of the 6-d Rosenbrock function from a far start, without touching x0', () => {
    const x0 = Float64Array.from([-1.2, 1, -1.2, 1, -1.2, 1]);
    const r = minimizeLbfgs(rosenbrock, x0, { tolerance: 1e-8, maxIterations: 500, relativeChange: 0 });
    for (const v of r.x) expect(v).toBeCloseTo(1, 6);
    expect(r.value.f).toBeLessThan(1e-12);
    expect(r.iterations).toBeGreaterThan(10);
    expect(r.iterations).toBeLessThan(500);
    expect(Array.from(x0)).toEqual([-1.2, 1, -1.2, 1, -1.2, 1]);
  });

  it('stops at the iteration cap and returns what the objective returned at the last point', () => {
    const r = minimizeLbfgs((x, g) => ({ ...rosenbrock(x, g), at: x[0] }), Float64Array.from([-1.2, 1]), { maxIterations: 3 });
    expect(r.iterations).toBe(3);
    expect(r.value.at).toBe(r.x[0]);
  });

  it('rejects bad options with a typed error naming them', () => {
    const bad = [{ maxIterations: 1.5 }, { memory: 0 }, { lineSearchSteps: -1 }, { tolerance: Number.NaN }, { relativeChange: -1 }];
    for (const opts of bad) {
      const name = Object.keys(opts)[0];
      expect(() => minimizeLbfgs(rosenbrock, new Float64Array(2), opts)).toThrow(ContrastiveError);
      expect(() => minimizeLbfgs(rosenbrock, new Float64Array(2), opts)).toThrow(name);
    }
    expect(() => minimizeLbfgs(rosenbrock, [0, 0] as unknown as Float64Array)).toThrow(/x0 must be a Float64Array/);
  });
});
