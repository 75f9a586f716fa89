// The architecture of a module as plain JSON, and the way back: what a saved model carries so
// that loadModel can rebuild it without the code that made it.
import { ContrastiveError } from '../errors.js';
import { GELU, ReLU } from './activation.js';
import { BatchNorm1d, BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv2d.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module, Sequential } from './module.js';
import { L2Normalize } from './normalize.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from './pool.js';
import { Flatten, Unflatten } from './reshape.js';

/**
 * A module's architecture: its `type` (the registered name), the constructor arguments in
 * `args` (JSON values), and the specs of its children, in order, for containers.
 */
export interface ModuleSpec {
  type: string;
  args?: Record<string, unknown>;
  children?: ModuleSpec[];
}

/** How one module type is written to a spec and built back from it. */
export interface ModuleCodec<M extends Module = Module> {
  /** The constructor arguments of `m` (JSON values only). */
  args(m: M): Record<string, unknown>;
  /** A new module of this type from `args` and its already built children. */
  build(args: Record<string, unknown>, children: Module[]): M;
  /** The children to write (containers only), in the order `build` takes them. */
  children?(m: M): Module[];
  /**
   * How many floats of state (parameters and buffers) `build(args)` allocates: lets a loader
   * refuse a spec that asks for more than its file holds before allocating anything.
   */
  stateSize?(args: Record<string, unknown>): number;
}

const CODECS = new Map<string, ModuleCodec>();

/**
 * Makes a module type savable with its architecture: `saveModel` writes `codec.args(m)` under
 * the module's `type`, and `loadModel` calls `codec.build` with them. Built-in layers are
 * registered already; register your own Module subclasses the same way, before loading.
 *
 * @example
 * registerModule('Scale', { args: (m) => ({ s: m.s }), build: (a) => new Scale(a.s as number) });
 */
export function registerModule<M extends Module>(type: string, codec: ModuleCodec<M>): void {
  if (typeof type !== 'string' || type === '')
    throw new ContrastiveError('INVALID_ARGUMENT', `registerModule: type must be a non-empty string, got ${String(type)}`);
  if (!codec || typeof codec.args !== 'function' || typeof codec.build !== 'function') {
    throw new ContrastiveError('INVALID_ARGUMENT', `registerModule: ${type}: codec must have args(m) and build(args, children) functions`);
  }
  CODECS.set(type, codec as unknown as ModuleCodec);
}

/** The architecture of `m` as JSON; a ContrastiveError names the first module type that has no codec. */
export function moduleSpec(m: Module, path = ''): ModuleSpec {
  if (!(m instanceof Module)) throw new ContrastiveError('INVALID_ARGUMENT', `moduleSpec: expected a Module, got ${m === null ? 'null' : typeof m}`);
  const codec = CODECS.get(m.type);
  if (!codec) {
    throw new ContrastiveError(
      'UNSUPPORTED',
      `moduleSpec: the module ${path || '(root)'} of type ${m.type} has no registered architecture; call registerModule('${m.type}', ...) to save it`,
    );
  }
  const spec: ModuleSpec = { type: m.type, args: codec.args(m) };
  if (codec.children) spec.children = codec.children(m).map((c, i) => moduleSpec(c, path ? `${path}.${i}` : String(i)));
  return spec;
}

/**
 * The floats of state a spec allocates, summed over the layers whose codec says (an edited file
 * could otherwise make a loader allocate gigabytes for a few bytes of tensors).
 */
export function specStateSize(spec: ModuleSpec, path = 'spec'): number {
  if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string') {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `buildModule: ${path} must be { type: string, args?, children? }, got ${JSON.stringify(spec)?.slice(0, 80)}`,
    );
  }
  const codec = CODECS.get(spec.type);
  if (!codec) throw new ContrastiveError('UNSUPPORTED', `buildModule: ${path} has type ${spec.type}, which is not registered (registerModule)`);
  let n = codec.stateSize ? codec.stateSize(spec.args ?? {}) : 0;
  if (!(n >= 0))
    throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ${path} (${spec.type}) has arguments that give no valid size: ${JSON.stringify(spec.args)}`);
  if (spec.children !== undefined && !Array.isArray(spec.children))
    throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ${path}.children must be an array`);
  (spec.children ?? []).forEach((c, i) => {
    n += specStateSize(c, `${path}.children[${i}]`);
  });
  return n;
}

