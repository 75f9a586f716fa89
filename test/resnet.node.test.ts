// ResNets against torchvision (fixtures from test/reference/resnet/gen_resnet.py, PyTorch 1.13
// float64), and the fine-tuning controls: freezing, per-module eval mode, parameter groups.
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AdamW,
  BatchNorm2d,
  Conv2d,
  init,
  Linear,
  loadModel,
  loadSafetensors,
  saveModel,
  ntXent,
  ReLU,
  Residual,
  ResNet,
  resnet18,
  resnet18Cifar,
  resnet34,
  resnet50,
  resnetSmall,
  SGD,
  simclrHead,
  withoutKeys,
  type StateDict,
  type Tensor,
} from '../packages/contrastive/src/index.node.js';
import { expectError } from './util/errors.js';
import { gradPool } from '../packages/contrastive/src/nn/module.js';
import { getRuntime } from '../packages/contrastive/src/runtime/init.js';

beforeAll(() => init());
afterEach(() => vi.restoreAllMocks());

const dir = new URL('./reference/resnet/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8'));
const layouts = JSON.parse(readFileSync(new URL('layouts.json', dir), 'utf8'));

interface Fixture {
  c: any;
  sd: StateDict;
  all: StateDict;
}
function fixture(name: string): Fixture {
  const c = manifest.cases.find((k: any) => k.name === name);
  const all = loadSafetensors(new Uint8Array(readFileSync(new URL(`${name}.safetensors`, dir))));
  const sd: StateDict = {};
  for (const [k, v] of Object.entries(all)) if (!/^(input|out|grad|after)\./.test(k)) sd[k] = v;
  return { c, sd, all };
}
const build = (c: any) =>
  new ResNet({
    block: c.block === 'BasicBlock' ? 'basic' : 'bottleneck',
    layers: c.layers,
    widths: c.widths,
    stem: c.stem,
    inChannels: c.input[1],
    numClasses: c.numClasses,
  });
const tensor = (t: { data: Float32Array; shape: number[] }): Tensor => ({ data: Float32Array.from(t.data), shape: t.shape.slice() });

/**
 * Tolerance of the float32 pipeline against the float64 truth: |got - ref| <= 2e-4 max|ref| + 2e-3 |ref|
 * for outputs, input gradients and parameter gradients (BatchNorm on batches of 2-3 images
 * amplifies rounding: the worst measured error, a BatchNorm gamma gradient of the bottleneck
 * case, is 8e-5 at scale 0.3, a third of this; 10x tighter fails).
 */
function close(name: string, got: ArrayLike<number>, ref: ArrayLike<number>): string[] {
  if (got.length !== ref.length) return [`${name}: ${got.length} values, expected ${ref.length}`];
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) {
    const err = Math.abs(got[i] - ref[i]);
    if (!(err <= 2e-4 * scale + 2e-3 * Math.abs(ref[i]))) return [`${name}[${i}]: got ${got[i]}, expected ${ref[i]} (scale ${scale})`];
  }
  return [];
}

describe("ResNet layouts are torchvision's", () => {
  for (const [arch, make] of [
    ['resnet18', resnet18],
    ['resnet34', resnet34],
    ['resnet50', resnet50],
  ] as const) {
    it(`${arch}: state_dict keys, order, shapes and named_parameters() match torchvision.models.${arch}()`, () => {
      const net = make();
      try {
        const sd = net.stateDict();
        const ref = layouts[arch];
        expect(Object.keys(sd)).toEqual(ref.state_dict.map((e: any) => e[0]));
        for (const [k, shape, dtype] of ref.state_dict) {
          expect(sd[k].shape, k).toEqual(shape);
          expect(sd[k].dtype ?? 'F32', k).toBe(dtype === 'int64' ? 'I64' : 'F32');
        }
        expect(net.namedParameters().map(([n]) => n)).toEqual(ref.parameters);
        // a torchvision checkpoint (here: our own weights under its names) round-trips strictly
        if (arch === 'resnet18') net.loadStateDict(sd);
      } finally {
        net.free();
      }
    });
  }

  it('resnet18 forward on a 64x64 batch gives [N, 1000]; numClasses 0 gives the 512-d features', () => {
    const x = { data: new Float32Array(2 * 3 * 64 * 64).map((_, i) => Math.sin(i)), shape: [2, 3, 64, 64] };
    const net = resnet18({ seed: 1 });
    const feats = resnet18({ numClasses: 0, seed: 1 });
    try {
      expect(net.forwardTensor(x).shape).toEqual([2, 1000]);
      const f = feats.forwardTensor(x);
      expect(f.shape).toEqual([2, 512]);
      expect(feats.featureDim).toBe(512);
      // the same weights but fc: the features are what fc receives
      expect(f.data.every((v) => v >= 0)).toBe(true);
    } finally {
      net.free();
      feats.free();
    }
  });
});

