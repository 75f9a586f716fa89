// Parity with PyTorch float64 autograd (../shared/reference, vendored in test/reference): every
// case of every family, on every variant the runtime has. Shared by the Node and Chromium suites.
import { beforeAll, describe, expect, it } from 'vitest';
import infonceCases from './reference/infonce.json';
import negativesCases from './reference/infonce_negatives.json';
import symmetricCases from './reference/infonce_symmetric.json';
import ntxentCases from './reference/ntxent.json';
import supconCases from './reference/supcon.json';

type Lib = typeof import('../packages/contrastive/src/index.js');

interface Case {
  name: string;
  loss: string;
  tau: number;
  shapes: Record<string, [number, number]>;
  inputs: Record<string, number[]>;
  labels?: number[];
  loss_value: number;
  grads: Record<string, number[] | number>;
  tol: { loss_rtol: number; loss_atol: number; grad_atol: number; tau_grad_atol: number };
}

export const families: [string, Case[]][] = [
  ['ntxent', ntxentCases as unknown as Case[]],
  ['infonce', infonceCases as unknown as Case[]],
  ['infonce_symmetric', symmetricCases as unknown as Case[]],
  ['infonce_negatives', negativesCases as unknown as Case[]],
  ['supcon', supconCases as unknown as Case[]],
];

const mat = (c: Case, name: string) => ({
  data: Float32Array.from(c.inputs[name]),
  rows: c.shapes[name][0],
  cols: c.shapes[name][1],
});

/** Runs a case; returns loss, d/dtau and gradients keyed by the reference's input names. */
export function runCase(lib: Lib, c: Case): { loss: number; dtau: number; grads: Record<string, Float32Array> } {
  const temperature = c.tau;
  switch (c.loss) {
    case 'ntxent': {
      const r = lib.ntXent(mat(c, 'a'), mat(c, 'b'), { temperature });
      return { loss: r.loss, dtau: r.dTemperature, grads: { a: r.grads.a.data, b: r.grads.b.data } };
    }
    case 'infonce':
    case 'infonce_symmetric': {
      const r = lib.infoNce(mat(c, 'q'), mat(c, 'k'), { temperature, symmetric: c.loss === 'infonce_symmetric' });
      return { loss: r.loss, dtau: r.dTemperature, grads: { q: r.grads.query.data, k: r.grads.key.data } };
    }
    case 'infonce_negatives': {
      const r = lib.infoNce(mat(c, 'q'), mat(c, 'p'), { temperature, negatives: mat(c, 'neg') });
      return {
        loss: r.loss,
        dtau: r.dTemperature,
        grads: { q: r.grads.query.data, p: r.grads.key.data, neg: r.grads.negatives!.data },
      };
    }
    case 'supcon': {
      const r = lib.supCon(mat(c, 'z'), c.labels!, { temperature });
      return { loss: r.loss, dtau: r.dTemperature, grads: { z: r.grads.z.data } };
    }
  }
  throw new Error(`unknown family ${c.loss}`);
}

/** Asserts one case against its tolerances (see ../shared/reference/README.md, "Tolerances"). */
export function expectParity(got: ReturnType<typeof runCase>, c: Case): void {
  const { tol } = c;
  expect(Math.abs(got.loss - c.loss_value), 'loss').toBeLessThanOrEqual(tol.loss_atol + tol.loss_rtol * Math.abs(c.loss_value));
  expect(Math.abs(got.dtau - (c.grads.tau as number)), 'd loss / d tau').toBeLessThanOrEqual(tol.tau_grad_atol);
  for (const name of Object.keys(c.inputs)) {
    const want = c.grads[name] as number[];
    const g = got.grads[name];
    expect(g.length, `grad ${name} length`).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(g[i] - want[i]));
    expect(worst, `max |grad ${name} - reference|`).toBeLessThanOrEqual(tol.grad_atol);
  }
}

/** Registers the whole parity suite for `lib` on each variant this engine runs. */
export function paritySuite(lib: Lib): void {
  const variants = lib.relaxedSimdSupported() ? (['simd128', 'relaxed'] as const) : (['simd128'] as const);
  for (const variant of variants) {
    describe(`reference parity (${variant})`, () => {
      beforeAll(async () => {
        await lib.init({ variant });
        expect(lib.runtimeInfo().variant).toBe(variant);
      });
      for (const [family, cases] of families) {
        describe(family, () => {
          for (const c of cases) {
            it(c.name, () => {
              // the variant check again: a describe block's init must not leak into another's
              expect(lib.runtimeInfo().variant).toBe(variant);
              expectParity(runCase(lib, c), c);
            });
          }
        });
      }
    });
  }
}
