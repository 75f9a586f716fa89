// Residual networks: the Residual block (a module whose graph is not a chain), named
// containers, and ResNets in torchvision's layout and state_dict names, so a torchvision
// checkpoint saved as safetensors loads as it is.
//
// Kernels: the join is crates/contrastive-kernels/src/nn/residual.rs (y = a + b, ReLU fused);
// the rest are the Conv2d, BatchNorm2d, pool and Linear kernels.
import { ContrastiveError } from '../errors.js';
import { ReLU } from './activation.js';
import { BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv2d.js';
import { SplitMix32 } from '../rng.js';
import { forkSeed } from './init.js';
import { Linear } from './linear.js';
import { checkStatus, fmt, gradPool, Module, numel, runChild, Sequential, Stateless, type StateDict, type WTensor } from './module.js';
import { GlobalAvgPool2d, MaxPool2d } from './pool.js';
import { Flatten } from './reshape.js';
import { registerModule } from './spec.js';

/** A named child: [name, module], as the entries of torch's OrderedDict. */
export type Named = [string, Module];

function checkNames(entries: Named[], op: string): void {
  if (!Array.isArray(entries)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: expected a list of [name, module] pairs`);
  const seen = new Set<string>();
  for (const e of entries) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !(e[1] instanceof Module)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: every entry must be [name, module], got ${String(e)}`);
    }
    const [name] = e;
    if (!/^[A-Za-z0-9_]+$/.test(name))
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: child name ${JSON.stringify(name)} must be letters, digits or _ (no dots)`);
    if (seen.has(name)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: child name ${JSON.stringify(name)} appears twice`);
    seen.add(name);
  }
}

/** nn.Identity: returns its input (the output aliases it). */
export class Identity extends Stateless {
  constructor() {
    super('Identity');
  }
  _forward(x: WTensor, training: boolean): WTensor {
    this.lastIn = x;
    this.lastTraining = training;
    this.out = x.shape;
    return x;
  }
  _backward(dy: WTensor, needInput = true): WTensor | undefined {
    return needInput ? { ptr: dy.ptr, shape: this.lastIn!.shape } : undefined;
  }
}

/**
 * Sequential with named children (torch's `nn.Sequential(OrderedDict(...))`, and the top level
 * of torchvision's ResNet): state_dict names are `<child>.<tensor>` ('conv1.weight',
 * 'layer1.0.bn1.running_mean').
 */
export class NamedSequential extends Sequential {
  /** @internal */
  names: string[];
  constructor(entries: Named[]) {
    checkNames(entries, 'NamedSequential');
    super(...entries.map(([, m]) => m));
    this.names = entries.map(([n]) => n);
    // its own type in saved architectures (Sequential's would rebuild index names)
    (this as { type: string }).type = 'NamedSequential';
  }
  _children(): [string, Module][] {
    return this.layers.map((m, i) => [this.names[i], m]);
  }
  /** The child called `name`. */
  get(name: string): Module {
    const i = this.names.indexOf(name);
    if (i < 0) throw new ContrastiveError('INVALID_ARGUMENT', `NamedSequential.get: no child ${JSON.stringify(name)} (children: ${this.names.join(', ')})`);
    return this.layers[i];
  }
  /**
   * Puts `module` in place of the child `name` (e.g. a ResNet's 'fc' by a projection head or an
   * Identity) and returns the old child, which is not freed: free it when done with it.
   */
  replace(name: string, module: Module): Module {
    if (!(module instanceof Module)) throw new ContrastiveError('INVALID_ARGUMENT', 'NamedSequential.replace: module must be a Module');
    const old = this.get(name);
    this.layers[this.names.indexOf(name)] = module;
    return old;
  }
}

export interface ResidualOptions {
  /** Apply ReLU after the sum (default true), as torchvision's blocks do. */
  relu?: boolean;
}

