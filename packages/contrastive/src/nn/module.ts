// The layer machinery: wasm-resident parameters, grow-only activation buffers, the Module base
// class, Sequential with PyTorch state_dict names.
//
// Memory policy (docs/nn.md):
// * Parameters and their gradients live in a persistent region: each Parameter allocates its two
//   blocks with ct_alloc once, at construction, and keeps the pointers until free().
// * Activations: every module owns grow-only buffers (its output, what its backward pass
//   needs); input gradients come from a pool shared by the instance (GradPool). A forward call overwrites the previous call's, so exactly one forward's
//   activations are kept, and after the first step at the largest batch nothing is allocated.
// * Views into wasm memory are never cached: every read or write makes a fresh one.
import { ContrastiveError } from '../errors.js';
import { checkStatus } from '../runtime/kernel.js';
import type { KernelExports } from '../runtime/abi.js';
import { getRuntime } from '../runtime/init.js';
import { allocBytes, checkedBytes, f32, trackBlocks, type Blocks } from '../runtime/memory.js';
import type { Matrix, MatrixLike } from '../types.js';
import { checkObject, checkOptions, describe, finiteData, flag, nonFiniteAt, shapeText, toMatrix } from '../validate.js';

// Explicit resource management (`using`): declared here so consumers whose TypeScript lib
// predates esnext.disposable still typecheck (the same declaration @types/node makes).
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

/** An n-dimensional float32 tensor, row-major (C order): NCHW for images. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/**
 * One state_dict entry. `dtype` is 'F32' unless stated ('I64' for num_batches_tracked); it is
 * the dtype saveSafetensors writes the values as.
 */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
  dtype?: 'F32' | 'I64' | 'F64' | 'F16' | 'BF16' | 'I32';
}
export type StateDict = Record<string, StateTensor>;

export interface ForwardOptions {
  /** Train mode (batch statistics in BatchNorm, dropout active). Default false (eval mode). */
  training?: boolean;
}

export interface BackwardOptions {
  /**
   * Compute and return the gradient with respect to the input (default true). Pass false when
   * the input is data (a training loop's batch): the first layers then skip their input-gradient
   * work (for a first Linear, the n x in x out product dy W, as large as its weight gradient),
   * parameter-free layers in front of the first parameter are not run backward at all, and
   * backward returns undefined. Parameter gradients accumulate exactly as with true.
   */
  inputGrad?: boolean;
}

/** What a Parameter is, for optimizers that treat kinds differently (LARS excludes bias and norm). */
export type ParameterKind = 'weight' | 'bias' | 'norm';

/** @internal A tensor resident in wasm memory. */
export interface WTensor {
  ptr: number;
  shape: number[];
}

export const numel = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const fmt = (s: number[]) => `[${s.join(', ')}]`;

function alloc(k: KernelExports, bytes: number, op: string): number {
  return allocBytes(k, bytes, op);
}

/** @internal A grow-only block of wasm memory owned by one module. */
export class Buf {
  ptr = 0;
  private bytes = 0;
  private readonly blocks: Blocks;
  constructor(private readonly k: KernelExports) {
    this.blocks = trackBlocks(this, k);
  }
  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }
  /** Room for `floats` f32 (or u32); returns the pointer. Grows only, so steady state allocates nothing. */
  ensure(floats: number, op: string): number {
    // checked before anything is freed or written: a size past one allocation is OUT_OF_MEMORY
    const bytes = Math.max(4, checkedBytes(op, 4, floats));
    if (bytes > this.bytes) {
      this.free();
      this.ptr = alloc(this.k, bytes, op);
      this.bytes = bytes;
      this.blocks.live.set(this.ptr, bytes);
    }
    return this.ptr;
  }
  free(): void {
    if (this.ptr !== 0) {
      this.blocks.live.delete(this.ptr);
      this.k.ct_free(this.ptr, this.bytes);
    }
    this.ptr = 0;
    this.bytes = 0;
  }
}

