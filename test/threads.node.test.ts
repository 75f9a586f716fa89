// init({ threads }): the threads builds (simd128-threads, relaxed-threads) with worker_threads. The
// promise made to users is that threads change speed only: every result must be bit-identical to
// the single-threaded build of the same variant, whatever the thread count. (vitest runs Node 20
// with --experimental-wasm-relaxed-simd, so both variants are tested here.)
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { readFile } from 'node:fs/promises';
import { getRuntime, setDefaultLoader } from '../packages/contrastive/src/runtime/init.js';
import { nearestSupport } from '../packages/contrastive/src/train/methods.js';
import { wasmUrl } from '../packages/contrastive/src/wasm-url.js';
import { bits, linearRun as linearRunOf, rand } from './util/bits.js';

const linearRun = () => linearRunOf(lib.Linear);

const { init, runtimeInfo } = lib;
const variants = lib.relaxedSimdSupported() ? (['simd128', 'relaxed'] as const) : (['simd128'] as const);

/** Conv2d 32 -> 32, 3x3, padding 1 on 4 x 32 x 24 x 24: the im2col GEMMs are wide (columns split). */
function convRun(): Float32Array[] {
  const conv = new lib.Conv2d(32, 32, 3, { padding: 1, seed: 5 });
  const y = conv.forwardTensor({ data: rand(4 * 32 * 24 * 24, 3), shape: [4, 32, 24, 24] });
  const dx = conv.backwardTensor({ data: rand(y.data.length, 4), shape: y.shape });
  const out = [y.data.slice(), dx.data.slice(), conv.weight.value(), conv.weight.grad(), conv.bias!.grad()];
  conv.free();
  return out;
}

/** The CNN block layers on 16 x 16 x 28 x 28 (200K floats, so their planes, channels, samples and
 * element blocks split over the threads): Conv2d, BatchNorm2d (train and eval), ReLU, GELU, 2x2
 * max pool (ties in its input), a 3x3 / 2 max and an avg pool, forward and backward. */
function cnnLayersRun(): Float32Array[] {
  const shape = [16, 16, 28, 28];
  const n = 16 * 16 * 28 * 28;
  const x = rand(n, 41).map((v, i) => (i % 3 === 0 ? Math.round(v * 4) : v));
  const out: Float32Array[] = [];
  const conv = new lib.Conv2d(16, 16, 3, { padding: 1, seed: 2 });
  const bn = new lib.BatchNorm2d(16);
  const layers: lib.Module[] = [
    conv,
    bn,
    new lib.ReLU(),
    new lib.GELU(),
    new lib.MaxPool2d(2),
    new lib.MaxPool2d(3, { stride: 2 }),
    new lib.AvgPool2d(3, { stride: 2, padding: 1 }),
  ];
  for (const layer of layers) {
    for (const training of [true, false]) {
      if (!training && layer !== bn) continue;
      const y = layer.forwardTensor({ data: x, shape }, { training });
      const dx = layer.backwardTensor({ data: rand(y.data.length, 42), shape: y.shape });
      out.push(y.data.slice(), dx.data.slice());
    }
  }
  out.push(conv.weight.grad(), bn.weight!.grad(), bn.bias!.grad(), bn.runningMean.value(), bn.runningVar.value());
  for (const l of layers) l.free();
  return out;
}

/** Three SimCLR steps (MLP 784-256-64 with BN, NT-Xent, AdamW) on 2 x 128 rows: the parameters after. */
function simclrRun(): Float32Array[] {
  const model = lib.mlp([784, 256, 64], { seed: 1, batchNorm: true });
  const opt = new lib.AdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 0.01 });
  const B = 128;
  const losses: number[] = [];
  for (let s = 0; s < 3; s++) {
    model.zeroGrad();
    const z = model.forward({ data: rand(2 * B * 784, 10 + s), rows: 2 * B, cols: 784 }, { training: true });
    const r = lib.ntXent({ data: z.data.subarray(0, B * 64), rows: B, cols: 64 }, { data: z.data.subarray(B * 64), rows: B, cols: 64 }, { temperature: 0.5 });
    const g = new Float32Array(2 * B * 64);
    g.set(r.grads!.a.data);
    g.set(r.grads!.b.data, B * 64);
    model.backward({ data: g, rows: 2 * B, cols: 64 });
    opt.step();
    losses.push(r.loss);
  }
  const out = [...model.parameters().map((p) => p.value()), Float32Array.from(losses)];
  model.free();
  return out;
}