/**
 * A residual block: y = relu(branch(x) + shortcut(x)), with `branch` a chain of named modules
 * and `shortcut` one named module (a projection such as 1x1 conv + BN) or none (the identity).
 * The children are named as given, so `new Residual([['conv1', c1], ['bn1', b1], ...],
 * ['downsample', proj])` has torchvision's names ('conv1.weight', 'downsample.0.weight').
 *
 * Backward sends the join's gradient into both paths and adds what they return. It is the one
 * non-chain module you need for ResNets; write your own graph modules the same way
 * (docs/nn.md, "Writing a module that is not a chain").
 */
export class Residual extends Module {
  readonly branch: Named[];
  readonly shortcut: Named | undefined;
  readonly relu: boolean;
  private y = this.buf();
  private out: number[] | undefined;
  constructor(branch: Named[], shortcut?: Named, opts: ResidualOptions = {}) {
    super('Residual');
    checkNames(shortcut ? [...branch, shortcut] : branch, 'Residual');
    this.branch = branch.slice();
    this.shortcut = shortcut;
    this.relu = opts.relu ?? true;
  }
  _children(): [string, Module][] {
    return this.shortcut ? [...this.branch, this.shortcut] : this.branch.slice();
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const op = 'Residual.forward';
    let t = x;
    for (const [, m] of this.branch) t = runChild(m, t, training);
    const s = this.shortcut ? runChild(this.shortcut[1], x, training) : x;
    if (fmt(t.shape) !== fmt(s.shape)) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `${op}: the branch gives ${fmt(t.shape)} but the ${this.shortcut ? `shortcut ${this.shortcut[0]}` : 'identity shortcut'} gives ${fmt(s.shape)}; add a projection shortcut`,
      );
    }
    const len = numel(t.shape);
    const y = this.y.ensure(len, op);
    checkStatus(op, this.k.ct_residual_add(t.ptr, s.ptr, len, this.relu ? 1 : 0, y));
    this.lastIn = x;
    this.lastTraining = training;
    this.out = t.shape.slice();
    return { ptr: y, shape: this.out };
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const op = 'Residual.backward';
    const len = numel(this.out!);
    const pool = gradPool(this.k);
    let g = dy;
    if (this.relu) {
      // relu'(s) = [s > 0] = [y > 0]: the saved output stands in for the sum
      const gp = this.gradOut(len, op);
      checkStatus(op, this.k.ct_activation_backward(0, this.y.ptr, dy.ptr, len, gp));
      g = { ptr: gp, shape: this.out! };
    }
    const B = this.branch.map(([, m]) => m);
    // as Sequential: without an input gradient to return, layers in front of the first with
    // trainable parameters are not run
    let first = 0;
    if (!needInput) {
      first = B.findIndex((m) => m._hasParams());
      if (first < 0) first = B.length;
    }
    // the branch's inner gradients go back to the pool once consumed; g is kept for the shortcut
    let gb: WTensor | undefined = g;
    for (let i = B.length - 1; i >= first; i--) {
      const gin: WTensor = gb!;
      gb = B[i]._backward(gin, i > first || needInput);
      if (gin.ptr !== g.ptr && gin.ptr !== gb?.ptr) pool.release(gin.ptr);
    }
    const sc = this.shortcut?.[1];
    let gs: WTensor | undefined = needInput ? g : undefined;
    if (sc) gs = needInput || sc._hasParams() ? sc._backward(g, needInput) : undefined;
    const done = (keep: number[], t: WTensor | undefined) => {
      if (t && !keep.includes(t.ptr)) pool.release(t.ptr);
    };
    if (!needInput) {
      done([dy.ptr], gs);
      done([dy.ptr, gs?.ptr ?? 0], g);
      return undefined;
    }
    const x = this.lastIn!;
    const dx = this.gradOut(numel(x.shape), op);
    checkStatus(op, this.k.ct_residual_add(gb!.ptr, gs!.ptr, numel(x.shape), 0, dx));
    done([dy.ptr, g.ptr], gb);
    done([dy.ptr, g.ptr, gb!.ptr], gs);
    done([dy.ptr], g);
    return { ptr: dx, shape: x.shape };
  }
  outShape(): number[] | undefined {
    return this.out;
  }
}

