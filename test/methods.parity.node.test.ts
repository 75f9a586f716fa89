// The self-supervised and metric-learning losses against the fixtures of
// test/reference/methods/gen_methods.py: lightly's, pytorch-metric-learning's and
// sentence-transformers' own loss classes (and miners) run in float64 with autograd; in each of
// the four builds (simd128, relaxed, and their threads builds with 2 threads).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  barlowTwins,
  dcl,
  dclw,
  init,
  multiSimilarity,
  relaxedSimdSupported,
  runtimeInfo,
  negativeCosineSimilarity,
  triplet,
  vicReg,
  type TripletOptions,
} from '../packages/contrastive/src/index.node.js';

interface Case {
  name: string;
  loss: string;
  n?: number;
  rows?: number;
  d: number;
  params: Record<string, unknown>;
  labels?: number[];
  inputs: Record<string, number[]>;
  loss_value: number;
  grads: Record<string, number[]>;
  dTemperature?: number;
}

const load = (f: string): Case[] => JSON.parse(readFileSync(new URL(`./reference/methods/${f}.json`, import.meta.url), 'utf8'));
const mat = (data: number[], rows: number, cols: number) => ({ data: Float32Array.from(data), rows, cols });

/** Problems (empty = pass): loss to 1e-6 relative, gradients to 1e-5 of the largest entry. */
function compare(c: Case, loss: number, grads: Record<string, Float32Array>, dTemperature?: number): string[] {
  const out: string[] = [];
  if (Math.abs(loss - c.loss_value) > 1e-6 * (1 + Math.abs(c.loss_value))) out.push(`loss ${loss} vs ${c.loss_value}`);
  if (c.dTemperature !== undefined && Math.abs(dTemperature! - c.dTemperature) > 1e-5 * (1 + Math.abs(c.dTemperature))) {
    out.push(`dTemperature ${dTemperature} vs ${c.dTemperature}`);
  }
  for (const [k, want] of Object.entries(c.grads)) {
    const scale = Math.max(1e-30, ...want.map(Math.abs));
    const got = grads[k];
    for (let i = 0; i < want.length; i++) {
      if (Math.abs(got[i] - want[i]) > 1e-5 * scale + 1e-9) {
        out.push(`grad ${k}[${i}] ${got[i]} vs ${want[i]}`);
        break;
      }
    }
  }
  return out;
}

// vitest runs Node with relaxed SIMD, so all four builds load here
const BUILDS = [
  { variant: 'simd128', threads: 1 },
  { variant: 'relaxed', threads: 1 },
  { variant: 'simd128', threads: 2 },
  { variant: 'relaxed', threads: 2 },
] as const;
afterAll(() => init({ threads: 1, variant: 'simd128' }));

for (const build of BUILDS) {
  describe(`${build.variant}${build.threads > 1 ? '-threads' : ''} build`, () => {
    beforeAll(async () => {
      if (build.variant === 'relaxed' && !relaxedSimdSupported())
        throw new Error('this engine has no relaxed SIMD: run Node with --experimental-wasm-relaxed-simd');
      await init(build);
      expect(runtimeInfo()).toMatchObject(build);
    });

    describe('two-view losses match lightly (float64) on the same inputs', () => {
      for (const c of load('two_view')) {
        it(c.name, () => {
          const a = mat(c.inputs.a, c.n!, c.d);
          const b = mat(c.inputs.b, c.n!, c.d);
          const p = c.params as Record<string, number>;
          const r =
            c.loss === 'dcl'
              ? dcl(a, b, { temperature: p.temperature })
              : c.loss === 'dclw'
                ? dclw(a, b, { temperature: p.temperature, sigma: p.sigma })
                : c.loss === 'negcos'
                  ? negativeCosineSimilarity(a, b)
                  : c.loss === 'barlowtwins'
                    ? barlowTwins(a, b, { lambda: p.lambda })
                    : vicReg(a, b, { lambda: p.lambda, mu: p.mu, nu: p.nu, eps: p.eps });
          expect(compare(c, r.loss, { a: r.grads.a.data, b: r.grads.b.data }, r.dTemperature)).toEqual([]);
        });
      }
    });

    describe('triplet loss and miners match pytorch-metric-learning / sentence-transformers (float64)', () => {
      for (const c of load('triplet')) {
        it(c.name, () => {
          const { metric, ...rest } = c.params as unknown as TripletOptions & { metric: 'euclidean' | 'cosine' };
          const r = triplet(mat(c.inputs.z, c.rows!, c.d), c.labels!, { ...rest, distance: metric });
          expect(compare(c, r.loss, { z: r.grads.z.data })).toEqual([]);
        });
      }
    });

    describe('multi-similarity loss and miner match pytorch-metric-learning (float64)', () => {
      for (const c of load('multisim')) {
        it(c.name, () => {
          const p = c.params as { alpha: number; beta: number; base: number; epsilon: number | null };
          const r = multiSimilarity(mat(c.inputs.z, c.rows!, c.d), c.labels!, {
            alpha: p.alpha,
            beta: p.beta,
            base: p.base,
            mine: p.epsilon !== null,
            epsilon: p.epsilon ?? undefined,
          });
          expect(compare(c, r.loss, { z: r.grads.z.data })).toEqual([]);
        });
      }
    });
  });
}
