import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, m } from '../../../../test/util/errors.js';
import { contrastiveLoss, cosent, init, mnrl, type Matrix } from '../index.node.js';

beforeAll(() => init());

interface Case {
  name: string;
  loss: 'mnrl' | 'cosent' | 'contrastive';
  N: number;
  H?: number;
  D: number;
  scale?: number;
  margin?: number;
  symmetric?: boolean;
  labels?: number[];
  matryoshka?: { dims: number[]; weights: number[] };
  inputs: Record<string, number[] | number[][]>;
  loss_value: number;
  dScale?: number;
  grads: Record<string, number[] | number[][]>;
}
const ref = JSON.parse(readFileSync(new URL('../../../../test/reference/sentence/losses.json', import.meta.url), 'utf8')) as { cases: Case[] };

/**
 * Max |got - want| relative to the largest |want|, after a floor of float32 rounding: where the
 * true gradient is ~0 (D = 1) the kernel leaves about eps * scale / ||x_row||.
 */
function gradError(got: Float32Array, want: number[], x: number[], d: number, scale: number): number {
  const big = Math.max(1e-6, ...want.map(Math.abs));
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.floor(i / d);
    const norm = Math.hypot(...x.slice(r * d, (r + 1) * d));
    const floor = (4e-7 * scale) / Math.max(norm, 1e-12);
    e = Math.max(e, Math.max(0, Math.abs(got[i] - want[i]) - floor) / big);
  }
  return e;
}

type G = [string, Float32Array, number[], number[]];
function run(c: Case): { loss: number; dScale?: number; grads: G[] } {
  const M = (x: number[]) => m(x, c.N, c.D);
  if (c.loss === 'mnrl') {
    const negs = (c.inputs.negatives as number[][]).map(M);
    const r = mnrl(M(c.inputs.anchor as number[]), M(c.inputs.positive as number[]), {
      scale: c.scale,
      symmetric: c.symmetric,
      negatives: negs,
      matryoshka: c.matryoshka,
    });
    const g: G[] = [
      ['anchor', r.grads.anchor.data, c.grads.anchor as number[], c.inputs.anchor as number[]],
      ['positive', r.grads.positive.data, c.grads.positive as number[], c.inputs.positive as number[]],
    ];
    r.grads.negatives.forEach((x: Matrix, j: number) =>
      g.push([`negatives[${j}]`, x.data, (c.grads.negatives as number[][])[j], (c.inputs.negatives as number[][])[j]]),
    );
    return { loss: r.loss, dScale: r.dScale, grads: g };
  }
  const a = M(c.inputs.a as number[]);
  const b = M(c.inputs.b as number[]);
  const r =
    c.loss === 'cosent'
      ? cosent(a, b, c.labels!, { scale: c.scale, matryoshka: c.matryoshka })
      : contrastiveLoss(a, b, c.labels!, { margin: c.margin, matryoshka: c.matryoshka });
  return {
    loss: r.loss,
    dScale: 'dScale' in r ? (r as { dScale: number }).dScale : undefined,
    grads: [
      ['a', r.grads.a.data, c.grads.a as number[], c.inputs.a as number[]],
      ['b', r.grads.b.data, c.grads.b as number[], c.inputs.b as number[]],
    ],
  };
}

describe('sentence-embedding losses vs sentence-transformers (float64) on the same embeddings', () => {
  for (const c of ref.cases) {
    it(`${c.name}: loss, gradients${c.dScale !== undefined ? ' and d loss / d scale' : ''} match`, () => {
      const r = run(c);
      expect(Math.abs(r.loss - c.loss_value)).toBeLessThanOrEqual(2e-5 * (1 + Math.abs(c.loss_value)));
      if (c.dScale !== undefined) expect(Math.abs(r.dScale! - c.dScale)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(c.dScale)));
      for (const [name, got, want, x] of r.grads) expect(gradError(got, want, x, c.D, c.scale ?? 1), name).toBeLessThan(1e-4);
    });
  }
});

describe('mnrl', () => {
  it('temperature = 1 / scale gives the same loss, and dTemperature = -scale^2 dScale', () => {
    const c = ref.cases.find((x) => x.loss === 'mnrl' && x.H! > 0)!;
    const M = (x: number[]) => m(x, c.N, c.D);
    const args = [M(c.inputs.anchor as number[]), M(c.inputs.positive as number[])] as const;
    const negatives = (c.inputs.negatives as number[][]).map(M);
    const a = mnrl(...args, { scale: 20, negatives, grad: false });
    const b = mnrl(...args, { temperature: 0.05, negatives, grad: false });
    expect(b.loss).toBeCloseTo(a.loss, 6);
    expect(a.dScale).toBeCloseTo(-0.05 * 0.05 * a.dTemperature, 9);
  });

  it('a batch of one with no negatives has loss 0 (the positive is the only candidate)', () => {
    const r = mnrl(m([1, 2, 3], 1, 3), m([3, -1, 0], 1, 3));
    expect(r.loss).toBeCloseTo(0, 6);
    expect(Math.max(...r.grads.anchor.data.map(Math.abs))).toBeLessThan(1e-6);
  });

  it('rejects mismatched negatives, bad scale and bad Matryoshka dims with a named error', () => {
    const a = m([1, 0, 0, 1], 2, 2);
    expectError(() => mnrl(a, a, { negatives: [m([1, 0], 1, 2)] }), 'SHAPE_MISMATCH', 'negatives[0]');
    expectError(() => mnrl(a, a, { scale: 0 }), 'INVALID_ARGUMENT', 'scale');
    expectError(() => mnrl(a, a, { scale: 20, temperature: 0.05 }), 'INVALID_ARGUMENT', 'not both');
    expectError(() => mnrl(a, a, { matryoshka: { dims: [3] } }), 'INVALID_ARGUMENT', 'matryoshka.dims[0]', '1..2');
    expectError(() => mnrl(a, a, { matryoshka: { dims: [2, 1], weights: [1] } }), 'SHAPE_MISMATCH', 'matryoshka.weights');
    expectError(() => mnrl(a, m([1, NaN, 0, 1], 2, 2)), 'NON_FINITE', 'positive');
  });
});

describe('cosent and contrastiveLoss', () => {
  it('reject a label count that does not match the pairs, and non-finite labels', () => {
    const a = m([1, 0, 0, 1], 2, 2);
    expectError(() => cosent(a, a, [1]), 'SHAPE_MISMATCH', 'scores', '2');
    expectError(() => cosent(a, a, [1, NaN]), 'INVALID_ARGUMENT', 'scores[1]');
    expectError(() => contrastiveLoss(a, a, [1, 0, 1]), 'SHAPE_MISMATCH', 'labels');
    expectError(() => contrastiveLoss(a, a, [1, 0], { margin: Infinity }), 'INVALID_ARGUMENT', 'margin');
  });

  it('cosent with every score tied is 0 with zero gradients (no pair is ordered)', () => {
    const r = cosent(m([1, 2, 3, 4, 5, 6], 3, 2), m([6, 5, 4, 3, 2, 1], 3, 2), [1, 1, 1]);
    expect(r.loss).toBe(0);
    expect(r.grads.a.data.every((v) => v === 0)).toBe(true);
  });
});
