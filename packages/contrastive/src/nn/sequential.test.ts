import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { f32a, loadCases, within } from '../../../../test/layers.js';
import { expectError, m } from '../../../../test/util/errors.js';
import {
  AdamW,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  convNet28,
  lenet28,
  Dropout,
  GELU,
  GlobalAvgPool2d,
  init,
  loadCheckpoint,
  loadSafetensors,
  MaxPool2d,
  mlp,
  mocoV2Head,
  ntXent,
  ReLU,
  runtimeInfo,
  saveCheckpoint,
  saveSafetensors,
  Sequential,
  simclrHead,
  simclrV2Head,
  Flatten,
  Linear,
  type Module,
  type Tensor,
} from '../index.node.js';

beforeAll(() => init());

const model = loadCases('model_mlp_bn.json')[0];

function loadRef(net: Module) {
  const sd: Record<string, { shape: number[]; data: Float32Array; dtype?: 'I64' }> = {};
  for (const k of model.state_dict_keys) {
    const v = model.state_before[k.name];
    sd[k.name] = { shape: k.shape, data: Float32Array.from(Array.isArray(v) ? v : [v]), ...(k.dtype === 'int64' ? { dtype: 'I64' as const } : {}) };
  }
  net.loadStateDict(sd);
  return sd;
}