describe('ResNet parity with torchvision (float64 truth, float32 end to end)', () => {
  for (const name of manifest.cases.map((c: any) => c.name) as string[]) {
    it(`${name}: train-mode output, input and every parameter gradient, running statistics, then eval output`, () => {
      const { c, sd, all } = fixture(name);
      const net = build(c);
      try {
        net.loadStateDict(sd);
        const problems: string[] = [];
        const y = net.forwardTensor(tensor(all['input.x']), { training: true });
        problems.push(...close('y', y.data, all['out.y'].data));
        const dx = net.backwardTensor(tensor(all['input.dy']));
        problems.push(...close('grad.x', dx.data, all['grad.x'].data));
        for (const [n, p] of net.namedParameters()) problems.push(...close(`grad.${n}`, p.grad(), all[`grad.${n}`].data));
        const after = net.stateDict();
        for (const k of Object.keys(all).filter((k) => k.startsWith('after.'))) {
          const key = k.slice(6);
          if (key.endsWith('num_batches_tracked')) expect(after[key].data[0], key).toBe(all[k].data[0]);
          else problems.push(...close(k, after[key].data, all[k].data));
        }
        const ye = net.forwardTensor(tensor(all['input.x']));
        problems.push(...close('y_eval', ye.data, all['out.y_eval'].data));
        expect(problems).toEqual([]);
      } finally {
        net.free();
      }
    });
  }

  it('a checkpoint without num_batches_tracked loads (the counters stay as they were)', () => {
    const { c, sd } = fixture('basic_cifar');
    const net = build(c);
    try {
      const trimmed = Object.fromEntries(Object.entries(sd).filter(([k]) => !k.endsWith('num_batches_tracked')));
      net.loadStateDict(trimmed);
      expect(net.stateDict()['bn1.num_batches_tracked'].data[0]).toBe(0);
      expect(Array.from(net.stateDict()['layer1.0.conv1.weight'].data)).toEqual(Array.from(sd['layer1.0.conv1.weight'].data));
    } finally {
      net.free();
    }
  });

  it("a pretrained backbone loads under a new head: strict false reports the head's tensors as missing and the old fc as unexpected", () => {
    const { c, sd } = fixture('basic_cifar');
    const net = new ResNet({ layers: c.layers, widths: c.widths, stem: c.stem, head: simclrHead(c.widths[3], { out: 4 }) });
    try {
      expectError(() => net.loadStateDict(sd), 'SHAPE_MISMATCH', 'fc.0.weight');
      net.loadStateDict(withoutKeys(sd, ['fc.']), { strict: false });
      // strict: false says what it skipped
      const r = net.loadStateDict(sd, { strict: false });
      r.unexpected.sort();
      expect(r).toEqual({
        missing: ['fc.0.weight', 'fc.0.bias', 'fc.1.weight', 'fc.1.bias', 'fc.1.running_mean', 'fc.1.running_var', 'fc.3.weight', 'fc.3.bias'],
        unexpected: ['fc.bias', 'fc.weight'],
      });
      expect(Array.from(net.stateDict()['layer4.0.downsample.0.weight'].data)).toEqual(Array.from(sd['layer4.0.downsample.0.weight'].data));
    } finally {
      net.free();
    }
  });
});

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}
const tiny = (seed = 0) => new ResNet({ layers: [1, 1], widths: [4, 8], stem: 'cifar', numClasses: 3, seed });
const batch = (): Tensor => ({ data: rand(4 * 3 * 8 * 8, 5), shape: [4, 3, 8, 8] });
const dyOf = () => ({ data: rand(4 * 3, 6), shape: [4, 3] });
const SENTINEL = 0.125;