/**
 * @internal Input-gradient buffers shared by every module of one instance. A layer's input
 * gradient is dead once the layer before it has consumed it, so instead of one buffer per layer
 * (what a deep network's activations would double to) layers take a free buffer here
 * (`acquire`) and the container that consumed it gives it back (`release`, Sequential and
 * Residual). A public backward starts by marking every buffer free: whatever a caller held from
 * the previous backward was copied out, and buffers a module never gave back cannot pile up.
 * Buffers only grow, so after the first steps at the largest batch nothing is allocated.
 */
export class GradPool {
  private readonly bufs: Buf[] = [];
  private readonly busy: boolean[] = [];
  /** Off: every acquire gets a buffer of its own (what each layer owning its buffer gave), for tests. */
  shared = true;
  constructor(private readonly k: KernelExports) {}
  /** A free buffer of at least `floats`, marked busy: the smallest that fits, else the largest free one grown, else a new one. */
  acquire(floats: number, op: string): number {
    let pick = -1;
    let bytes = 0;
    if (this.shared) {
      const need = Math.max(4, checkedBytes(op, 4, floats));
      for (let i = 0; i < this.bufs.length; i++) {
        if (this.busy[i]) continue;
        const b = this.bufs[i].size;
        const fits = b >= need;
        if (pick < 0 || (fits ? bytes < need || b < bytes : bytes < need && b > bytes)) {
          pick = i;
          bytes = b;
        }
      }
    }
    if (pick < 0) {
      pick = this.bufs.length;
      this.bufs.push(new Buf(this.k));
      this.busy.push(false);
    }
    this.busy[pick] = true;
    return this.bufs[pick].ensure(floats, op);
  }
  /** Gives a buffer back; pointers that are not this pool's (a module's own buffer, the caller's gradient) are ignored. */
  release(ptr: number): void {
    for (let i = 0; i < this.bufs.length; i++) if (this.bufs[i].ptr === ptr && ptr !== 0) this.busy[i] = false;
  }
  /** Marks every buffer free (the start of a public backward). */
  reset(): void {
    this.busy.fill(false);
    if (!this.shared) {
      for (const b of this.bufs) b.free();
      this.bufs.length = 0;
      this.busy.length = 0;
    }
  }
  /** Bytes held (for tests and benchmarks). */
  bytes(): number {
    return this.bufs.reduce((a, b) => a + b.size, 0);
  }
}

const gradPools = new WeakMap<KernelExports, GradPool>();
/** @internal The input-gradient pool of an instance. */
export function gradPool(k: KernelExports): GradPool {
  let p = gradPools.get(k);
  if (!p) gradPools.set(k, (p = new GradPool(k)));
  return p;
}

/**
 * A learnable tensor and its gradient, both in wasm memory for the life of the object.
 * `value()`/`grad()` return copies; `set()` copies in.
 */
export class Parameter {
  readonly k: KernelExports;
  readonly size: number;
  ptr: number;
  gradPtr: number;
  /**
   * Whether backward computes this parameter's gradient and optimizers update it (as torch's
   * `requires_grad`). False = frozen: the layer's kernels skip its gradient product, its grad
   * stays as it was, and optimizer steps (weight decay included) leave it unchanged. See
   * {@link Module.freeze}.
   */
  requiresGrad = true;
  constructor(
    readonly name: string,
    readonly shape: number[],
    readonly kind: ParameterKind = 'weight',
    init?: ArrayLike<number>,
  ) {
    this.k = getRuntime('Parameter').k;
    this.size = numel(shape);
    const bytes = checkedBytes('Parameter', 4, this.size);
    const initData = init === undefined ? undefined : finiteData(init, `${name} init`, 'Parameter', { length: this.size });
    this.ptr = alloc(this.k, bytes, 'Parameter');
    this.gradPtr = alloc(this.k, bytes, 'Parameter');
    this.blocks = trackBlocks(this, this.k);
    this.blocks.live.set(this.ptr, Math.max(4, bytes)).set(this.gradPtr, Math.max(4, bytes));
    f32(this.k, this.gradPtr, this.size).fill(0);
    f32(this.k, this.ptr, this.size).fill(0);
    if (initData) this.set(initData);
  }
  private live(op: string): void {
    if (this.ptr === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: parameter ${this.name} was freed`);
  }
  value(): Float32Array {
    this.live('Parameter.value');
    return f32(this.k, this.ptr, this.size).slice();
  }
  grad(): Float32Array {
    this.live('Parameter.grad');
    return f32(this.k, this.gradPtr, this.size).slice();
  }
  /** Copies finite numbers in (NaN, infinities, non-numbers are refused; nothing is written then). */
  set(data: ArrayLike<number>): void {
    this.live('Parameter.set');
    f32(this.k, this.ptr, this.size).set(this.checked(data, 'Parameter.set'));
  }
  setGrad(data: ArrayLike<number>): void {
    this.live('Parameter.setGrad');
    f32(this.k, this.gradPtr, this.size).set(this.checked(data, 'Parameter.setGrad'));
  }
  private checked(data: ArrayLike<number>, op: string): Float32Array {
    const f = finiteData(data, 'data', op);
    if (f.length !== this.size) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${this.name} has ${this.size} values (shape ${fmt(this.shape)}), got ${f.length}`);
    }
    return f;
  }
  zeroGrad(): void {
    if (this.gradPtr !== 0) f32(this.k, this.gradPtr, this.size).fill(0);
  }
  /** Returns both blocks to the allocator. Safe to call twice. */
  private readonly blocks: Blocks;
  free(): void {
    if (this.ptr !== 0) {
      this.blocks.live.clear();
      this.k.ct_free(this.ptr, this.size * 4);
      this.k.ct_free(this.gradPtr, this.size * 4);
    }
    this.ptr = 0;
    this.gradPtr = 0;
  }
}

