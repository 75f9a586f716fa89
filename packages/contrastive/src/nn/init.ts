// Seeded, deterministic initialization as PyTorch's reset_parameters: nn.Linear and nn.Conv2d
// use kaiming_uniform_(a = sqrt 5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and
// the same bound for the bias. (The numbers differ from torch's: the generator is ours.)
import { SplitMix32 } from '../rng.js';
import { checkedBytes } from '../runtime/memory.js';

/** A child seed for layer `i` of a model seeded with `seed`. */
export function forkSeed(seed: number, i: number): number {
  const r = new SplitMix32((seed >>> 0) ^ Math.imul(i + 1, 0x27d4eb2d));
  r.next();
  return Math.floor(r.next() * 4294967296);
}

/** n values from U(-bound, bound). */
export function uniformInit(n: number, bound: number, rng: SplitMix32): Float32Array {
  // a layer too large for one allocation is OUT_OF_MEMORY here, before a JS array of its size
  const out = new Float32Array(checkedBytes('init', 4, n) / 4);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(-bound, bound);
  return out;
}