describe('saved architectures', () => {
  it('saveModel / loadModel rebuild a ResNet with a projection head: same names, same outputs', () => {
    const net = new ResNet({ layers: [1, 1], widths: [4, 8], stem: 'small', head: simclrHead(8, { out: 4 }), inputShape: [3, 8, 8], seed: 2 });
    const back = loadModel(saveModel(net));
    try {
      expect(Object.keys(back.stateDict())).toEqual(Object.keys(net.stateDict()));
      const x = { data: rand(2 * 192, 3), rows: 2, cols: 192 };
      expect(Array.from(back.forward(x).data)).toEqual(Array.from(net.forward(x).data));
    } finally {
      net.free();
      back.free();
    }
  });
});

describe('freezing', () => {
  it('frozen parameters never get a gradient: the kernels leave a sentinel in their grad, and layers in front of the first trainable one are not run backward', () => {
    const net = tiny();
    try {
      const frozen = net.freeze(['conv1', 'bn1', 'layer1']);
      expect(frozen).toEqual([
        'conv1.weight',
        'bn1.weight',
        'bn1.bias',
        'layer1.0.conv1.weight',
        'layer1.0.bn1.weight',
        'layer1.0.bn1.bias',
        'layer1.0.conv2.weight',
        'layer1.0.bn2.weight',
        'layer1.0.bn2.bias',
      ]);
      for (const [n, p] of net.namedParameters()) if (frozen.includes(n)) p.setGrad(new Float32Array(p.size).fill(SENTINEL));
      const spies = net
        .namedModules()
        .filter(([n]) => /^(conv1|bn1|relu|layer1)/.test(n))
        .map(([, m]) => vi.spyOn(m, '_backward'));
      const trained = net
        .namedModules()
        .filter(([n]) => /^layer2\.0\.conv1$/.test(n))
        .map(([, m]) => vi.spyOn(m, '_backward'));
      net.forwardTensor(batch(), { training: true });
      net.backwardTensor(dyOf(), { inputGrad: false });
      for (const s of spies) expect(s).not.toHaveBeenCalled();
      expect(trained[0]).toHaveBeenCalledTimes(1);
      for (const [n, p] of net.namedParameters()) {
        if (frozen.includes(n))
          expect(
            p.grad().every((v) => v === SENTINEL),
            n,
          ).toBe(true);
        else
          expect(
            p.grad().some((v) => v !== 0),
            n,
          ).toBe(true);
      }
    } finally {
      net.free();
    }
  });

  it('a frozen middle stage still passes the gradient through: the layers before it get bit-identical gradients, its own grads stay untouched', () => {
    const a = tiny(3);
    const b = tiny(3);
    try {
      b.freeze('layer1');
      for (const [n, p] of b.namedParameters()) if (n.startsWith('layer1.')) p.setGrad(new Float32Array(p.size).fill(SENTINEL));
      for (const net of [a, b]) {
        net.forwardTensor(batch(), { training: true });
        net.backwardTensor(dyOf(), { inputGrad: false });
      }
      const ga = new Map(a.namedParameters());
      for (const [n, p] of b.namedParameters()) {
        if (n.startsWith('layer1.'))
          expect(
            p.grad().every((v) => v === SENTINEL),
            n,
          ).toBe(true);
        else expect(Array.from(p.grad()), n).toEqual(Array.from(ga.get(n)!.grad()));
      }
    } finally {
      a.free();
      b.free();
    }
  });

  it('a frozen Linear weight with a trainable bias: dx and the bias gradient as unfrozen, no weight gradient', () => {
    const a = new Linear(5, 3, { seed: 2 });
    const b = new Linear(5, 3, { seed: 2 });
    try {
      b.weight.requiresGrad = false;
      const x = { data: rand(10, 1), rows: 2, cols: 5 };
      const g = { data: rand(6, 2), rows: 2, cols: 3 };
      a.forward(x);
      b.forward(x);
      const da = a.backward(g);
      const db = b.backward(g);
      for (let i = 0; i < da.data.length; i++) expect(db.data[i]).toBeCloseTo(da.data[i], 6);
      for (let i = 0; i < 3; i++) expect(b.bias!.grad()[i]).toBeCloseTo(a.bias!.grad()[i], 6);
      expect(b.weight.grad().every((v) => v === 0)).toBe(true);
    } finally {
      a.free();
      b.free();
    }
  });

  it("optimizers skip frozen parameters: AdamW's decoupled weight decay does not shrink them", () => {
    const net = tiny();
    try {
      net.freeze('layer1');
      const before = net.stateDict();
      const opt = new AdamW(net.namedParameters(), { lr: 0.1, weightDecay: 0.5 });
      net.forwardTensor(batch(), { training: true });
      net.backwardTensor(dyOf(), { inputGrad: false });
      opt.step();
      const after = net.stateDict();
      for (const [n] of net.namedParameters()) {
        if (n.startsWith('layer1.')) expect(Array.from(after[n].data), n).toEqual(Array.from(before[n].data));
        else expect(Array.from(after[n].data), n).not.toEqual(Array.from(before[n].data));
      }
      opt.free();
    } finally {
      net.free();
    }
  });

  it('a prefix that matches no parameter is an error (a typo must not silently train everything)', () => {
    const net = tiny();
    try {
      expectError(() => net.freeze('layer9'), 'INVALID_ARGUMENT', 'layer9');
      expectError(() => net.freeze('layer'), 'INVALID_ARGUMENT', 'layer');
      expect(net.freeze('layer1.0.bn1').length).toBe(2);
      expect(net.unfreeze().length).toBe(net.namedParameters().length);
      expect(net.trainableParameters().length).toBe(net.namedParameters().length);
    } finally {
      net.free();
    }
  });
});