/** Float buffers (BatchNorm's running statistics) kept in wasm memory, saved in the state_dict. */
export class StateBuffer {
  readonly k: KernelExports;
  readonly size: number;
  ptr: number;
  constructor(
    readonly name: string,
    readonly shape: number[],
    fill: number,
  ) {
    this.k = getRuntime('StateBuffer').k;
    this.size = numel(shape);
    this.ptr = alloc(this.k, checkedBytes('StateBuffer', 4, this.size), 'StateBuffer');
    this.blocks = trackBlocks(this, this.k);
    this.blocks.live.set(this.ptr, Math.max(4, this.size * 4));
    f32(this.k, this.ptr, this.size).fill(fill);
  }
  value(): Float32Array {
    return f32(this.k, this.ptr, this.size).slice();
  }
  set(data: ArrayLike<number>): void {
    if (this.ptr === 0) throw new ContrastiveError('INVALID_ARGUMENT', `StateBuffer.set: buffer ${this.name} was freed`);
    const f = finiteData(data, 'data', 'StateBuffer.set', { length: this.size });
    f32(this.k, this.ptr, this.size).set(f);
  }
  private readonly blocks: Blocks;
  free(): void {
    if (this.ptr !== 0) {
      this.blocks.live.clear();
      this.k.ct_free(this.ptr, this.size * 4);
    }
    this.ptr = 0;
  }
}

/**
 * A layer or a container of layers. `forward` runs it (eval mode by default), `backward` takes
 * the gradient of the loss with respect to the last forward's output, returns the gradient
 * with respect to its input and ADDS the parameter gradients into each Parameter's grad (call
 * `zeroGrad()` between steps, as in PyTorch).
 */
export abstract class Module {
  readonly k: KernelExports;
  protected freed = false;
  private io: Buf[] = [];
  private ioIn: Buf;
  private ioOut: Buf;
  /** @internal Shape of the last forward's input (so backward knows it). */
  protected lastIn: WTensor | undefined;
  protected lastTraining = false;
  /** The last public forward threw after its input copy: its buffers hold no usable forward. */
  private broken = false;
  /** Pinned to eval mode by {@link Module.eval}: forward ignores `training: true` here and below. */
  evalPinned = false;

  constructor(readonly type: string) {
    this.k = getRuntime(type).k;
    this.ioIn = this.buf();
    this.ioOut = this.buf();
  }

  /** @internal A buffer freed with the module. */
  protected buf(): Buf {
    const b = new Buf(this.k);
    this.io.push(b);
    return b;
  }

  /**
   * @internal A buffer for this backward's input gradient, from the instance's shared pool
   * ({@link GradPool}): valid until the container that consumes it releases it.
   */
  protected gradOut(floats: number, op: string): number {
    return gradPool(this.k).acquire(floats, op);
  }