/** Two views of 256 random 28x28 "digits" through smallGrayscale (crop, bilinear affine, jitter) and
 * 64 RGB 32x32 images through simclrCifar10: the per-image kernels split over the threads. */
function augmentRun(): Float32Array[] {
  const gray = { data: rand(256 * 784, 21).map((v) => v + 0.5), n: 256, channels: 1 as const, height: 28, width: 28 };
  const rgb = { data: rand(64 * 3 * 32 * 32, 22).map((v) => v + 0.5), n: 64, channels: 3 as const, height: 32, width: 32 };
  const [a, b] = lib.twoViews(gray, lib.smallGrayscale(), { seed: 3 });
  const [c, d] = lib.twoViews(rgb, lib.simclrCifar10(), { seed: 4 });
  return [a.data, b.data, c.data, d.data];
}

/** The two-pass losses at 2N = 2048, D = 128, where their tile products are split over the threads:
 * NT-Xent with all, some and no kept tiles, SupCon and CLIP. */
function lossRun(): Float32Array[] {
  const n = 1024;
  const d = 128;
  const a = { data: rand(n * d, 31), rows: n, cols: d };
  const b = { data: rand(n * d, 32), rows: n, cols: d };
  const out: Float32Array[] = [];
  const prev = lib.setTileCache(lib.DEFAULT_TILE_CACHE_BYTES);
  try {
    for (const bytes of [lib.DEFAULT_TILE_CACHE_BYTES, 1 << 20, 0]) {
      lib.setTileCache(bytes);
      const r = lib.ntXent(a, b, { temperature: 0.1 });
      out.push(Float32Array.of(r.loss, r.dTemperature), r.grads.a.data, r.grads.b.data);
    }
    const labels = Array.from({ length: n }, (_, i) => i % 37);
    const s = lib.supCon(a, labels, { temperature: 0.1 });
    const c = lib.infoNce(a, b, { temperature: 0.07, symmetric: true });
    out.push(Float32Array.of(s.loss, c.loss), s.grads.z.data, c.grads.query.data, c.grads.key.data);
  } finally {
    lib.setTileCache(prev);
  }
  return out;
}

/** The method losses at 2 x 256 rows, d = 256 (Barlow Twins' and VICReg's d x d products, 16M
 * multiply-adds, split over the threads), the labeled ones on 256 rows, BYOL's EMA, and NNCLR's
 * neighbour search of 128 rows in a 4096-row queue (one 67M multiply-add GEMM through the search kernel). */
