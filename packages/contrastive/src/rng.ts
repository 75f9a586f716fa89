// Every seeded generator of the package, in one place: Philox4x32-10 (`Rng`, the counter-based
// streams of the augmentations), SplitMix32 (parameter initialization) and mulberry32 (data
// orders and splits); and the few transcendental functions the samplers need, computed from
// IEEE-754 +, -, *, / and sqrt only (which every JavaScript engine rounds identically), so a seed
// gives the same numbers in every runtime.
import { ContrastiveError } from './errors.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** high and low 32 bits of the 64-bit product a * b (both u32). */
function mulhilo(a: number, b: number, out: Uint32Array, hi: number, lo: number): void {
  const al = a & 0xffff,
    ah = a >>> 16,
    bl = b & 0xffff,
    bh = b >>> 16;
  const ll = al * bl,
    lh = al * bh,
    hl = ah * bl,
    hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  out[lo] = ((mid & 0xffff) << 16) | (ll & 0xffff);
  out[hi] = hh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536);
}

const tmp = new Uint32Array(4);

/**
 * Philox4x32-10 (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"): ten rounds
 * on the 128-bit counter `c` under the 64-bit key. Writes 4 u32 to `out`. The same function as
 * crates/contrastive-kernels/src/augment/philox.rs (checked against each other and Random123).
 */
export function philox(k0: number, k1: number, c0: number, c1: number, c2: number, c3: number, out: Uint32Array): void {
  let a = c0 >>> 0,
    b = c1 >>> 0,
    c = c2 >>> 0,
    d = c3 >>> 0;
  let ka = k0 >>> 0,
    kb = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      ka = (ka + W0) >>> 0;
      kb = (kb + W1) >>> 0;
    }
    mulhilo(M0, a, tmp, 0, 1);
    mulhilo(M1, c, tmp, 2, 3);
    const na = (tmp[2] ^ b ^ ka) >>> 0;
    const nb = tmp[3];
    const nc = (tmp[0] ^ d ^ kb) >>> 0;
    const nd = tmp[1];
    a = na;
    b = nb;
    c = nc;
    d = nd;
  }
  out[0] = a;
  out[1] = b;
  out[2] = c;
  out[3] = d;
}

/** Philox output of Rng.nextU32, copied into the generator's fields at once. */
const block = new Uint32Array(4);