/** torchvision's kaiming_normal_(mode='fan_out', nonlinearity='relu'): N(0, 2 / (cout kh kw)), our generator. */
function kaimingConv(conv: Conv2d, seed: number): Conv2d {
  const [cout, , kh, kw] = conv.weight.shape;
  const std = Math.sqrt(2 / (cout * kh * kw));
  const rng = new SplitMix32(seed);
  const w = new Float32Array(conv.weight.size);
  for (let i = 0; i < w.length; i += 2) {
    // Box-Muller: two normals from two uniforms
    const u = 1 - rng.next();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const a = 2 * Math.PI * rng.next();
    w[i] = r * Math.cos(a);
    if (i + 1 < w.length) w[i + 1] = r * Math.sin(a);
  }
  conv.weight.set(w);
  return conv;
}

const conv = (cin: number, cout: number, k: number, stride: number, seed: number) =>
  kaimingConv(new Conv2d(cin, cout, k, { stride, padding: (k - 1) >> 1, bias: false }), seed);

function projection(cin: number, cout: number, stride: number, seed: number): Named | undefined {
  if (stride === 1 && cin === cout) return undefined;
  return ['downsample', new Sequential(conv(cin, cout, 1, stride, seed), new BatchNorm2d(cout))];
}

export interface BlockOptions {
  stride?: number;
  /** Seed of the conv weights' init (default 0). */
  seed?: number;
  /** Start the last BN's gamma at 0, so the block starts as the identity (Goyal et al. 2017; torchvision's zero_init_residual). */
  zeroInitResidual?: boolean;
}

/**
 * torchvision's BasicBlock (He et al. 2016): conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus
 * the shortcut (the identity, or conv1x1(stride) - BN named 'downsample' when the shape
 * changes), then ReLU. Output channels = `planes`.
 */
export function basicBlock(inPlanes: number, planes: number, opts: BlockOptions = {}): Residual {
  const s = opts.stride ?? 1;
  const seed = opts.seed ?? 0;
  const bn2 = new BatchNorm2d(planes);
  if (opts.zeroInitResidual) bn2.weight!.set(new Float32Array(planes));
  return new Residual(
    [
      ['conv1', conv(inPlanes, planes, 3, s, forkSeed(seed, 0))],
      ['bn1', new BatchNorm2d(planes)],
      ['relu', new ReLU()],
      ['conv2', conv(planes, planes, 3, 1, forkSeed(seed, 1))],
      ['bn2', bn2],
    ],
    projection(inPlanes, planes, s, forkSeed(seed, 2)),
  );
}

/**
 * torchvision's Bottleneck (ResNet v1.5: the stride on the 3x3 conv): conv1x1 - BN - ReLU -
 * conv3x3(stride) - BN - ReLU - conv1x1 to 4 planes - BN, plus the shortcut, then ReLU.
 * Output channels = 4 `planes`.
 */
export function bottleneck(inPlanes: number, planes: number, opts: BlockOptions = {}): Residual {
  const s = opts.stride ?? 1;
  const seed = opts.seed ?? 0;
  const out = planes * 4;
  const bn3 = new BatchNorm2d(out);
  if (opts.zeroInitResidual) bn3.weight!.set(new Float32Array(out));
  return new Residual(
    [
      ['conv1', conv(inPlanes, planes, 1, 1, forkSeed(seed, 0))],
      ['bn1', new BatchNorm2d(planes)],
      ['relu', new ReLU()],
      ['conv2', conv(planes, planes, 3, s, forkSeed(seed, 1))],
      ['bn2', new BatchNorm2d(planes)],
      ['relu2', new ReLU()],
      ['conv3', conv(planes, out, 1, 1, forkSeed(seed, 2))],
      ['bn3', bn3],
    ],
    projection(inPlanes, out, s, forkSeed(seed, 3)),
  );
}