describe('Sequential and presets', () => {
  it('mlp([784, 64, 16], { batchNorm }) has exactly the torch state_dict keys, shapes and order', () => {
    const net = mlp([784, 64, 16], { batchNorm: true });
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(model.state_dict_keys.map((k: any) => k.name));
    for (const k of model.state_dict_keys) expect(sd[k.name].shape, k.name).toEqual(k.shape);
    expect(net.namedParameters().map(([n]) => n)).toEqual(model.parameter_names);
    net.free();
  });

  it('reproduces the PyTorch MLP+BN train step: outputs, every gradient, BN buffers, then eval output', () => {
    const net = mlp([784, 64, 16], { batchNorm: true });
    loadRef(net);
    const [n, d] = model.shapes.x ?? [8, 784];
    const problems: string[] = [];
    const y = net.forward(m(model.inputs.x, n, d), { training: true });
    problems.push(...within(model, 'outputs.y', y.data, model.outputs.y));
    const dx = net.backward(m(model.dy, n, 16));
    problems.push(...within(model, 'grads.x', dx.data, model.grads.x));
    for (const [name, p] of net.namedParameters()) problems.push(...within(model, `grads.${name}`, p.grad(), model.grads[name]));
    const sd = net.stateDict();
    for (const k of ['1.running_mean', '1.running_var']) problems.push(...within(model, `state_after.${k}`, sd[k].data, model.state_after[k]));
    expect(sd['1.num_batches_tracked'].data[0]).toBe(model.state_after['1.num_batches_tracked']);
    const ye = net.forward(m(model.inputs.x, n, d));
    problems.push(...within(model, 'outputs.y_eval', ye.data, model.outputs.y_eval));
    expect(problems).toEqual([]);
    net.free();
  });

  it('PyTorch-format round trip: reference weights -> safetensors -> fresh model gives identical outputs', () => {
    const a = mlp([784, 64, 16], { batchNorm: true, seed: 1 });
    loadRef(a);
    const bytes = saveSafetensors(a.stateDict());
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    for (const k of model.state_dict_keys) {
      expect(header[k.name].shape, k.name).toEqual(k.shape);
      expect(header[k.name].dtype, k.name).toBe(k.dtype === 'int64' ? 'I64' : 'F32');
    }
    const b = mlp([784, 64, 16], { batchNorm: true, seed: 2 });
    b.loadStateDict(loadSafetensors(bytes));
    const x = m(model.inputs.x, 8, 784);
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    a.free();
    b.free();
  });

  it('loadStateDict is strict and names the tensor (missing, unexpected, wrong shape)', () => {
    const net = mlp([4, 3, 2], { batchNorm: true });
    const sd = net.stateDict();
    const { ['3.bias']: _drop, ...missing } = sd;
    expectError(() => net.loadStateDict(missing), 'SHAPE_MISMATCH', '3.bias', 'missing');
    expectError(() => net.loadStateDict({ ...sd, '9.weight': sd['0.weight'] }), 'SHAPE_MISMATCH', '9.weight', 'unexpected');
    expectError(() => net.loadStateDict({ ...sd, '0.weight': { shape: [4, 3], data: new Float32Array(12) } }), 'SHAPE_MISMATCH', '0.weight', '[3, 4]');
    net.free();
  });

  it('presets: SimCLR / SimCLRv2 / MoCo v2 heads and the CNNs have the documented shapes', () => {
    const h = simclrHead(256);
    expect(Object.entries(h.stateDict()).map(([k, v]) => `${k}:${v.shape}`)).toEqual([
      '0.weight:256,256',
      '0.bias:256',
      '1.weight:256',
      '1.bias:256',
      '1.running_mean:256',
      '1.running_var:256',
      '1.num_batches_tracked:',
      '3.weight:128,256',
      '3.bias:128',
    ]);
    expect(simclrV2Head(64).layers.length).toBe(7);
    const moco = mocoV2Head();
    expect(moco.stateDict()['2.weight'].shape).toEqual([128, 2048]);
    const cnn = convNet28();
    const y = cnn.forward(
      m(
        new Float32Array(2 * 784).map((_, i) => Math.sin(i)),
        2,
        784,
      ),
      { training: true },
    );
    expect([y.rows, y.cols]).toEqual([2, 128]);
    expect(cnn.backward(m(new Float32Array(256).fill(0.01), 2, 128)).cols).toBe(784);
    const lenet = lenet28({ seed: 2 });
    expect(
      Object.entries(lenet.stateDict())
        .filter(([k]) => k.endsWith('weight'))
        .map(([k, v]) => `${k}:${v.shape}`),
    ).toEqual(['1.weight:32,1,3,3', '2.weight:32', '5.weight:64,32,3,3', '6.weight:64', '10.weight:256,3136']);
    const z = lenet.forward(
      m(
        new Float32Array(3 * 784).map((_, i) => Math.cos(i)),
        3,
        784,
      ),
      { training: true },
    );
    expect([z.rows, z.cols]).toEqual([3, 256]);
    expect(lenet.backward(m(new Float32Array(3 * 256).fill(0.01), 3, 256)).cols).toBe(784);
    expect(() => lenet28({ widths: [0, 4] })).toThrow(/widths\[0\]/);
    // bnRelu: BatchNorm1d + ReLU after the Linear (indices 11, 12), same weights before them, outputs >= 0
    const lenetBn = lenet28({ seed: 2, bnRelu: true });
    expect(lenetBn.layers.map((l) => l.type).slice(10)).toEqual(['Linear', 'BatchNorm1d', 'ReLU']);
    expect(lenetBn.stateDict()['11.running_var'].shape).toEqual([256]);
    expect(Array.from(lenetBn.stateDict()['10.weight'].data)).toEqual(Array.from(lenet.stateDict()['10.weight'].data));
    const zb = lenetBn.forward(
      m(
        new Float32Array(3 * 784).map((_, i) => Math.cos(i)),
        3,
        784,
      ),
      { training: true },
    );
    expect([zb.rows, zb.cols]).toEqual([3, 256]);
    expect(Math.min(...zb.data)).toBe(0);
    expect(lenetBn.backward(m(new Float32Array(3 * 256).fill(0.01), 3, 256)).cols).toBe(784);
    [h, moco, cnn, lenet, lenetBn].forEach((x) => x.free());
  });

  it('inputGrad: false skips the first layer input gradient and leaves every parameter gradient unchanged (PyTorch MLP+BN)', () => {
    const [n, d] = model.shapes.x ?? [8, 784];
    const run = (opts?: { inputGrad: false }) => {
      const net = mlp([784, 64, 16], { batchNorm: true });
      loadRef(net);
      net.forward(m(model.inputs.x, n, d), { training: true });
      const dx = opts ? net.backward(m(model.dy, n, 16), opts) : net.backward(m(model.dy, n, 16));
      const grads = net.namedParameters().map(([name, p]) => [name, Array.from(p.grad())] as const);
      // the first Linear's input-gradient buffer is allocated only when dx is computed
      const dxBuf = ((net.layers[0] as any).dx as { ptr: number }).ptr;
      net.free();
      return { dx, grads, dxBuf };
    };
    const full = run();
    const skip = run({ inputGrad: false });
    expect(full.dx).toBeDefined();
    expect(full.dxBuf).not.toBe(0);
    expect(skip.dx).toBeUndefined();
    expect(skip.dxBuf).toBe(0);
    expect(skip.grads).toEqual(full.grads);
    const problems: string[] = [];
    for (const [name, g] of skip.grads) problems.push(...within(model, `grads.${name}`, Float32Array.from(g), model.grads[name]));
    expect(problems).toEqual([]);
  });

  it('inputGrad: false still passes input gradients between layers that need them (encoder Sequential feeding a head Sequential)', () => {
    const x = m(
      new Float32Array(6 * 10).map((_, i) => Math.sin(i * 0.7)),
      6,
      10,
    );
    const dy = m(
      new Float32Array(6 * 4).map((_, i) => Math.cos(i * 1.3)),
      6,
      4,
    );
    const run = (skip: boolean) => {
      // ReLU in front of the first parameter: with skip it has nothing to feed and is not run backward
      const enc = new Sequential(new ReLU(), ...mlp([10, 8, 6], { batchNorm: true, seed: 3 }).layers);
      const head = simclrHead(6, { seed: 4, out: 4 });
      const net = new Sequential(enc, head);
      net.forward(x, { training: true });
      const dx = skip ? net.backward(dy, { inputGrad: false }) : net.backward(dy);
      const grads = net.namedParameters().map(([name, p]) => [name, Array.from(p.grad())] as const);
      const bufs = { relu: ((enc.layers[0] as any).dx as { ptr: number }).ptr, headIn: ((head.layers[0] as any).dx as { ptr: number }).ptr };
      net.free();
      return { dx, grads, bufs };
    };
    const full = run(false);
    const skip = run(true);
    expect(skip.dx).toBeUndefined();
    expect(full.dx!.cols).toBe(10);
    expect(skip.grads.map(([k]) => k)).toContain('0.1.weight');
    expect(skip.grads).toEqual(full.grads);
    expect(skip.grads.every(([, g]) => g.some((v) => v !== 0))).toBe(true);
    expect(skip.bufs.headIn).not.toBe(0); // the head's first Linear fed the encoder
    expect(skip.bufs.relu).toBe(0);
  });

  it('inputGrad: false on a CNN skips the first Conv2d input gradient, same weight gradients', () => {
    const x: Tensor = { data: new Float32Array(2 * 2 * 6 * 6).map((_, i) => Math.sin(i * 1.7)), shape: [2, 2, 6, 6] };
    const dy = { data: new Float32Array(4).map((_, i) => [0.7, -1.1, 0.4, 0.9][i]), shape: [2, 2] };
    const run = (skip: boolean) => {
      const net = new Sequential(
        new Conv2d(2, 3, 3, { padding: 1, seed: 3 }),
        new BatchNorm2d(3),
        new GELU(),
        new MaxPool2d(2),
        new Conv2d(3, 2, 2, { seed: 4 }),
        new GlobalAvgPool2d(),
        new Flatten(),
      );
      net.forwardTensor(x, { training: true });
      // the first conv's input-gradient buffer request: none means the kernel got dx = 0 (skipped)
      const asked = vi.spyOn(net.layers[0] as any, 'gradOut');
      const dx = skip ? net.backwardTensor(dy, { inputGrad: false }) : net.backwardTensor(dy);
      const grads = net.parameters().map((p) => Array.from(p.grad()));
      const dxBuf = asked.mock.calls.length;
      net.free();
      return { dx, grads, dxBuf };
    };
    const full = run(false);
    const skip = run(true);
    expect(full.dx!.shape).toEqual([2, 2, 6, 6]);
    expect(skip.dx).toBeUndefined();
    expect(skip.dxBuf).toBe(0);
    expect(full.dxBuf).not.toBe(0);
    expect(skip.grads).toEqual(full.grads);
  });

  it('a non-finite input is NON_FINITE naming x and where, through forward and forwardTensor', () => {
    const net = mlp([3, 2], {});
    expectError(() => net.forward(m([1, 2, 3, 4, NaN, 6], 2, 3)), 'NON_FINITE', 'Sequential.forward', 'x', 'row 1, column 1');
    expectError(() => net.forwardTensor({ data: Float32Array.of(1, Infinity, 3), shape: [1, 3] }), 'NON_FINITE', 'x', 'index 1');
    net.forward(m([1, 2, 3], 1, 3));
    expectError(() => net.backward(m([1, NaN], 1, 2)), 'NON_FINITE', 'gradOut', 'column 1');
    expectError(() => net.backwardTensor({ data: Float32Array.of(1, -Infinity), shape: [1, 2] }), 'NON_FINITE', 'gradOut', 'index 1');
    // the values are checked after the copy into wasm: a forward refused there leaves no
    // half-overwritten forward for backward to read
    expectError(() => net.forward(m([1, 2, 3, 4, 5, NaN], 2, 3), { training: true }), 'NON_FINITE', 'row 1, column 2');
    expectError(() => net.backward(m([1, 1], 1, 2)), 'INVALID_ARGUMENT', 'call forward before backward');
    net.forward(m([1, 2, 3], 1, 3));
    expect(net.backward(m([1, 1], 1, 2)).cols).toBe(3);
    net.free();
  });

  it('a non-boolean inputGrad is an INVALID_ARGUMENT naming it', () => {
    const net = mlp([3, 2], {});
    net.forward(m([1, 2, 3], 1, 3));
    expectError(() => net.backward(m([1, 1], 1, 2), { inputGrad: 'no' as any }), 'INVALID_ARGUMENT', 'opts.inputGrad');
    net.free();
  });

  it('module backward matches central finite differences (Conv-BN-GELU-MaxPool-GlobalAvgPool, train mode)', () => {
    const net = new Sequential(
      new Conv2d(2, 3, 3, { padding: 1, seed: 3 }),
      new BatchNorm2d(3),
      new GELU(),
      new MaxPool2d(2),
      new Conv2d(3, 2, 2, { seed: 4 }),
      new GlobalAvgPool2d(),
      new Flatten(),
    );
    const x: Tensor = { data: new Float32Array(2 * 2 * 6 * 6).map((_, i) => Math.sin(i * 1.7) + (0.1 * i) / 72), shape: [2, 2, 6, 6] };
    const dy = new Float32Array(4).map((_, i) => [0.7, -1.1, 0.4, 0.9][i]);
    const f = (t: Tensor) => {
      const y = net.forwardTensor(t, { training: true });
      return y.data.reduce((s, v, i) => s + v * dy[i], 0);
    };
    f(x);
    net.zeroGrad();
    const dx = net.backwardTensor({ data: dy, shape: [2, 2] }).data;
    const w = (net.layers[0] as Conv2d).weight;
    const dw = w.grad();
    const h = 2e-3;
    let worst = 0;
    const log: string[] = [];
    for (const i of [0, 5, 17, 40, 71, 100, 143]) {
      const xp = x.data.slice();
      xp[i] += h;
      const xm = x.data.slice();
      xm[i] -= h;
      const fd = (f({ data: xp, shape: x.shape }) - f({ data: xm, shape: x.shape })) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - dx[i]));
      log.push(`x${i}: fd ${fd} vs ${dx[i]}`);
    }
    const w0 = w.value();
    for (const i of [0, 7, 20, 53]) {
      const wp = w0.slice();
      wp[i] += h;
      w.set(wp);
      const up = f(x);
      const wm = w0.slice();
      wm[i] -= h;
      w.set(wm);
      const down = f(x);
      w.set(w0);
      worst = Math.max(worst, Math.abs((up - down) / (2 * h) - dw[i]));
      log.push(`w${i}: fd ${(up - down) / (2 * h)} vs ${dw[i]}`);
    }
    expect(worst, log.join('; ')).toBeLessThan(5e-3);
    net.free();
  });

  it('memory does not grow across 1,000 training steps after the first (MLP + BN + dropout + AdamW + NT-Xent)', () => {
    const net = new Sequential(...mlp([32, 64, 16], { batchNorm: true, seed: 5 }).layers, new Dropout(0.1, 9));
    const opt = new AdamW(net.namedParameters(), { lr: 1e-3 });
    const a = m(
      new Float32Array(16 * 32).map((_, i) => Math.cos(i)),
      16,
      32,
    );
    const b = m(
      new Float32Array(16 * 32).map((_, i) => Math.cos(i + 0.3)),
      16,
      32,
    );
    let after1 = 0;
    let first = 0;
    let last = 0;
    for (let s = 0; s < 1000; s++) {
      net.zeroGrad();
      const za = net.forward(a, { training: true });
      const ga = ntXent(za, za, { temperature: 0.5 }); // a cheap stand-in loss with a gradient
      net.backward(ga.grads.a);
      opt.step();
      if (s === 0) {
        after1 = runtimeInfo().memoryBytes;
        first = ga.loss;
      }
      last = ga.loss;
      void b;
    }
    expect(runtimeInfo().memoryBytes).toBe(after1);
    expect(Number.isFinite(last) && Number.isFinite(first)).toBe(true);
    opt.free();
    net.free();
  });

  it('checkpoint resume equals the uninterrupted run bit for bit (AdamW state, BN buffers, dropout RNG); written atomically', async () => {
    const make = () => new Sequential(...mlp([12, 24, 8], { batchNorm: true, seed: 11 }).layers, new Dropout(0.25, 3));
    const data = (s: number) =>
      m(
        new Float32Array(6 * 12).map((_, i) => Math.sin(i * 0.37 + s)),
        6,
        12,
      );
    const train = (net: Sequential, opt: AdamW, from: number, to: number) => {
      for (let s = from; s < to; s++) {
        net.zeroGrad();
        const y = net.forward(data(s), { training: true });
        const r = ntXent({ data: y.data.subarray(0, 24), rows: 3, cols: 8 }, { data: y.data.subarray(24), rows: 3, cols: 8 }, { temperature: 0.2 });
        const g = new Float32Array(48);
        g.set(r.grads.a.data);
        g.set(r.grads.b.data, 24);
        net.backward(m(g, 6, 8));
        opt.step();
      }
    };
    const ref = make();
    const refOpt = new AdamW(ref.namedParameters(), { lr: 1e-2 });
    train(ref, refOpt, 0, 10);

    const dir = mkdtempSync(join(tmpdir(), 'ct-ckpt-'));
    const path = join(dir, 'run.safetensors');
    const a = make();
    const aOpt = new AdamW(a.namedParameters(), { lr: 1e-2 });
    train(a, aOpt, 0, 5);
    await saveCheckpoint(path, { model: a, optimizer: aOpt, extra: { step: 5 } });
    expect(readdirSync(dir)).toEqual(['run.safetensors']);
    const b = make();
    const bOpt = new AdamW(b.namedParameters(), { lr: 1e-2 });
    expect(await loadCheckpoint(path, { model: b, optimizer: bOpt })).toEqual({ step: 5 });
    train(b, bOpt, 5, 10);
    const sr = ref.stateDict();
    const sb = b.stateDict();
    for (const k of Object.keys(sr)) expect(Array.from(sb[k].data), k).toEqual(Array.from(sr[k].data));
    [ref, a, b].forEach((x) => x.free());
    [refOpt, aOpt, bOpt].forEach((x) => x.free());
  });

  it('a Sequential refused by a later layer (mismatched shapes) leaves the BatchNorm statistics and dropout counters of earlier layers unchanged', () => {
    // 8 -> 16, BatchNorm, dropout, then a Linear that expects 12 inputs: the chain does not fit
    const net = new Sequential(new Linear(8, 16, { seed: 1 }), new BatchNorm1d(16), new Dropout(0.5), new BatchNorm1d(16), new Linear(12, 4, { seed: 2 }));
    const x = m(
      Array.from({ length: 4 * 8 }, (_, i) => Math.sin(i)),
      4,
      8,
    );
    const before = net.stateDict();
    const counter = (net.layers[2] as Dropout).counter;
    expectError(() => net.forward(x, { training: true }), 'SHAPE_MISMATCH', 'Linear');
    const after = net.stateDict();
    for (const k of Object.keys(before)) expect(Array.from(after[k].data), k).toEqual(Array.from(before[k].data));
    expect((net.layers[2] as Dropout).counter).toBe(counter);
    // and a chain that fits does move them
    const ok = new Sequential(new Linear(8, 16, { seed: 1 }), new BatchNorm1d(16));
    ok.forward(x, { training: true });
    expect(Array.from(ok.stateDict()['1.running_mean'].data).some((v) => v !== 0)).toBe(true);
    expect(Number(ok.stateDict()['1.num_batches_tracked'].data[0])).toBe(1);
    net.free();
    ok.free();
  });
});