describe('per-module eval mode', () => {
  it('a submodule pinned to eval() keeps its BatchNorm running statistics and counters while the rest trains', () => {
    const net = tiny();
    try {
      net.submodule('layer1').eval();
      const before = net.stateDict();
      net.forwardTensor(batch(), { training: true });
      net.backwardTensor(dyOf(), { inputGrad: false });
      const after = net.stateDict();
      for (const k of Object.keys(before).filter((k) => /running|num_batches/.test(k))) {
        if (k.startsWith('layer1.')) expect(Array.from(after[k].data), k).toEqual(Array.from(before[k].data));
        else expect(Array.from(after[k].data), k).not.toEqual(Array.from(before[k].data));
      }
      // train() undoes it
      net.train();
      net.forwardTensor(batch(), { training: true });
      expect(net.stateDict()['layer1.0.bn1.num_batches_tracked'].data[0]).toBe(1);
    } finally {
      net.free();
    }
  });

  it('an eval-pinned BatchNorm backpropagates as eval mode: its gradients match a model run wholly in eval mode', () => {
    const a = tiny(4);
    const b = tiny(4);
    try {
      b.eval();
      a.forwardTensor(batch());
      b.forwardTensor(batch(), { training: true });
      const ga = a.backwardTensor(dyOf());
      const gb = b.backwardTensor(dyOf());
      expect(Array.from(gb.data)).toEqual(Array.from(ga.data));
    } finally {
      a.free();
      b.free();
    }
  });
});