  /** @internal The kernel work, on wasm-resident tensors. The output stays valid until the next forward. */
  abstract _forward(x: WTensor, training: boolean): WTensor;
  /**
   * @internal dy has the shape of the last output; returns dx (the shape of the last input).
   * With `needInput` false the caller will not read dx: a module may skip computing it and
   * return undefined (Linear and Conv2d do; parameter gradients are accumulated either way).
   */
  abstract _backward(dy: WTensor, needInput: boolean): WTensor | undefined;
  /** @internal Whether backward has parameter gradients to accumulate (here or in a child): frozen ones do not count. */
  _hasParams(): boolean {
    return this._params().some(([, p]) => p.requiresGrad) || this._children().some(([, c]) => c._hasParams());
  }

  /** @internal Own parameters, by local name ('weight', 'bias'). */
  _params(): [string, Parameter][] {
    return [];
  }
  /** @internal Own state buffers, by local name. */
  _buffers(): [string, StateBuffer][] {
    return [];
  }
  /** @internal Extra scalars in the state_dict (num_batches_tracked). */
  _scalars(): [string, { get: () => number; set: (v: number) => void }][] {
    return [];
  }
  /** @internal Child modules by name (Sequential). */
  _children(): [string, Module][] {
    return [];
  }
  /** @internal RNG counters (dropout), saved in checkpoints so a resumed run continues bit for bit. */
  _rng(): [string, { get: () => number; set: (v: number) => void }][] {
    return [];
  }

