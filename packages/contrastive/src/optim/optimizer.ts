// The optimizer base: per-parameter state tensors in the persistent wasm region (allocated on a
// parameter's first step, freed by free()), a state_dict for checkpoints, lr per step.
import { ContrastiveError } from '../errors.js';
import type { KernelExports } from '../runtime/abi.js';
import { getRuntime } from '../runtime/init.js';
import { allocBytes, type Blocks, f32, trackBlocks } from '../runtime/memory.js';
import { Parameter, type StateDict } from '../nn/module.js';
import { checkLr, checkObject, checkRange, describe, finiteData } from '../validate.js';

export { checkLr, checkRange } from '../validate.js';

export type ParamList = Parameter[] | [string, Parameter][];

/**
 * A parameter group, as torch's `[{ 'params': ..., 'lr': ... }, ...]`: its own learning rate
 * and weight decay (the optimizer's options for what a group does not set). A schedule scales
 * every group alike: with `step(lr)`, a group whose lr is L trains at L x lr / optimizer.lr, as
 * torch's LR schedulers scale each group's initial lr.
 */
export interface ParamGroup {
  params: ParamList;
  lr?: number;
  weightDecay?: number;
}

const isGroup = (g: unknown): g is ParamGroup => typeof g === 'object' && g !== null && !Array.isArray(g) && !(g instanceof Parameter) && 'params' in g;

export interface OptimizerState {
  /** State tensors named `<param>.<slot>` (e.g. '0.weight.exp_avg'). */
  tensors: StateDict;
  /** Scalars: the step count per parameter, the base lr. */
  meta: { steps: Record<string, number>; lr: number };
}

export abstract class Optimizer {
  readonly k: KernelExports;
  readonly params: [string, Parameter][];
  /** The learning rate used when step() gets none. */
  lr: number;
  protected steps = new Map<string, number>();
  private slots = new Map<string, number>(); // `${name}.${slot}` -> ptr
  private freed = false;
  /** Every wasm block the optimizer owns (ptr -> bytes): returned by free(), or when it is collected. */
  private readonly blocks: Blocks;

  /** Each parameter's group settings (absent: the optimizer's own). */
  private readonly groupOf = new Map<string, { lr?: number; weightDecay?: number }>();