describe('parameter groups', () => {
  it('each group steps with its own lr and weight decay, exactly as an optimizer of that group alone', () => {
    const a = tiny(5);
    const b = tiny(5);
    try {
      const pa = a.namedParameters();
      const head = pa.filter(([n]) => n.startsWith('fc.'));
      const body = pa.filter(([n]) => !n.startsWith('fc.'));
      const grouped = new AdamW([{ params: body, lr: 1e-3, weightDecay: 0 }, { params: head }], { lr: 1e-2, weightDecay: 0.1 });
      const pb = b.namedParameters();
      const solo = [
        new AdamW(
          pb.filter(([n]) => !n.startsWith('fc.')),
          { lr: 1e-3, weightDecay: 0 },
        ),
        new AdamW(
          pb.filter(([n]) => n.startsWith('fc.')),
          { lr: 1e-2, weightDecay: 0.1 },
        ),
      ];
      for (const net of [a, b]) {
        net.forwardTensor(batch(), { training: true });
        net.backwardTensor(dyOf(), { inputGrad: false });
      }
      // a schedule halves every group: body at 5e-4, head at 5e-3
      grouped.step(5e-3);
      solo[0].step(5e-4);
      solo[1].step(5e-3);
      const sa = a.stateDict();
      const sb = b.stateDict();
      for (const [n] of pa) expect(Array.from(sa[n].data), n).toEqual(Array.from(sb[n].data));
      for (const o of [grouped, ...solo]) o.free();
    } finally {
      a.free();
      b.free();
    }
  });

  it('groups are checked: a mix of groups and parameters, or a bad lr, is a typed error', () => {
    const net = tiny();
    try {
      const ps = net.namedParameters();
      expectError(() => new SGD([{ params: ps }, ps[0] as any], { lr: 0.1 }), 'INVALID_ARGUMENT', 'mix');
      expectError(() => new SGD([{ params: ps, lr: -1 }], { lr: 0.1 }), 'INVALID_ARGUMENT', 'lr');
    } finally {
      net.free();
    }
  });
});

describe('Residual', () => {
  it('a branch whose shape differs from the identity shortcut is a SHAPE_MISMATCH naming the shortcut', () => {
    const r = new Residual([
      ['conv1', new Conv2d(2, 3, 3, { padding: 1 })],
      ['bn1', new BatchNorm2d(3)],
    ]);
    try {
      expectError(() => r.forwardTensor({ data: new Float32Array(2 * 16), shape: [1, 2, 4, 4] }), 'SHAPE_MISMATCH', 'identity shortcut', 'projection');
    } finally {
      r.free();
    }
  });

  it('child names are checked: duplicates and dotted names are errors', () => {
    expectError(
      () =>
        new Residual([
          ['a', new ReLU()],
          ['a', new ReLU()],
        ]),
      'INVALID_ARGUMENT',
      'twice',
    );
    expectError(() => new Residual([['a.b', new ReLU()]]), 'INVALID_ARGUMENT', 'no dots');
  });

  it("the identity shortcut adds the incoming gradient to the branch's (relu(x + relu(x)) on positive x has gradient 2 dy)", () => {
    const r = new Residual([['relu', new ReLU()]]);
    try {
      const x = { data: Float32Array.from([1, 2, 3, 4]), shape: [1, 1, 2, 2] };
      expect(Array.from(r.forwardTensor(x).data)).toEqual([2, 4, 6, 8]);
      expect(Array.from(r.backwardTensor({ data: Float32Array.from([1, -1, 0.5, 2]), shape: [1, 1, 2, 2] }).data)).toEqual([2, -2, 1, 4]);
    } finally {
      r.free();
    }
  });

  it('ResNet takes flattened rows with inputShape and says what it expected otherwise', () => {
    const net = new ResNet({ layers: [1], widths: [4], stem: 'cifar', inputShape: [3, 8, 8] });
    try {
      const rows = net.forward({ data: rand(2 * 192, 1), rows: 2, cols: 192 });
      expect([rows.rows, rows.cols]).toEqual([2, 4]);
      const dx = net.backward({ data: rand(8, 2), rows: 2, cols: 4 });
      expect([dx.rows, dx.cols]).toEqual([2, 192]);
      expectError(() => net.forward({ data: rand(2 * 100, 1), rows: 2, cols: 100 }), 'SHAPE_MISMATCH', '192');
    } finally {
      net.free();
    }
  });
});