  protected check(op: string): void {
    if (this.freed) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the ${this.type} was freed`);
    if (getRuntime(op).k !== this.k) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the ${this.type} was created under another init(); its wasm memory is gone`);
    }
  }

  /** Runs the module on a batch (rows = samples). Returns a copy. */
  forward(x: MatrixLike, opts: ForwardOptions = {}): Matrix {
    const op = `${this.type}.forward`;
    opts = checkOptions(opts, op);
    // shape here, values in wasm after the copy (a 512 x 784 batch is 400k floats for a JS loop)
    const X = toMatrix(x, 'x', op, { finite: false });
    const y = this.forwardChecked({ data: X.data, shape: [X.rows, X.cols] }, opts, op, X.cols);
    return { data: y.data, rows: y.shape[0], cols: y.data.length / y.shape[0] };
  }

  /** As forward, for n-dimensional inputs (NCHW images). */
  forwardTensor(x: Tensor, opts: ForwardOptions = {}): Tensor {
    const op = `${this.type}.forward`;
    opts = checkOptions(opts, op);
    this.check(op);
    checkTensor(x, 'x', op, false);
    return this.forwardChecked(x, opts, op);
  }

  /** Copies `data` into `buf` and checks its values there; `cols` makes errors say row and column. */
  private copyIn(buf: Buf, data: Float32Array, name: string, op: string, cols?: number): number {
    const n = data.length;
    const p = buf.ensure(n, op);
    f32(this.k, p, n).set(data);
    const bad = this.k.ct_first_nonfinite(p, n);
    if (bad >= 0) throw nonFiniteAt(op, name, data[bad], bad, cols);
    return p;
  }

  private forwardChecked(x: Tensor, opts: ForwardOptions, op: string, cols?: number): Tensor {
    this.check(op);
    // a forward that throws after the copy has overwritten (maybe moved) the input buffer the
    // last forward's backward would read: no backward until a forward succeeds
    this.broken = true;
    const training = (opts.training ?? false) && !this.evalPinned;
    // a training forward moves state (BatchNorm statistics and counters, dropout streams) layer
    // by layer: a call refused by a later layer (a shape that does not fit) puts it all back
    const undo = training ? this.snapshotState() : undefined;
    let y: WTensor;
    try {
      const p = this.copyIn(this.ioIn, x.data, 'x', op, cols);
      y = this._forward({ ptr: p, shape: x.shape.slice() }, training);
    } catch (e) {
      undo?.();
      throw e;
    }
    this.broken = false;
    return { data: f32(this.k, y.ptr, numel(y.shape)).slice(), shape: y.shape.slice() };
  }

  /**
   * Gradient of the input from the gradient of the last forward's output; parameter grads
   * accumulate. With `{ inputGrad: false }` the input gradient is neither computed nor returned
   * (see {@link BackwardOptions}): what a training loop on data wants.
   */
  backward(gradOut: MatrixLike): Matrix;
  backward(gradOut: MatrixLike, opts: BackwardOptions & { inputGrad: false }): undefined;
  backward(gradOut: MatrixLike, opts?: BackwardOptions): Matrix | undefined;
  backward(gradOut: MatrixLike, opts: BackwardOptions = {}): Matrix | undefined {
    const op = `${this.type}.backward`;
    opts = checkOptions(opts, op);
    const G = toMatrix(gradOut, 'gradOut', op, { finite: false });
    const dx = this.backwardChecked({ data: G.data, shape: [G.rows, G.cols] }, opts, op, G.cols);
    return dx && { data: dx.data, rows: dx.shape[0], cols: dx.data.length / dx.shape[0] };
  }

  /** As backward, for n-dimensional gradients (NCHW images). */
  backwardTensor(gradOut: Tensor): Tensor;
  backwardTensor(gradOut: Tensor, opts: BackwardOptions & { inputGrad: false }): undefined;
  backwardTensor(gradOut: Tensor, opts?: BackwardOptions): Tensor | undefined;
  backwardTensor(gradOut: Tensor, opts: BackwardOptions = {}): Tensor | undefined {
    const op = `${this.type}.backward`;
    opts = checkOptions(opts, op);
    this.check(op);
    checkTensor(gradOut, 'gradOut', op, false);
    return this.backwardChecked(gradOut, opts, op);
  }

  private backwardChecked(gradOut: Tensor, opts: BackwardOptions, op: string, cols?: number): Tensor | undefined {
    this.check(op);
    const needInput = flag(opts?.inputGrad, 'opts.inputGrad', op, true);
    const out = this.outShape();
    if (!out || this.broken) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: call forward before backward`);
    if (gradOut.data.length !== numel(out) || gradOut.shape[0] !== out[0]) {
      throw new ContrastiveError('SHAPE_MISMATCH', `${op}: gradOut has shape ${fmt(gradOut.shape)}, expected ${fmt(out)} (the shape of the last output)`);
    }
    const p = this.copyIn(this.ioOut, gradOut.data, 'gradOut', op, cols);
    gradPool(this.k).reset();
    const dx = this._backward({ ptr: p, shape: out }, needInput);
    if (!needInput) return undefined;
    if (!dx) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the ${this.type} returned no input gradient`);
    return { data: f32(this.k, dx.ptr, numel(dx.shape)).slice(), shape: dx.shape.slice() };
  }

  /** @internal Shape of the last output. */
  abstract outShape(): number[] | undefined;

  /** Every parameter with its PyTorch name ('0.weight'), in named_parameters() order. */
  namedParameters(): [string, Parameter][] {
    const out: [string, Parameter][] = this._params().slice();
    for (const [cn, c] of this._children()) for (const [n, p] of c.namedParameters()) out.push([`${cn}.${n}`, p]);
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The parameters that train (requiresGrad true), with their names: what to hand an optimizer. */
  trainableParameters(): [string, Parameter][] {
    return this.namedParameters().filter(([, p]) => p.requiresGrad);
  }

  /** This module and every descendant with its dotted path ('' for this one), as torch's named_modules(). */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [['', this]];
    for (const [cn, c] of this._children()) for (const [n, m] of c.namedModules()) out.push([n ? `${cn}.${n}` : cn, m]);
    return out;
  }

  /** The descendant at a dotted path ('layer1.0.bn1'), as torch's get_submodule(); throws when there is none. */
  submodule(path: string): Module {
    const found = this.namedModules().find(([n]) => n === path);
    if (!found) {
      const names = this.namedModules()
        .map(([n]) => n)
        .filter((n) => n && !n.includes('.'));
      throw new ContrastiveError('INVALID_ARGUMENT', `submodule: no module at ${JSON.stringify(path)} (top-level children: ${names.join(', ') || 'none'})`);
    }
    return found[1];
  }

  /**
   * Freezes parameters by name prefix (a whole submodule: 'conv1', 'layer1', 'layer2.0.bn1';
   * one tensor: 'fc.bias'); no prefix = all. A prefix matches at a dot boundary ('layer1' is not
   * 'layer10') and must match something, so a typo is an error. Frozen parameters get no
   * gradient: backward skips their products, and layers in front of the first trainable one
   * are not run backward at all. Returns the names frozen.
   */
  freeze(prefixes?: string | string[]): string[] {
    return this.setRequiresGrad(prefixes, false, 'freeze');
  }

  /** Undoes {@link Module.freeze} for the parameters under the prefixes (all when none). */
  unfreeze(prefixes?: string | string[]): string[] {
    return this.setRequiresGrad(prefixes, true, 'unfreeze');
  }

  private setRequiresGrad(prefixes: string | string[] | undefined, on: boolean, op: string): string[] {
    const list = prefixes === undefined ? undefined : typeof prefixes === 'string' ? [prefixes] : prefixes;
    if (list !== undefined && (!Array.isArray(list) || list.some((p) => typeof p !== 'string' || p === ''))) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: prefixes must be non-empty strings, got ${JSON.stringify(prefixes)}`);
    }
    const params = this.namedParameters();
    const hit = (name: string, pre: string) => name === pre || name.startsWith(`${pre}.`);
    for (const pre of list ?? []) {
      if (!params.some(([n]) => hit(n, pre))) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${op}: no parameter is named ${JSON.stringify(pre)} or starts with "${pre}." (parameters: ${params
            .slice(0, 6)
            .map(([n]) => n)
            .join(', ')}${params.length > 6 ? ', ...' : ''})`,
        );
      }
    }
    const names: string[] = [];
    for (const [n, p] of params) {
      if (list === undefined || list.some((pre) => hit(n, pre))) {
        p.requiresGrad = on;
        names.push(n);
      }
    }
    return names;
  }

  /**
   * Pins this module and its descendants to eval mode, whatever forward's `training` says:
   * BatchNorm normalizes with its running statistics and leaves them (and num_batches_tracked)
   * untouched, Dropout passes through, while the rest of the model trains (torch's
   * `model.train(); model.layer1.eval()`). Returns this.
   */
  eval(): this {
    for (const [, m] of this.namedModules()) m.evalPinned = true;
    return this;
  }

  /** Undoes {@link Module.eval} for this module and its descendants: they follow forward's `training` again. Returns this. */
  train(): this {
    for (const [, m] of this.namedModules()) m.evalPinned = false;
    return this;
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** The state: parameters and buffers under PyTorch's names, as copies. */
  stateDict(): StateDict {
    this.check('stateDict');
    const sd: StateDict = {};
    this.collect('', sd);
    return sd;
  }

  private collect(prefix: string, sd: StateDict): void {
    for (const [n, p] of this._params()) sd[prefix + n] = { shape: p.shape.slice(), data: p.value() };
    for (const [n, b] of this._buffers()) sd[prefix + n] = { shape: b.shape.slice(), data: b.value() };
    for (const [n, s] of this._scalars()) sd[prefix + n] = { shape: [], data: Float32Array.of(s.get()), dtype: 'I64' };
    for (const [cn, c] of this._children()) c.collect(`${prefix}${cn}.`, sd);
  }

  /** @internal The state a training forward moves (buffers, scalars, RNG counters), copied; the function puts it back. */
  snapshotState(): () => void {
    const put: (() => void)[] = [];
    const visit = (m: Module) => {
      for (const [, b] of m._buffers()) {
        if (b.ptr === 0) continue;
        const v = b.value();
        put.push(() => {
          if (b.ptr !== 0) f32(b.k, b.ptr, b.size).set(v);
        });
      }
      for (const [, s] of [...m._scalars(), ...m._rng()]) {
        const v = s.get();
        put.push(() => s.set(v));
      }
      for (const [, c] of m._children()) visit(c);
    };
    visit(this);
    return () => {
      for (const f of put) {
        try {
          f();
        } catch {
          // an instance retired by a trap: its memory is not used again
        }
      }
    };
  }

  private slots(prefix: string, out: Map<string, { shape: number[]; set: (d: Float32Array) => void; integral?: boolean }>): void {
    for (const [n, p] of this._params()) out.set(prefix + n, { shape: p.shape, set: (d) => p.set(d) });
    for (const [n, b] of this._buffers()) out.set(prefix + n, { shape: b.shape, set: (d) => b.set(d) });
    for (const [n, s] of this._scalars()) out.set(prefix + n, { shape: [], set: (d) => s.set(d[0]), integral: true });
    for (const [cn, c] of this._children()) c.slots(`${prefix}${cn}.`, out);
  }

  /**
   * Loads a state_dict. Strict (default): the same names and shapes, else a ContrastiveError
   * naming the tensor; nothing is changed then. `{ strict: false }` (torch's strict=False)
   * loads the tensors whose names the module has, leaves the others as they are, and returns
   * the names it did not find (`missing`) and did not use (`unexpected`); shapes are still
   * checked. An absent num_batches_tracked is never an error (the counter stays as it is).
   */
  loadStateDict(sd: StateDict, opts: { strict?: boolean } = {}): { missing: string[]; unexpected: string[] } {
    const strict = flag(opts?.strict, 'opts.strict', 'loadStateDict', true);
    const apply = this.checkStateDict(sd, 'loadStateDict', strict);
    apply();
    return { missing: apply.missing, unexpected: apply.unexpected };
  }

  /**
   * @internal Validates a state_dict completely (names, shapes, finite numbers, integral counters)
   * and returns the function that applies it, which cannot fail: restores validate every part
   * first, then apply all of them or none. Not `strict`: names the module lacks are skipped and
   * reported (`unexpected`), as are its tensors the state_dict lacks (`missing`).
   */
  checkStateDict(sd: StateDict, op = 'loadStateDict', strict = true): (() => void) & { missing: string[]; unexpected: string[] } {
    this.check(op);
    checkObject(sd, 'the state_dict', op);
    const want = new Map<string, { shape: number[]; set: (d: Float32Array) => void; integral?: boolean }>();
    this.slots('', want);
    const has = (k: string) => Object.hasOwn(sd, k);
    // num_batches_tracked may be absent (checkpoints from before torch 0.4.1 and converters that
    // drop int64 tensors): it is then left as it is, as torch's BatchNorm does
    const missing = [...want.keys()].filter((k) => !has(k) && !k.endsWith('num_batches_tracked'));
    if (missing.length && strict) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: missing tensor ${missing.join(', ')}`);
    const extra = Object.keys(sd).filter((k) => !want.has(k));
    if (extra.length && strict) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: unexpected tensor ${extra.join(', ')}`);
    const values: [(d: Float32Array) => void, Float32Array][] = [];
    for (const [name, slot] of want) {
      if (!has(name)) continue; // absent (num_batches_tracked, or not strict)
      const t = sd[name] as unknown;
      if (t === null || typeof t !== 'object' || !Array.isArray((t as StateTensor).shape) || (t as StateTensor).data == null) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be { shape, data }, got ${describe(t)}`);
      }
      const { shape, data } = t as StateTensor;
      if (!shape.every((d) => typeof d === 'number')) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.shape must be numbers, got ${shapeText(shape)}`);
      }
      if (fmt(shape) !== fmt(slot.shape) || data.length !== numel(slot.shape)) {
        throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name} has shape ${fmt(shape)} (${describe(data.length)} values), expected ${fmt(slot.shape)}`);
      }
      const f = Float32Array.from(finiteData(data, name, op));
      if (slot.integral && f.some((v) => !Number.isInteger(v) || v < 0)) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} is a counter: it must be a non-negative integer, got ${f[0]}`);
      }
      values.push([slot.set, f]);
    }
    const apply = () => {
      for (const [set, f] of values) set(f);
    };
    return Object.assign(apply, { missing, unexpected: extra });
  }

  /** RNG counters by module path (dropout), for checkpoints. */
  rngState(): Record<string, number> {
    const out: Record<string, number> = {};
    const walk = (m: Module, prefix: string) => {
      for (const [n, s] of m._rng()) out[prefix + n] = s.get();
      for (const [cn, c] of m._children()) walk(c, `${prefix}${cn}.`);
    };
    walk(this, '');
    return out;
  }

  setRngState(state: Record<string, number>): void {
    this.checkRngState(state, 'setRngState')();
  }

  /** @internal Validates RNG counters (non-negative integers, known names); returns the apply step. */
  checkRngState(state: Record<string, number>, op = 'setRngState'): () => void {
    checkObject(state, 'the RNG state', op);
    const known = new Map<string, { set: (v: number) => void }>();
    const walk = (m: Module, prefix: string) => {
      for (const [n, s] of m._rng()) known.set(prefix + n, s);
      for (const [cn, c] of m._children()) walk(c, `${prefix}${cn}.`);
    };
    walk(this, '');
    const sets: [(v: number) => void, number][] = [];
    for (const [key, v] of Object.entries(state)) {
      const s = known.get(key);
      if (!s) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: unknown RNG counter ${JSON.stringify(key)}`);
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: RNG counter ${key} must be a non-negative integer, got ${describe(v)}`);
      }
      sets.push([s.set, v]);
    }
    return () => {
      for (const [set, v] of sets) set(v);
    };
  }

  /** Frees the parameters and buffers. Safe to call twice. */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    for (const b of this.io) b.free();
    for (const [, p] of this._params()) p.free();
    for (const [, b] of this._buffers()) b.free();
    for (const [, c] of this._children()) c.free();
  }

  [Symbol.dispose](): void {
    this.free();
  }
}