/** A seed: a non-negative safe integer (split into the 64-bit Philox key). */
export function checkSeed(seed: unknown, op: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: seed must be a non-negative safe integer, got ${String(seed)}`);
  }
  return seed;
}

/**
 * One stream of random numbers: Philox4x32-10 keyed by `seed`, counter (block, s0, s1, s2).
 * Streams with different (s0, s1, s2) are independent; the augmentations use
 * (image index, view, step), so an image's views do not depend on the rest of its batch.
 */
export class Rng {
  private readonly k0: number;
  private readonly k1: number;
  private block = 0;
  // the current block's 4 words as plain fields (a Uint32Array per generator cost more than the
  // draws: the augmentations make one generator per image and view)
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;
  private pos = 4;
  private spare: number | undefined;

  constructor(
    seed: number,
    readonly stream: readonly [number, number, number] = [0, 0, 0],
  ) {
    this.k0 = (seed % 4294967296) >>> 0;
    this.k1 = Math.floor(seed / 4294967296) >>> 0;
  }

  /** The next 32-bit word. */
  nextU32(): number {
    if (this.pos === 4) {
      philox(this.k0, this.k1, this.block, this.stream[0], this.stream[1], this.stream[2], block);
      this.w0 = block[0];
      this.w1 = block[1];
      this.w2 = block[2];
      this.w3 = block[3];
      this.block = (this.block + 1) >>> 0;
      this.pos = 0;
    }
    const p = this.pos++;
    return p === 0 ? this.w0 : p === 1 ? this.w1 : p === 2 ? this.w2 : this.w3;
  }

  /** Uniform on [0, 1): a 32-bit word / 2^32 (exact in float64 and in float32 rounding terms). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform on [a, b). */
  range(a: number, b: number): number {
    return a + (b - a) * this.uniform();
  }

  /** Uniform integer in lo..hi, inclusive (torch.randint(lo, hi + 1)). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** Standard normal (Box-Muller with the deterministic log, sin and cos below). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const u1 = (this.nextU32() + 1) / 4294967296;
    const t = 2 * Math.PI * this.uniform();
    const r = Math.sqrt(-2 * dlog(u1));
    this.spare = r * dsin(t);
    return r * dcos(t);
  }
}

// ---- deterministic math: only +, -, *, / and sqrt, each correctly rounded by IEEE 754 ----

/** Natural log of a positive finite x: x = m 2^e with m in [1/sqrt2, sqrt2), then 2 atanh((m-1)/(m+1)). */
export function dlog(x: number): number {
  if (!(x > 0) || x === Infinity) return x === 0 ? -Infinity : NaN;
  let m = x;
  let e = 0;
  while (m >= 2) {
    m /= 2;
    e++;
  }
  while (m < 1) {
    m *= 2;
    e--;
  }
  if (m > Math.SQRT2) {
    m /= 2;
    e++;
  }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  let p = 0;
  for (let k = 25; k >= 1; k -= 2) p = p * s2 + 1 / k;
  return e * Math.LN2 + 2 * s * p;
}

/** e^x for |x| < 700: n = round(x / ln2), e^r by its Taylor series, times 2^n by exact doublings. */
export function dexp(x: number): number {
  if (x !== x) return NaN;
  if (x > 709) return Infinity;
  if (x < -745) return 0;
  const n = Math.round(x / Math.LN2);
  const r = x - n * LN2_HI - n * LN2_LO;
  let p = 1;
  for (let k = 20; k >= 1; k--) p = 1 + (p * r) / k;
  let y = p;
  for (let i = 0; i < n; i++) y *= 2;
  for (let i = 0; i > n; i--) y /= 2;
  return y;
}
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const PIO2_HI = 1.57079632673412561417;
const PIO2_LO = 6.07710050650619224932e-11;

function sinPoly(r: number): number {
  const r2 = r * r;
  let p = 0;
  // sum_{k>=0} (-1)^k r^(2k+1) / (2k+1)!, Horner in r^2
  for (let k = 10; k >= 1; k--) p = 1 - (p * r2) / (2 * k * (2 * k + 1));
  return r * p;
}
function cosPoly(r: number): number {
  const r2 = r * r;
  let p = 0;
  for (let k = 10; k >= 1; k--) p = 1 - (p * r2) / ((2 * k - 1) * (2 * k));
  return p;
}
// x = r + q pi/2 (q mod 4 in 0..3); r and q returned through these two (no array per call)
let quadR = 0;
let quadQ = 0;
function quadrant(x: number): void {
  const q = Math.round(x / (Math.PI / 2));
  quadR = x - q * PIO2_HI - q * PIO2_LO;
  quadQ = ((q % 4) + 4) % 4;
}
/** sin(x) for moderate |x| (angles of augmentations). */
export function dsin(x: number): number {
  quadrant(x);
  const r = quadR,
    q = quadQ;
  return q === 0 ? sinPoly(r) : q === 1 ? cosPoly(r) : q === 2 ? -sinPoly(r) : -cosPoly(r);
}
/** cos(x) for moderate |x|. */
export function dcos(x: number): number {
  quadrant(x);
  const r = quadR,
    q = quadQ;
  return q === 0 ? cosPoly(r) : q === 1 ? -sinPoly(r) : q === 2 ? -cosPoly(r) : sinPoly(r);
}

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * SplitMix32: the 32-bit finalizer of SplitMix over a Weyl sequence (step 0x9e3779b9). A pure
 * function of (seed, counter), cheap to fork; it draws the initial weights of every layer.
 */
export class SplitMix32 {
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

/**
 * mulberry32: a small 32-bit generator (state += 0x6d2b79f5, then a xorshift-multiply mix), the
 * same sequence in every runtime. Each call returns the next 32-bit word as an unsigned integer.
 */
export function mulberry32Words(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 as uniforms in [0, 1): each 32-bit word / 2^32. Shuffles data orders and splits. */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Words(seed);
  return () => next() / 4294967296;
}
