import { ContrastiveError } from '../errors.js';
import type { KernelExports } from './abi.js';

const ALIGN = 16;
/**
 * The largest single block of WebAssembly memory: the kernels' allocator (Rust's, on wasm32)
 * refuses sizes above isize::MAX = 2^31 - 1 bytes, so one buffer (a layer's output, a loss's
 * scratch) holds at most 2 GiB minus alignment. The module's whole memory may grow to 4 GiB.
 */
export const MAX_ALLOC_BYTES = 2 ** 31 - 2 ** 16;
/** The wasm32 address space: the most a module's memory can grow to. */
export const MAX_MEMORY_BYTES = 2 ** 32;

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;
/** Up to this size the arena doubles when it grows; beyond, it takes exactly what a call needs. */
const GEOMETRIC_LIMIT = 256 * 2 ** 20;

/**
 * The byte count of `count` elements of `elemBytes` each, checked: a size that does not fit one
 * allocation is an OUT_OF_MEMORY error here, before anything is allocated or written (a wasm32
 * `usize` argument takes a JS number mod 2^32, so an unchecked 4 GiB + 4 KiB request would
 * allocate 4 KiB). `factors` are multiplied in float64, exact below 2^53.
 */
export function checkedBytes(op: string, elemBytes: number, ...factors: number[]): number {
  let n = elemBytes;
  for (const f of factors) {
    if (f === Infinity || (Number.isInteger(f) && f > Number.MAX_SAFE_INTEGER)) {
      n = Infinity;
      continue;
    }
    if (!Number.isSafeInteger(f) || f < 0) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: a size of ${String(f)} is not a non-negative integer`);
    }
    n *= f;
  }
  if (n > MAX_ALLOC_BYTES) {
    throw new ContrastiveError(
      'OUT_OF_MEMORY',
      `${op}: needs a buffer of ${n === Infinity ? 'more than 2^53' : n} bytes (${formatBytes(n)}); one WebAssembly allocation holds at most ${formatBytes(MAX_ALLOC_BYTES)} (wasm32); use smaller batches`,
    );
  }
  return n;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/** ct_alloc of a checked size; OUT_OF_MEMORY when the module's memory cannot grow. */
export function allocBytes(k: KernelExports, bytes: number, op: string): number {
  checkedBytes(op, 1, bytes);
  const p = k.ct_alloc(Math.max(bytes, 4));
  if (p === 0) throw new ContrastiveError('OUT_OF_MEMORY', `${op}: could not allocate ${bytes} bytes (${formatBytes(bytes)}) of WebAssembly memory`);
  return p;
}

/**
 * The per-call arena: one block of wasm memory, reserved for the largest call seen so far and
 * bump-allocated inside each call. A call reserves what it needs up front, so steady-state calls
 * allocate nothing and memory never creeps, whatever the number of calls.
 *
 * Growth: the old block is returned first, then a block of max(needed, 2 x old) is tried (up to
 * 256 MiB; exactly what is needed beyond), and if that fails, exactly what is needed.
 *
 * Views into memory are never kept: `f32()` makes a fresh one, because a kernel call that grows
 * memory detaches every existing view.
 */
export class Arena {
  private base = 0;
  private capacity = 0;
  private top = 0;

  constructor(private readonly k: KernelExports) {}

  /** Makes room for `sizes` (bytes each) and returns their offsets; earlier offsets are invalid. */
  reserve(op: string, sizes: number[]): number[] {
    let total = 0;
    for (const n of sizes) total += align(checkedBytes(op, 1, n));
    checkedBytes(op, 1, total);
    if (total > this.capacity) {
      const prev = this.capacity;
      this.release();
      // geometric growth while blocks are small (few regrowths); past 256 MiB exactly what is
      // needed, so that the freed blocks, which coalesce, can hold the next one (a doubled block
      // would not fit in them and would be placed after them)
      const want = total > GEOMETRIC_LIMIT ? total : Math.min(MAX_ALLOC_BYTES, Math.max(total, prev * 2, 1 << 16));
      let cap = want;
      let p = this.k.ct_alloc(cap);
      if (p === 0 && want > total) {
        cap = total;
        p = this.k.ct_alloc(cap);
      }
      if (p === 0) {
        throw new ContrastiveError('OUT_OF_MEMORY', `${op}: could not allocate ${total} bytes (${formatBytes(total)}) of WebAssembly memory`);
      }
      this.base = p;
      this.capacity = cap;
    }
    this.top = 0;
    return sizes.map((n) => {
      const p = this.base + this.top;
      this.top += align(n);
      return p;
    });
  }

  /** Returns the block to the module's allocator. Safe to call twice. */
  release(): void {
    if (this.base !== 0) this.k.ct_free(this.base, this.capacity);
    this.base = 0;
    this.capacity = 0;
    this.top = 0;
  }

  get reservedBytes(): number {
    return this.capacity;
  }
}

/** A fresh Float32Array view (never cache it across a kernel call). */
export function f32(k: KernelExports, ptr: number, len: number): Float32Array {
  return new Float32Array(k.memory.buffer, ptr, len);
}

export function f64(k: KernelExports, ptr: number, len: number): Float64Array {
  return new Float64Array(k.memory.buffer, ptr, len);
}

export function u32(k: KernelExports, ptr: number, len: number): Uint32Array {
  return new Uint32Array(k.memory.buffer, ptr, len);
}

/**
 * The wasm blocks an object owns, by address (bytes as value). An object dropped without
 * `free()` is garbage collected by JavaScript; this registry then returns its blocks to the
 * module's allocator, so forgetting `free()` costs memory only until the next collection.
 * (`free()` and `using` stay the way to return memory at a known point.)
 */
export interface Blocks {
  k: KernelExports;
  live: Map<number, number>;
}

const dropped =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<Blocks>((b) => {
        for (const [p, bytes] of b.live) {
          try {
            b.k.ct_free(p, bytes);
          } catch {
            // the instance is gone (trapped or replaced): nothing to return
          }
        }
        b.live.clear();
      })
    : undefined;

/** Registers `owner`'s blocks for release when it is collected; add and delete entries as it allocates and frees. */
export function trackBlocks(owner: object, k: KernelExports): Blocks {
  const b: Blocks = { k, live: new Map() };
  dropped?.register(owner, b);
  return b;
}