/** A Module without parameters whose output buffer is managed here. */
export abstract class Stateless extends Module {
  protected y: Buf;
  protected dx: Buf;
  protected out: number[] | undefined;
  constructor(type: string) {
    super(type);
    this.y = this.buf();
    this.dx = this.buf();
  }
  outShape(): number[] | undefined {
    return this.out;
  }
}

/** Checks a Tensor argument; `finite: false` leaves the values to the caller (checked in wasm). */
export function checkTensor(x: Tensor, name: string, op: string, finite = true): void {
  if (!x || typeof x !== 'object' || !(x.data instanceof Float32Array) || !Array.isArray(x.shape)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name} must be { data: Float32Array, shape: number[] }`);
  }
  if (x.shape.length === 0 || x.shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${name}.shape must be positive integers, got ${fmt(x.shape)}`);
  }
  if (numel(x.shape) !== x.data.length) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${name}.data has ${x.data.length} values, shape ${fmt(x.shape)} needs ${numel(x.shape)}`);
  }
  if (finite) finiteData(x.data, `${name}.data`, op);
}

export function expectShape(x: WTensor, ok: boolean, want: string, op: string): void {
  if (!ok) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: input has shape ${fmt(x.shape)}, expected ${want}`);
}

export { checkStatus, f32, fmt };