describe('training', () => {
  it('SimCLR on a small image set lowers the loss of a CIFAR-stem ResNet with a projection head', () => {
    const net = new ResNet({ layers: [1, 1], widths: [8, 16], stem: 'cifar', head: simclrHead(16, { out: 8, seed: 1 }) });
    try {
      const n = 16;
      const size = 3 * 8 * 8;
      const base = rand(n * size, 11);
      const noise = (s: number) => rand(n * size, s).map((v, i) => base[i] + 0.2 * v);
      const opt = new AdamW(net.namedParameters(), { lr: 3e-3, weightDecay: 0 });
      const losses: number[] = [];
      for (let step = 0; step < 30; step++) {
        const views = new Float32Array(2 * n * size);
        views.set(noise(100 + 2 * step));
        views.set(noise(101 + 2 * step), n * size);
        const z = net.forwardTensor({ data: views, shape: [2 * n, 3, 8, 8] }, { training: true });
        const d = z.shape[1];
        const r = ntXent({ data: z.data.subarray(0, n * d), rows: n, cols: d }, { data: z.data.subarray(n * d), rows: n, cols: d }, { temperature: 0.2 });
        losses.push(r.loss);
        const g = new Float32Array(2 * n * d);
        g.set(r.grads.a.data);
        g.set(r.grads.b.data, n * d);
        net.zeroGrad();
        net.backwardTensor({ data: g, shape: z.shape }, { inputGrad: false });
        opt.step();
      }
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      expect(mean(losses.slice(-5))).toBeLessThan(0.7 * mean(losses.slice(0, 5)));
      opt.free();
    } finally {
      net.free();
    }
  });

  it('the presets build: resnet18Cifar gives 512-d features on 32x32, resnetSmall 256-d on 64x64', () => {
    const a = resnet18Cifar();
    const b = resnetSmall({ inputShape: [3, 64, 64] });
    try {
      expect(a.forwardTensor({ data: rand(3 * 32 * 32, 1), shape: [1, 3, 32, 32] }).shape).toEqual([1, 512]);
      expect(b.forward({ data: rand(3 * 64 * 64, 1), rows: 1, cols: 3 * 64 * 64 }).cols).toBe(256);
      expect(Object.keys(a.stateDict())).toContain('layer4.1.bn2.running_var');
    } finally {
      a.free();
      b.free();
    }
  });
});

describe('shared input-gradient buffers', () => {
  // Every layer's input gradient is dead once the layer before it consumed it, so layers share a
  // pool of buffers (GradPool) instead of owning one each. Hazard: a buffer handed out while
  // still live (the residual's join gradient, the block input's two paths) would corrupt
  // gradients; and the pool must actually bound the memory.
  const step = (shared: boolean, views: number) => {
    const pool = gradPool(getRuntime('test').k);
    pool.shared = shared;
    const model = resnet18Cifar({ seed: 5, widths: [8, 16, 24, 32], head: simclrHead(32, { seed: 6 }) });
    const x = { data: new Float32Array(views * 3 * 16 * 16).map((_, i) => Math.sin(i * 0.37)), shape: [views, 3, 16, 16] };
    const out: Float32Array[] = [];
    let peak = 0;
    for (let s = 0; s < 2; s++) {
      model.zeroGrad();
      const z = model.forwardTensor(x, { training: true });
      const g = z.data.map((v, i) => v * 0.01 + Math.cos(i) * 0.001);
      const dx = model.backwardTensor({ data: g, shape: z.shape });
      peak = Math.max(peak, pool.bytes());
      out.push(z.data, dx.data, ...model.parameters().map((p) => p.grad()));
    }
    model.free();
    pool.reset(); // frees the unshared buffers
    pool.shared = true;
    return { out, peak };
  };

  it('gives bit-identical outputs, input and parameter gradients to one buffer per layer', () => {
    const own = step(false, 6);
    const shared = step(true, 6);
    expect(shared.out.length).toBe(own.out.length);
    shared.out.forEach((a, i) =>
      expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(own.out[i].buffer, own.out[i].byteOffset, own.out[i].byteLength))).toBe(true),
    );
  });

  it('holds a few gradient buffers for a ResNet-18, not one per layer', () => {
    const own = step(false, 4);
    const shared = step(true, 4);
    // one per layer: ~30 activations' worth; shared: the live ones at any moment (a handful)
    expect(shared.peak).toBeLessThan(own.peak / 4);
  });
});