export interface ResNetOptions {
  /** 'basic' (ResNet-18/34) or 'bottleneck' (ResNet-50 and deeper). */
  block?: 'basic' | 'bottleneck';
  /** Blocks per stage (default [2, 2, 2, 2], ResNet-18). */
  layers?: number[];
  /** Planes of each stage (default [64, 128, 256, 512]); the first stage has stride 1, the others 2. */
  widths?: number[];
  /**
   * 'imagenet': conv 7x7 stride 2 + max pool 3x3 stride 2 (torchvision, 224x224 images);
   * 'cifar': conv 3x3 stride 1, no max pool (SimCLR / solo-learn for 32x32);
   * 'small': conv 3x3 stride 2, no max pool (64x64 images).
   * Where there is no max pool the 'maxpool' child is an Identity, so the names stay torchvision's.
   */
  stem?: 'imagenet' | 'cifar' | 'small';
  /** Channels of the input images (default 3). */
  inChannels?: number;
  /** Outputs of the final Linear 'fc'; 0 = no classifier: 'fc' is an Identity and the model gives the pooled features. */
  numClasses?: number;
  /** A module to use as 'fc' instead (a projection head such as simclrHead(512)); overrides numClasses. */
  head?: Module;
  /** [C, H, W]: also accept flattened rows [N, C H W] (what the Trainer and the CLI feed), viewed as [N, C, H, W]. */
  inputShape?: [number, number, number];
  zeroInitResidual?: boolean;
  seed?: number;
}

/**
 * A ResNet (He et al. 2016) in torchvision's layout: children conv1, bn1, relu, maxpool,
 * layer1..layer4 (Sequentials of blocks '0', '1', ...), avgpool (AdaptiveAvgPool2d(1)), flatten
 * and fc, so state_dict names are torchvision's ('layer1.0.bn1.running_mean', 'fc.weight').
 */
