import { beforeAll, describe, expect, it } from 'vitest';
import { getRuntime } from '../runtime/init.js';
import { init } from '../index.node.js';
import { dcos, dexp, dlog, dsin, philox, Rng, roundHalfEven } from './rng.js';

beforeAll(() => init());

const ph = (k: number[], c: number[]) => {
  const o = new Uint32Array(4);
  philox(k[0], k[1], c[0], c[1], c[2], c[3], o);
  return Array.from(o);
};

describe('Rng', () => {
  it('Philox matches the Random123 known-answer vectors', () => {
    expect(ph([0, 0], [0, 0, 0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(ph([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]))
      .toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(ph([0xa4093822, 0x299f31d0], [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344]))
      .toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it('TS Philox equals the wasm kernel on random keys and counters (one generator, two languages)', () => {
    const { k, arena } = getRuntime('test');
    const [out] = arena.reserve('test', [16]);
    const r = new Rng(99);
    for (let t = 0; t < 200; t++) {
      const a = [r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()];
      expect(k.ct_aug_philox(a[0], a[1], a[2], a[3], a[4], a[5], out)).toBe(0);
      expect(Array.from(new Uint32Array(k.memory.buffer, out, 4))).toEqual(ph([a[0], a[1]], a.slice(2)));
    }
  });

  it('deterministic log, exp, sin, cos stay within 4 ulp-ish of Math on the ranges used', () => {
    for (let i = 1; i < 2000; i++) {
      const x = i * 0.0137 + 1e-3;
      expect(Math.abs(dlog(x) - Math.log(x))).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(Math.log(x))));
      const y = (i - 1000) * 0.011;
      expect(Math.abs(dexp(y) / Math.exp(y) - 1)).toBeLessThan(1e-15);
      expect(Math.abs(dsin(y) - Math.sin(y))).toBeLessThan(1e-15);
      expect(Math.abs(dcos(y) - Math.cos(y))).toBeLessThan(1e-15);
    }
  });

  it('streams are reproducible and independent; uniforms have the right moments', () => {
    const a = new Rng(5, [1, 2, 3]), b = new Rng(5, [1, 2, 3]), c = new Rng(5, [1, 2, 4]);
    const xa = Array.from({ length: 9 }, () => a.nextU32());
    expect(Array.from({ length: 9 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 9 }, () => c.nextU32())).not.toEqual(xa);
    const r = new Rng(11);
    let s = 0, s2 = 0, z = 0, z2 = 0;
    const N = 40000;
    for (let i = 0; i < N; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      s += u; s2 += u * u;
      const g = r.normal();
      z += g; z2 += g * g;
    }
    expect(Math.abs(s / N - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(s2 / N - 1 / 3)).toBeLessThan(0.01);
    expect(Math.abs(z / N)).toBeLessThan(5 / Math.sqrt(N));
    expect(Math.abs(z2 / N - 1)).toBeLessThan(0.03);
  });

  it('roundHalfEven rounds ties to even like Python', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, 0, -2, 2, 3]);
  });
});
