import { beforeAll, describe, expect, it } from 'vitest';
import { getRuntime } from './runtime/init.js';
import { init } from './index.node.js';
import { dcos, dexp, dlog, dsin, mulberry32, mulberry32Words, philox, Rng, roundHalfEven } from './rng.js';

beforeAll(() => init());

const ph = (k: number[], c: number[]) => {
  const o = new Uint32Array(4);
  philox(k[0], k[1], c[0], c[1], c[2], c[3], o);
  return Array.from(o);
};

describe('Rng', () => {
  it('Philox matches the Random123 known-answer vectors', () => {
    expect(ph([0, 0], [0, 0, 0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(ph([0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff])).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(ph([0xa4093822, 0x299f31d0], [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344])).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
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
    const a = new Rng(5, [1, 2, 3]),
      b = new Rng(5, [1, 2, 3]),
      c = new Rng(5, [1, 2, 4]);
    const xa = Array.from({ length: 9 }, () => a.nextU32());
    expect(Array.from({ length: 9 }, () => b.nextU32())).toEqual(xa);
    expect(Array.from({ length: 9 }, () => c.nextU32())).not.toEqual(xa);
    const r = new Rng(11);
    let s = 0,
      s2 = 0,
      z = 0,
      z2 = 0;
    const N = 40000;
    for (let i = 0; i < N; i++) {
      const u = r.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      s2 += u * u;
      const g = r.normal();
      z += g;
      z2 += g * g;
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

// Known answers recorded from the generators as they were before they moved into this module
// (each had its own copy): moving them must not change a single draw.
describe('one RNG module, the same streams', () => {
  it('mulberry32 drives the epoch order and the stratified split exactly as before', async () => {
    const { epochOrder } = await import('./train/fit.js');
    const { stratifiedSplit } = await import('./eval/split.js');
    expect(Array.from(epochOrder(12, 7, 3))).toEqual([5, 4, 1, 9, 6, 11, 8, 10, 2, 3, 0, 7]);
    const s = stratifiedSplit([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 3, 3, 3, 3], 0.4, 5);
    expect(Array.from(s.train)).toEqual([0, 1, 2, 7, 8, 9, 10, 12, 14, 15, 16, 18]);
    expect(Array.from(s.test)).toEqual([3, 4, 5, 6, 11, 13, 17, 19]);
  });

  it('SplitMix32 draws the same initial weights and child seeds as before', async () => {
    const { mlp } = await import('./nn/presets.js');
    const { forkSeed } = await import('./nn/init.js');
    expect(forkSeed(3, 2)).toBe(29873968);
    const w = mlp([5, 3], { seed: 11 }).stateDict()['0.weight'].data;
    expect(Array.from(w.slice(0, 6))).toEqual([
      -0.21054260432720184, -0.12922881543636322, -0.43495163321495056, 0.23610897362232208, 0.2313021719455719, 0.1954476535320282,
    ]);
  });

  it('mulberry32 is the words of mulberry32Words over 2^32', () => {
    const words = mulberry32Words(42);
    const u = mulberry32(42);
    for (let i = 0; i < 5; i++) expect(u()).toBe(words() / 4294967296);
  });
});