function methodsRun(): Float32Array[] {
  const n = 256;
  const d = 256;
  const a = { data: rand(n * d, 51), rows: n, cols: d };
  const b = { data: rand(n * d, 52), rows: n, cols: d };
  const z = { data: rand(n * 64, 53), rows: n, cols: 64 };
  const labels = Array.from({ length: n }, (_, i) => i % 23);
  const out: Float32Array[] = [];
  for (const r of [
    lib.dcl(a, b, { temperature: 0.1 }),
    lib.dclw(a, b, { temperature: 0.1 }),
    lib.negativeCosineSimilarity(a, b),
    lib.barlowTwins(a, b),
    lib.vicReg(a, b),
  ])
    out.push(Float32Array.of(r.loss), r.grads.a.data, r.grads.b.data);
  for (const r of [
    lib.triplet(z, labels, { mining: 'batchHard' }),
    lib.triplet(z, labels, { mining: 'semihard' }),
    lib.multiSimilarity(z, labels, { mine: true }),
  ])
    out.push(Float32Array.of(r.loss), r.grads.z.data);
  const online = lib.mlp([256, 512, 128], { seed: 1, batchNorm: true });
  const target = lib.mlp([256, 512, 128], { seed: 2, batchNorm: true });
  lib.momentumUpdate(target, online, 0.996);
  out.push(...target.parameters().map((p) => p.value()));
  online.free();
  target.free();
  const queue = rand(4096 * 128, 54);
  for (let k = 0; k < 4096; k++) {
    const row = queue.subarray(k * 128, (k + 1) * 128);
    const norm = Math.hypot(...row);
    for (let j = 0; j < 128; j++) row[j] /= norm;
  }
  const nn = nearestSupport({ data: rand(128 * 128, 55), rows: 128, cols: 128 }, { data: queue, rows: 4096, cols: 128 });
  out.push(new Float32Array(nn.buffer));
  return out;
}

afterAll(() => init({ threads: 1, variant: 'simd128' }));

