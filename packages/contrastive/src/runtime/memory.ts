import { ContrastiveError } from '../errors.js';
import type { KernelExports } from './abi.js';

const ALIGN = 16;
// ct_alloc takes a wasm32 usize: sizes must stay below 4 GiB, and memory tops out there anyway.
const MAX_BYTES = 2 ** 32 - 2 ** 16;

const align = (n: number) => Math.ceil(n / ALIGN) * ALIGN;

/**
 * The per-call arena: one block of wasm memory, reserved for the largest call seen so far and
 * bump-allocated inside each call. A call reserves what it needs up front, so steady-state calls
 * allocate nothing and memory never creeps, whatever the number of calls.
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
    const total = sizes.reduce((s, n) => s + align(n), 0);
    if (total > MAX_BYTES) {
      throw new ContrastiveError(
        'OUT_OF_MEMORY',
        `${op}: needs ${total} bytes of WebAssembly memory, more than the 4 GiB a wasm32 module can address`,
      );
    }
    if (total > this.capacity) {
      this.release();
      const cap = Math.min(MAX_BYTES, Math.max(total, this.capacity * 2, 1 << 16));
      const p = this.k.ct_alloc(cap);
      if (p === 0) {
        throw new ContrastiveError('OUT_OF_MEMORY', `${op}: could not allocate ${cap} bytes of WebAssembly memory`);
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