export class ResNet extends NamedSequential {
  /** Channels of the pooled features (what 'fc' receives): 512 for ResNet-18/34, 2048 for ResNet-50. */
  readonly featureDim: number;
  readonly inputShape: [number, number, number] | undefined;
  /** `built` (@internal): the children, already made (a saved architecture being rebuilt). */
  constructor(opts: ResNetOptions = {}, built?: { entries: Named[]; featureDim: number }) {
    if (built) {
      super(built.entries);
      (this as { type: string }).type = 'ResNet';
      this.featureDim = built.featureDim;
      this.inputShape = opts.inputShape;
      return;
    }
    const op = 'ResNet';
    const kind = opts.block ?? 'basic';
    if (kind !== 'basic' && kind !== 'bottleneck')
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: block must be 'basic' or 'bottleneck', got ${String(kind)}`);
    const layers = opts.layers ?? [2, 2, 2, 2];
    const widths = opts.widths ?? [64, 128, 256, 512].slice(0, layers.length);
    const posInts = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((d) => Number.isInteger(d) && d > 0);
    if (!posInts(layers)) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: layers must be positive integers, got ${JSON.stringify(opts.layers)}`);
    if (!posInts(widths) || widths.length !== layers.length) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: widths must be ${layers.length} positive integers (one per stage), got ${JSON.stringify(opts.widths)}`,
      );
    }
    const stem = opts.stem ?? 'imagenet';
    if (!['imagenet', 'cifar', 'small'].includes(stem))
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: stem must be 'imagenet', 'cifar' or 'small', got ${String(stem)}`);
    const inC = opts.inChannels ?? opts.inputShape?.[0] ?? 3;
    if (!Number.isInteger(inC) || inC < 1) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: inChannels must be a positive integer, got ${String(inC)}`);
    if (opts.inputShape !== undefined && (!posInts(opts.inputShape) || opts.inputShape.length !== 3 || opts.inputShape[0] !== inC)) {
      throw new ContrastiveError(
        'INVALID_ARGUMENT',
        `${op}: inputShape must be [C, H, W] with C = inChannels (${inC}), got ${JSON.stringify(opts.inputShape)}`,
      );
    }
    const numClasses = opts.numClasses ?? (stem === 'imagenet' ? 1000 : 0);
    if (!Number.isInteger(numClasses) || numClasses < 0)
      throw new ContrastiveError('INVALID_ARGUMENT', `${op}: numClasses must be an integer >= 0, got ${String(numClasses)}`);
    const seed = opts.seed ?? 0;
    const make = kind === 'basic' ? basicBlock : bottleneck;
    const expansion = kind === 'basic' ? 1 : 4;
    const w0 = widths[0];
    const entries: Named[] =
      stem === 'imagenet'
        ? [
            ['conv1', conv(inC, w0, 7, 2, forkSeed(seed, 0))],
            ['bn1', new BatchNorm2d(w0)],
            ['relu', new ReLU()],
            ['maxpool', new MaxPool2d(3, { stride: 2, padding: 1 })],
          ]
        : [
            ['conv1', conv(inC, w0, 3, stem === 'cifar' ? 1 : 2, forkSeed(seed, 0))],
            ['bn1', new BatchNorm2d(w0)],
            ['relu', new ReLU()],
            ['maxpool', new Identity()],
          ];
    let inPlanes = w0;
    layers.forEach((count, stage) => {
      const blocks: Module[] = [];
      for (let b = 0; b < count; b++) {
        blocks.push(
          make(inPlanes, widths[stage], {
            stride: b === 0 && stage > 0 ? 2 : 1,
            seed: forkSeed(seed, 1000 * (stage + 1) + b),
            zeroInitResidual: opts.zeroInitResidual,
          }),
        );
        inPlanes = widths[stage] * expansion;
      }
      entries.push([`layer${stage + 1}`, new Sequential(...blocks)]);
    });
    entries.push(['avgpool', new GlobalAvgPool2d()], ['flatten', new Flatten()]);
    const fc = opts.head ?? (numClasses > 0 ? new Linear(inPlanes, numClasses, { seed: forkSeed(seed, 9999) }) : new Identity());
    entries.push(['fc', fc]);
    super(entries);
    (this as { type: string }).type = 'ResNet';
    this.featureDim = inPlanes;
    this.inputShape = opts.inputShape;
  }
  _forward(x: WTensor, training: boolean): WTensor {
    const s = this.inputShape;
    if (s && x.shape.length === 2) {
      if (x.shape[1] !== s[0] * s[1] * s[2]) {
        throw new ContrastiveError('SHAPE_MISMATCH', `ResNet.forward: rows have ${x.shape[1]} values, inputShape ${fmt(s)} needs ${s[0] * s[1] * s[2]}`);
      }
      const y = super._forward({ ptr: x.ptr, shape: [x.shape[0], ...s] }, training);
      this.lastIn = x;
      return y;
    }
    if (x.shape.length !== 4 || x.shape[1] !== (this.get('conv1') as Conv2d).inChannels) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `ResNet.forward: input has shape ${fmt(x.shape)}, expected [N, ${(this.get('conv1') as Conv2d).inChannels}, H, W]${s ? ` or [N, ${s[0] * s[1] * s[2]}]` : ''}`,
      );
    }
    return super._forward(x, training);
  }
  _backward(dy: WTensor, needInput: boolean): WTensor | undefined {
    const g = super._backward(dy, needInput);
    return g && this.lastIn && this.lastIn.shape.length === 2 ? { ptr: g.ptr, shape: this.lastIn.shape } : g;
  }
}

type PresetOptions = Omit<ResNetOptions, 'block' | 'layers' | 'stem'>;

/** ResNet-18 as torchvision.models.resnet18(): BasicBlocks [2, 2, 2, 2], 7x7 stem, fc to 1000 classes (numClasses: 0 = 512-d features). */
export const resnet18 = (opts: PresetOptions = {}) => new ResNet({ ...opts, block: 'basic', layers: [2, 2, 2, 2], stem: 'imagenet' });
/** ResNet-34 as torchvision.models.resnet34(): BasicBlocks [3, 4, 6, 3]. */
export const resnet34 = (opts: PresetOptions = {}) => new ResNet({ ...opts, block: 'basic', layers: [3, 4, 6, 3], stem: 'imagenet' });
/** ResNet-50 as torchvision.models.resnet50(): Bottlenecks [3, 4, 6, 3], 2048-d features. */
export const resnet50 = (opts: PresetOptions = {}) => new ResNet({ ...opts, block: 'bottleneck', layers: [3, 4, 6, 3], stem: 'imagenet' });
/**
 * ResNet-18, CIFAR variant (SimCLR appendix B.9, solo-learn): 3x3 stride-1 stem, no max pool,
 * for 32x32 images; 'fc' is an Identity unless numClasses or head is given (512-d features).
 */
export const resnet18Cifar = (opts: PresetOptions = {}) => new ResNet({ ...opts, block: 'basic', layers: [2, 2, 2, 2], stem: 'cifar' });
/**
 * A small ResNet for 64x64 images: 3x3 stride-2 stem (64 -> 32), one BasicBlock per stage,
 * widths 32-64-128-256 (a quarter of ResNet-18's compute at this size class); 256-d features.
 */
export const resnetSmall = (opts: PresetOptions = {}) =>
  new ResNet({ widths: [32, 64, 128, 256], ...opts, block: 'basic', layers: [1, 1, 1, 1], stem: 'small' });

/**
 * A torchvision state_dict prepared for one of these models: drops the tensors whose names
 * start with one of `drop` (e.g. ['fc.'] to load a pretrained backbone under a new head) and
 * keeps the rest, num_batches_tracked included (int64 in torch, read as numbers). Pass the
 * result to `model.loadStateDict`, which checks every name and shape.
 */
export function withoutKeys(sd: StateDict, drop: string[]): StateDict {
  const out: StateDict = {};
  for (const [k, v] of Object.entries(sd)) if (!drop.some((d) => k.startsWith(d))) out[k] = v;
  return out;
}

// Saved architectures (saveModel / loadModel, the CLI's encoder files): the containers keep
// their children's names, so a rebuilt model has the same state_dict names.
const names = (a: Record<string, unknown>, k: string, n: number): string[] => {
  const v = a[k];
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== 'string')) {
    throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: args.${k} must be ${n} child names, got ${JSON.stringify(v)}`);
  }
  return v as string[];
};
const zip = (ns: string[], ms: Module[]): Named[] => ns.map((n, i) => [n, ms[i]]);
registerModule<Identity>('Identity', { args: () => ({}), build: () => new Identity() });
registerModule<NamedSequential>('NamedSequential', {
  args: (m) => ({ names: m.names.slice() }),
  children: (m) => m.layers,
  build: (a, c) => new NamedSequential(zip(names(a, 'names', c.length), c)),
});
registerModule<ResNet>('ResNet', {
  args: (m) => ({ names: m.names.slice(), featureDim: m.featureDim, ...(m.inputShape ? { inputShape: m.inputShape.slice() } : {}) }),
  children: (m) => m.layers,
  build: (a, c) => {
    const s = a.inputShape as [number, number, number] | undefined;
    if (s !== undefined && (!Array.isArray(s) || s.length !== 3 || s.some((d) => !Number.isInteger(d) || d < 1))) {
      throw new ContrastiveError('INVALID_ARGUMENT', `buildModule: ResNet args.inputShape must be [C, H, W], got ${JSON.stringify(s)}`);
    }
    return new ResNet({ inputShape: s }, { entries: zip(names(a, 'names', c.length), c), featureDim: Number(a.featureDim) });
  },
});
registerModule<Residual>('Residual', {
  args: (m) => ({ branch: m.branch.map(([n]) => n), shortcut: m.shortcut?.[0] ?? null, relu: m.relu }),
  children: (m) => [...m.branch.map(([, c]) => c), ...(m.shortcut ? [m.shortcut[1]] : [])],
  build: (a, c) => {
    const sc = a.shortcut === null || a.shortcut === undefined ? undefined : String(a.shortcut);
    const nb = c.length - (sc ? 1 : 0);
    return new Residual(zip(names(a, 'branch', nb), c.slice(0, nb)), sc ? [sc, c[nb]] : undefined, { relu: a.relu !== false });
  },
});