describe('init({ threads })', () => {
  it('loads the threads build of the asked-for variant with the asked-for thread count', async () => {
    for (const variant of variants) {
      await init({ threads: 2, variant });
      expect(runtimeInfo()).toMatchObject({ variant, threads: 2 });
      // later calls without `threads` keep the pool (idempotent)
      await init();
      expect(runtimeInfo()).toMatchObject({ variant, threads: 2 });
    }
  });

  it("'auto' picks the relaxed threads build where the engine has relaxed SIMD, as it does for one thread", async () => {
    await init({ threads: 1, variant: 'simd128' });
    await init({ threads: 2 });
    expect(runtimeInfo()).toMatchObject({ variant: lib.relaxedSimdSupported() ? 'relaxed' : 'simd128', threads: 2 });
  });

  for (const variant of variants) {
    for (const [name, run] of [
      ['Linear forward/backward', linearRun],
      ['Conv2d forward/backward', convRun],
      ['CNN layers: conv, BatchNorm2d, ReLU, GELU, pools', cnnLayersRun],
      ['three SimCLR + AdamW steps', simclrRun],
      ['augmentations (per-image kernels)', augmentRun],
      ['NT-Xent, SupCon and CLIP (tile products)', lossRun],
      ['method losses, the EMA and the NNCLR neighbour search', methodsRun],
    ] as const) {
      it(`${name}: 2 and 3 threads give bit-identical results to the single-threaded ${variant} build`, async () => {
        await init({ threads: 1, variant });
        const one = bits(run());
        await init({ threads: 2, variant });
        expect(runtimeInfo().variant).toBe(variant);
        const two = bits(run());
        await init({ threads: 3, variant });
        const three = bits(run());
        expect(two).toEqual(one);
        expect(three).toEqual(one);
      });
    }
  }

  it("'auto' falls back to the simd128 modules (one thread and threads) in a package without the relaxed ones; a pinned 'relaxed' does not", async () => {
    expect(lib.relaxedSimdSupported()).toBe(true); // vitest runs Node with the relaxed flag
    const asked: string[] = [];
    setDefaultLoader(async (build) => {
      asked.push(build);
      if (build.startsWith('relaxed')) throw new Error(`${build} is not packaged`);
      return readFile(wasmUrl(build));
    });
    try {
      await init({ threads: 1, variant: 'simd128' });
      await init({ threads: 2 });
      expect(runtimeInfo()).toMatchObject({ variant: 'simd128', threads: 2 });
      await init({ threads: 1 });
      expect(runtimeInfo()).toMatchObject({ variant: 'simd128', threads: 1 });
      expect(asked).toEqual(['simd128', 'relaxed-threads', 'simd128-threads', 'relaxed', 'simd128']);
      await expect(init({ threads: 2, variant: 'relaxed' })).rejects.toThrow('relaxed-threads is not packaged');
      await expect(init({ threads: 1, variant: 'relaxed' })).rejects.toThrow('relaxed is not packaged');
    } finally {
      setDefaultLoader(async (build) => readFile(wasmUrl(build))); // as index.node.ts
    }
  });

  it('a module passed as wasm with threads must be a threads build, of the pinned variant', async () => {
    const { readFile } = await import('node:fs/promises');
    const file = (b: string) => readFile(new URL(`../packages/contrastive/wasm/contrastive-${b}.wasm`, import.meta.url));
    await expect(init({ threads: 2, wasm: await file('simd128') })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('threads build'),
    });
    if (variants.length === 2) {
      await expect(init({ threads: 2, variant: 'simd128', wasm: await file('relaxed-threads') })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('relaxed-threads'),
      });
      await init({ threads: 2, wasm: await file('relaxed-threads') });
      expect(runtimeInfo()).toMatchObject({ variant: 'relaxed', threads: 2 });
    }
    await init({ threads: 2, variant: 'simd128', wasm: await file('simd128-threads') });
    expect(runtimeInfo()).toMatchObject({ variant: 'simd128', threads: 2 });
  });

  it('the pool survives 1,000 small and large products in turn without deadlock or drift', async () => {
    await init({ threads: 2 });
    const small = new lib.Linear(16, 8, { seed: 2 });
    const large = new lib.Linear(256, 256, { seed: 3 }); // 256 x 256 x 256: split over the threads
    const xs = { data: rand(4 * 16, 5), rows: 4, cols: 16 };
    const xl = { data: rand(256 * 256, 6), rows: 256, cols: 256 };
    const s0 = small.forward(xs).data.slice();
    const l0 = large.forward(xl).data.slice();
    let same = 0;
    for (let i = 0; i < 1000; i++) {
      const s = small.forward(xs).data;
      const l = large.forward(xl).data;
      if (s.every((v, j) => Object.is(v, s0[j])) && l.every((v, j) => Object.is(v, l0[j]))) same++;
    }
    expect(same).toBe(1000);
    small.free();
    large.free();
  });

  it('shared memory that grows during threaded products is read through fresh views (results still right)', async () => {
    await init({ threads: 2 });
    const before = runtimeInfo().memoryBytes;
    // 2048 x 1024 x 1024: the arena and the workers' packing buffers grow the shared memory
    const lin = new lib.Linear(1024, 1024, { seed: 9 });
    const y = lin.forward({ data: rand(2048 * 1024, 7), rows: 2048, cols: 1024 }).data;
    expect(runtimeInfo().memoryBytes).toBeGreaterThan(before);
    const w = lin.weight.value();
    const b = lin.bias!.value();
    const x = rand(2048 * 1024, 7);
    // spot-check rows against a float64 dot product
    for (const i of [0, 1023, 2047]) {
      for (const j of [0, 511, 1023]) {
        let s = b[j];
        for (let p = 0; p < 1024; p++) s += x[i * 1024 + p] * w[j * 1024 + p];
        expect(Math.abs(y[i * 1024 + j] - s)).toBeLessThan(1e-3);
      }
    }
    lin.free();
  });

  it('switches 2 -> 1 -> 2 threads cleanly (workers stopped, memory replaced)', async () => {
    await init({ threads: 2, variant: 'simd128' });
    const two = bits(linearRun());
    await init({ threads: 1, variant: 'auto' });
    expect(runtimeInfo().threads).toBe(1);
    // back on the single-threaded builds, picked as without threads
    expect(runtimeInfo().variant).toBe(lib.relaxedSimdSupported() ? 'relaxed' : 'simd128');
    await init({ threads: 1, variant: 'simd128' });
    expect(bits(linearRun())).toEqual(two);
    await init({ threads: 2, variant: 'simd128' });
    expect(runtimeInfo()).toMatchObject({ variant: 'simd128', threads: 2 });
    expect(bits(linearRun())).toEqual(two);
  });

  it('the pool is really used: workers run parts of big products, and small ones stay on this thread', async () => {
    await init({ threads: 3 });
    const k = getRuntime('test').k as unknown as { ct_threads_ready(): number; ct_threads_worker_parts(): number };
    expect(k.ct_threads_ready() & 0b110).toBe(0b110);
    const small = new lib.Linear(64, 64, { seed: 1 });
    const p0 = k.ct_threads_worker_parts();
    for (let i = 0; i < 20; i++) small.forward({ data: rand(64 * 64, 1), rows: 64, cols: 64 });
    expect(k.ct_threads_worker_parts()).toBe(p0);
    small.free();
    const big = new lib.Linear(512, 512, { seed: 1 });
    for (let i = 0; i < 20; i++) big.forward({ data: rand(512 * 512, 1), rows: 512, cols: 512 });
    expect(k.ct_threads_worker_parts()).toBeGreaterThan(p0);
    big.free();
  });

  it('the layer kernels use the pool too: BatchNorm2d, ReLU and max pooling of a big batch', async () => {
    await init({ threads: 3 });
    const k = getRuntime('test').k as unknown as { ct_threads_worker_parts(): number };
    const shape = [64, 16, 28, 28];
    const x = { data: rand(64 * 16 * 28 * 28, 43), shape };
    for (const layer of [new lib.BatchNorm2d(16), new lib.ReLU(), new lib.MaxPool2d(2)]) {
      const p0 = k.ct_threads_worker_parts();
      // on a host with fewer cores than threads a worker may get no part of a few calls: up to 2 s of calls
      const until = Date.now() + 2000;
      do layer.forwardTensor(x, { training: true });
      while (k.ct_threads_worker_parts() === p0 && Date.now() < until);
      expect(k.ct_threads_worker_parts(), layer.type).toBeGreaterThan(p0);
      layer.free();
    }
  });

  it('the augmentation kernels use the pool too: workers take images of a big batch', async () => {
    await init({ threads: 3 });
    const k = getRuntime('test').k as unknown as { ct_threads_worker_parts(): number };
    const p0 = k.ct_threads_worker_parts();
    for (let i = 0; i < 10; i++) augmentRun();
    expect(k.ct_threads_worker_parts()).toBeGreaterThan(p0);
  });

  it('bad thread counts are INVALID_ARGUMENT naming `threads`', async () => {
    for (const t of [0, -1, 1.5, 17, Number.NaN, '2' as never]) {
      await expect(init({ threads: t })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('threads') });
    }
  });

  it("'auto' is min(cores, 4), also on Node 20, which has no navigator.hardwareConcurrency", async () => {
    await init({ threads: 'auto' });
    const { availableParallelism } = await import('node:os');
    expect(runtimeInfo().threads).toBe(Math.max(1, Math.min(availableParallelism(), 4)));
  });

  it('without SharedArrayBuffer (a browser page that is not cross-origin isolated) it rejects with WASM_UNSUPPORTED naming COOP/COEP', async () => {
    await init({ threads: 1, variant: 'simd128' });
    const g = globalThis as { crossOriginIsolated?: boolean };
    const had = Object.getOwnPropertyDescriptor(globalThis, 'crossOriginIsolated');
    g.crossOriginIsolated = false;
    try {
      await expect(init({ threads: 2 })).rejects.toMatchObject({
        code: 'WASM_UNSUPPORTED',
        message: expect.stringContaining('Cross-Origin-Embedder-Policy'),
      });
    } finally {
      if (had) Object.defineProperty(globalThis, 'crossOriginIsolated', had);
      else delete g.crossOriginIsolated;
    }
    // the failed init left the running module in place
    expect(runtimeInfo()).toMatchObject({ variant: 'simd128', threads: 1 });
  });
});