/** @internal Runs a child's forward in the mode it gets: eval when it is pinned, else the caller's. Containers call children through this. */
export function runChild(m: Module, x: WTensor, training: boolean): WTensor {
  return m._forward(x, training && !m.evalPinned);
}

/** Runs modules in order; state_dict names are the indices ('0.weight', '1.running_mean'). */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super('Sequential');
    this.layers = layers;
  }
  _children(): [string, Module][] {
    return this.layers.map((m, i) => [String(i), m]);
  }
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastTraining = training;
    let t = x;
    for (const m of this.layers) t = runChild(m, t, training);
    this.lastIn = x;
    return t;
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const L = this.layers;
    // Layer i must produce its input gradient when a layer before it has parameters or our
    // caller wants ours; layers in front of the first parameter are not run at all then.
    let first = 0;
    if (!needInput) {
      first = L.length;
      for (let i = 0; i < L.length; i++) {
        if (L[i]._hasParams()) {
          first = i;
          break;
        }
      }
    }
    const pool = gradPool(this.k);
    let g: WTensor | undefined = dy;
    for (let i = L.length - 1; i >= first; i--) {
      const gin: WTensor = g!;
      g = L[i]._backward(gin, i > first || needInput);
      // gin was made here (by layer i + 1) and is consumed: give it back unless it is passed on
      if (gin.ptr !== dy.ptr && gin.ptr !== g?.ptr) pool.release(gin.ptr);
    }
    return needInput ? g : undefined;
  }
  outShape(): number[] | undefined {
    return this.layers.length ? this.layers[this.layers.length - 1].outShape() : this.lastIn?.shape;
  }
}