/** Builds a fresh module (initial weights) from a spec; a bad spec gets a ContrastiveError naming where it is. */
export function buildModule(spec: ModuleSpec, path = 'spec'): Module {
  if (!spec || typeof spec !== 'object' || typeof spec.type !== 'string') {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `buildModule: ${path} must be { type: string, args?, children? }, got ${JSON.stringify(spec)?.slice(0, 80)}`,
    );
  }
  const codec = CODECS.get(spec.type);
  if (!codec) throw new ContrastiveError('UNSUPPORTED', `buildModule: ${path} has type ${spec.type}, which is not registered (registerModule)`);
  const args = spec.args ?? {};
  if (typeof args !== 'object' || Array.isArray(args)) throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ${path}.args must be an object`);
  if (spec.children !== undefined && !Array.isArray(spec.children))
    throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ${path}.children must be an array`);
  const built: Module[] = [];
  try {
    (spec.children ?? []).forEach((c, i) => built.push(buildModule(c, `${path}.children[${i}]`)));
    return codec.build(args, built);
  } catch (e) {
    for (const b of built) b.free();
    if (e instanceof ContrastiveError) throw e;
    throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ${path} (${spec.type}): ${(e as Error).message}`);
  }
}

const num = (a: Record<string, unknown>, k: string, fallback?: number): number => {
  const v = a[k] ?? fallback;
  if (typeof v !== 'number') throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: args.${k} must be a number, got ${JSON.stringify(v)}`);
  return v;
};
const pair = (a: Record<string, unknown>, k: string): [number, number] => {
  const v = a[k];
  if (!Array.isArray(v) || v.length !== 2 || v.some((x) => typeof x !== 'number')) {
    throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: args.${k} must be [number, number], got ${JSON.stringify(v)}`);
  }
  return [v[0], v[1]];
};
const bool = (a: Record<string, unknown>, k: string, fallback: boolean): boolean => {
  const v = a[k] ?? fallback;
  if (typeof v !== 'boolean') throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: args.${k} must be a boolean, got ${JSON.stringify(v)}`);
  return v;
};

registerModule<Sequential>('Sequential', { args: () => ({}), children: (m) => m.layers, build: (_a, c) => new Sequential(...c) });
registerModule<Linear>('Linear', {
  args: (m) => ({ inFeatures: m.inFeatures, outFeatures: m.outFeatures, bias: m.bias !== undefined }),
  build: (a) => new Linear(num(a, 'inFeatures'), num(a, 'outFeatures'), { bias: bool(a, 'bias', true) }),
  stateSize: (a) => num(a, 'inFeatures') * num(a, 'outFeatures') + num(a, 'outFeatures'),
});
registerModule<Conv2d>('Conv2d', {
  args: (m) => ({
    inChannels: m.inChannels,
    outChannels: m.outChannels,
    kernelSize: m.kernelSize,
    stride: m.stride,
    padding: m.padding,
    bias: m.bias !== undefined,
  }),
  build: (a) =>
    new Conv2d(num(a, 'inChannels'), num(a, 'outChannels'), pair(a, 'kernelSize'), {
      stride: pair(a, 'stride'),
      padding: pair(a, 'padding'),
      bias: bool(a, 'bias', true),
    }),
  stateSize: (a) => num(a, 'outChannels') * (num(a, 'inChannels') * pair(a, 'kernelSize')[0] * pair(a, 'kernelSize')[1] + 1),
});
for (const [type, Ctor] of [
  ['BatchNorm1d', BatchNorm1d],
  ['BatchNorm2d', BatchNorm2d],
] as const) {
  registerModule<BatchNorm1d | BatchNorm2d>(type, {
    args: (m) => ({ numFeatures: m.numFeatures, eps: m.eps, momentum: m.momentum, affine: m.weight !== undefined }),
    build: (a) => new Ctor(num(a, 'numFeatures'), { eps: num(a, 'eps', 1e-5), momentum: num(a, 'momentum', 0.1), affine: bool(a, 'affine', true) }),
    stateSize: (a) => 2 * num(a, 'numFeatures'),
  });
}
registerModule<ReLU>('ReLU', { args: () => ({}), build: () => new ReLU() });
registerModule<GELU>('GELU', {
  args: (m) => ({ approximate: m.approximate }),
  build: (a) => {
    const v = a.approximate ?? 'none';
    if (v !== 'none' && v !== 'tanh')
      throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: GELU args.approximate must be 'none' or 'tanh', got ${JSON.stringify(v)}`);
    return new GELU(v);
  },
});
registerModule<MaxPool2d>('MaxPool2d', {
  args: (m) => ({ kernelSize: m.kernelSize, stride: m.stride, padding: m.padding }),
  build: (a) => new MaxPool2d(pair(a, 'kernelSize'), { stride: pair(a, 'stride'), padding: pair(a, 'padding') }),
});
registerModule<AvgPool2d>('AvgPool2d', {
  args: (m) => ({ kernelSize: m.kernelSize, stride: m.stride, padding: m.padding, countIncludePad: m.countIncludePad }),
  build: (a) =>
    new AvgPool2d(pair(a, 'kernelSize'), { stride: pair(a, 'stride'), padding: pair(a, 'padding'), countIncludePad: bool(a, 'countIncludePad', true) }),
});
registerModule<GlobalAvgPool2d>('GlobalAvgPool2d', { args: () => ({}), build: () => new GlobalAvgPool2d() });
registerModule<Flatten>('Flatten', { args: () => ({}), build: () => new Flatten() });
registerModule<Unflatten>('Unflatten', {
  args: (m) => ({ shape: m.shape.slice() }),
  build: (a) => {
    if (!Array.isArray(a.shape))
      throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: Unflatten args.shape must be an array, got ${JSON.stringify(a.shape)}`);
    return new Unflatten(a.shape as number[]);
  },
});
registerModule<Dropout>('Dropout', { args: (m) => ({ p: m.p, seed: m.seed }), build: (a) => new Dropout(num(a, 'p', 0.5), num(a, 'seed', 0)) });
registerModule<L2Normalize>('L2Normalize', { args: () => ({}), build: () => new L2Normalize() });
