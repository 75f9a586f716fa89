// Seeded, deterministic initialization as PyTorch's reset_parameters: nn.Linear and nn.Conv2d
// use kaiming_uniform_(a = sqrt 5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and
// the same bound for the bias. (The numbers differ from torch's: the generator is ours.)
import { checkedBytes } from '../runtime/memory.js';

/** SplitMix32-style generator: a pure function of (seed, counter), so it is cheap to fork. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    let z = (this.s = (this.s + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

/** A child seed for layer `i` of a model seeded with `seed`. */
export function forkSeed(seed: number, i: number): number {
  const r = new Rng((seed >>> 0) ^ Math.imul(i + 1, 0x27d4eb2d));
  r.next();
  return Math.floor(r.next() * 4294967296);
}

/** n values from U(-bound, bound). */
export function uniformInit(n: number, bound: number, rng: Rng): Float32Array {
  // a layer too large for one allocation is OUT_OF_MEMORY here, before a JS array of its size
  const out = new Float32Array(checkedBytes('init', 4, n) / 4);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}