  constructor(
    readonly type: string,
    params: ParamList | ParamGroup[],
    lr: number,
    private readonly slotNames: string[],
  ) {
    this.k = getRuntime(type).k;
    this.blocks = trackBlocks(this, this.k);
    if (!Array.isArray(params) || params.length === 0)
      throw new ContrastiveError('INVALID_ARGUMENT', `${type}: params must be a non-empty list of Parameters or parameter groups`);
    const named = (list: ParamList, offset: number): [string, Parameter][] =>
      list.map((p, i) => (Array.isArray(p) ? [p[0], p[1]] : [p.name ? `${offset + i}.${p.name}` : String(offset + i), p]));
    if (params.some(isGroup)) {
      if (!params.every(isGroup))
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${type}: params must be all Parameters or all parameter groups ({ params, lr?, weightDecay? }), not a mix`,
        );
      this.params = [];
      (params as ParamGroup[]).forEach((g, gi) => {
        if (!Array.isArray(g.params)) throw new ContrastiveError('INVALID_ARGUMENT', `${type}: group ${gi}: params must be a list of Parameters`);
        const settings = {
          ...(g.lr === undefined ? {} : { lr: checkLr(g.lr, `${type}: group ${gi}:`) }),
          ...(g.weightDecay === undefined ? {} : { weightDecay: checkRange(g.weightDecay, 'weightDecay', `${type}: group ${gi}`, 0, Infinity) }),
        };
        for (const e of named(g.params, this.params.length)) {
          this.params.push(e);
          this.groupOf.set(e[0], settings);
        }
      });
      if (this.params.length === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${type}: the parameter groups hold no parameters`);
    } else {
      this.params = named(params as ParamList, 0);
    }
    const names = new Set(this.params.map(([n]) => n));
    if (names.size !== this.params.length) throw new ContrastiveError('INVALID_ARGUMENT', `${type}: parameter names must be unique`);
    if (this.params.some(([, p]) => !(p instanceof Parameter))) throw new ContrastiveError('INVALID_ARGUMENT', `${type}: params must be Parameters`);
    this.lr = checkLr(lr, type);
  }

  /** @internal The weight decay of `name`'s group, else `dflt` (the optimizer's). */
  protected decayOf(name: string, dflt: number): number {
    return this.groupOf.get(name)?.weightDecay ?? dflt;
  }

  /** @internal The state slot `slot` of `name`, zero-filled on first use. */
  protected slot(name: string, p: Parameter, slot: string): number {
    const key = `${name}.${slot}`;
    let ptr = this.slots.get(key);
    if (ptr === undefined) {
      ptr = this.ownBlock(p.size * 4, `${this.type}: the state of ${name}`);
      f32(this.k, ptr, p.size).fill(0);
      this.slots.set(key, ptr);
    }
    return ptr;
  }

  /**
   * @internal Allocates the state slots up front, at construction, beside the parameters: lazily
   * allocated on the first step, they would take the memory the first step's scratch had just
   * freed, and the second step would have to grow the module's memory again.
   */
  protected allocateSlots(slots: string[]): void {
    // frozen parameters get their state if they are unfrozen and stepped later
    for (const [name, p] of this.params) if (p.requiresGrad) for (const s of slots) this.slot(name, p, s);
  }

  /**
   * One update of every trainable parameter from its accumulated gradient; `lr` overrides
   * this.lr for this step (groups scale with it, see {@link ParamGroup}). Frozen parameters
   * (requiresGrad false) are skipped, weight decay included, as torch skips those without grad.
   */
  step(lr?: number): void {
    const op = `${this.type}.step`;
    if (this.freed) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the optimizer was freed`);
    const rate = lr === undefined ? this.lr : checkLr(lr, op);
    for (const [name, p] of this.params) {
      if (p.ptr === 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: parameter ${name} was freed`);
      if (!p.requiresGrad) continue;
      const t = (this.steps.get(name) ?? 0) + 1;
      const g = this.groupOf.get(name)?.lr;
      const r = g === undefined ? rate : this.lr > 0 ? g * (rate / this.lr) : g;
      this.update(name, p, r, t);
      this.steps.set(name, t);
    }
  }

  /** @internal */
  protected abstract update(name: string, p: Parameter, lr: number, t: number): void;

  zeroGrad(): void {
    for (const [, p] of this.params) p.zeroGrad();
  }

  stateDict(): OptimizerState {
    const tensors: StateDict = {};
    for (const [name, p] of this.params) {
      for (const s of this.slotNames) {
        const ptr = this.slots.get(`${name}.${s}`);
        if (ptr !== undefined) tensors[`${name}.${s}`] = { shape: p.shape.slice(), data: f32(this.k, ptr, p.size).slice() };
      }
    }
    return { tensors, meta: { steps: Object.fromEntries(this.steps), lr: this.lr } };
  }

  /** Slots whose values must be >= 0 (Adam's second moment). */
  protected nonNegativeSlots: string[] = [];

  /** Restores a stateDict(): validated completely first (names, shapes, finite values, steps, lr); nothing changes when it is refused. */
  loadStateDict(state: OptimizerState): void {
    this.checkStateDict(state, `${this.type}.loadStateDict`)();
  }

  /** @internal Validates an optimizer state completely and returns the step that applies it (which cannot fail). */
  checkStateDict(state: OptimizerState, op = `${this.type}.loadStateDict`): () => void {
    if (this.freed) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: the optimizer was freed`);
    checkObject(state, 'the optimizer state', op);
    const tensors = checkObject(state.tensors, 'state.tensors', op);
    const meta = checkObject(state.meta, 'state.meta', op);
    const steps = checkObject(meta.steps, 'state.meta.steps', op);
    const lr = checkLr(meta.lr, `${op}: state.meta`);
    const byName = new Map(this.params);
    const writes: [string, Parameter, string, Float32Array][] = [];
    for (const [key, t] of Object.entries(tensors)) {
      const dot = key.lastIndexOf('.');
      const [name, s] = [key.slice(0, dot), key.slice(dot + 1)];
      const p = byName.get(name);
      if (!p || !this.slotNames.includes(s)) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: unexpected tensor ${key}`);
      if (t === null || typeof t !== 'object') throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${key} must be { shape, data }, got ${describe(t)}`);
      const data = finiteData((t as { data: unknown }).data, key, op);
      if (data.length !== p.size) throw new ContrastiveError('SHAPE_MISMATCH', `${op}: ${key} has ${data.length} values, expected ${p.size}`);
      if (this.nonNegativeSlots.includes(s)) {
        const i = data.findIndex((v) => v < 0);
        if (i >= 0) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: ${key} has ${data[i]} at index ${i}; a second moment is never negative`);
      }
      writes.push([name, p, s, Float32Array.from(data)]);
    }
    const stepMap = new Map<string, number>();
    for (const [name, v] of Object.entries(steps)) {
      if (!byName.has(name)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: state.meta.steps names an unknown parameter ${JSON.stringify(name)}`);
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
        throw new ContrastiveError('INVALID_ARGUMENT', `${op}: state.meta.steps[${JSON.stringify(name)}] must be a non-negative integer, got ${describe(v)}`);
      }
      stepMap.set(name, v);
    }
    // slots are allocated before anything is written, so an allocation failure changes nothing
    for (const [name, p, s] of writes) this.slot(name, p, s);
    return () => {
      for (const [name, p, s, data] of writes) f32(this.k, this.slot(name, p, s), p.size).set(data);
      this.steps = stepMap;
      this.lr = lr;
    };
  }

  /** @internal Allocates `bytes` the optimizer owns until free() (or until it is collected). */
  protected ownBlock(bytes: number, op: string): number {
    const ptr = allocBytes(this.k, bytes, op);
    this.blocks.live.set(ptr, Math.max(bytes, 4));
    return ptr;
  }

  /**
   * Frees the state tensors (not the parameters). Safe to call twice. An optimizer dropped
   * without free() returns them once JavaScript collects it (FinalizationRegistry).
   */
  free(): void {
    for (const [ptr, bytes] of this.blocks.live) this.k.ct_free(ptr, bytes);
    this.blocks.live.clear();
    this.slots.clear();
    this.freed = true;
  }

  [Symbol.dispose](): void {
    this.free();
  }
}
