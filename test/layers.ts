// Reference cases of test/reference/layers (PyTorch float64 truth) and their tolerance check:
// every element passes if |got - ref| <= tol.atol[key] + tol.rtol |ref| (README "Tolerances").
import { readFileSync } from 'node:fs';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Case = any;

export function loadCases(file: string): Case[] {
  const j = JSON.parse(readFileSync(new URL(`./reference/layers/${file}`, import.meta.url), 'utf8'));
  return Array.isArray(j) ? j : (j.cases ?? [j]);
}

/** Problems (empty when all pass) comparing `got` with `ref` under the case's tolerance for `key`. */
export function within(c: Case, key: string, got: ArrayLike<number>, ref: ArrayLike<number>): string[] {
  const atol = c.tol.atol[key];
  const rtol = c.tol.rtol;
  if (atol === undefined) return [`${c.name}: no tolerance for ${key}`];
  if (got.length !== ref.length) return [`${c.name} ${key}: ${got.length} values, expected ${ref.length}`];
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.abs(got[i] - ref[i]) / (atol + rtol * Math.abs(ref[i]));
    if (!(r <= worst)) {
      worst = r;
      at = i;
    }
  }
  return worst <= 1 ? [] : [`${c.name} ${key}: [${at}] got ${got[at]}, expected ${ref[at]} (${worst.toFixed(2)} x tolerance)`];
}

export const f32a = (v: number[]) => Float32Array.from(v);
