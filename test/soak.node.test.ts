// Memory over long runs: dropped models are reclaimed, and (RELIABILITY_LONG=1) a soak of loss
// calls, training steps and create/free cycles on 1 and 2 threads keeps wasm memory flat.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { rand } from './util/bits.js';

const LONG = process.env.RELIABILITY_LONG === '1';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const { init, runtimeInfo } = lib;

afterAll(() => init({ threads: 1 }));

/** Collects garbage and lets the finalizers run. */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('memory over time', () => {
  it('models dropped without free() give their wasm memory back once collected (FinalizationRegistry)', async () => {
    await init({ threads: 1, variant: 'simd128' });
    const x = { data: rand(32 * 256, 1), rows: 32, cols: 256 };
    const make = () => {
      const m = lib.mlp([256, 512, 256], { batchNorm: true });
      m.forward(x, { training: true });
    };
    for (let i = 0; i < 20; i++) make();
    await collect();
    for (let i = 0; i < 20; i++) make();
    await collect();
    const warm = runtimeInfo().memoryBytes;
    // each model holds ~2 MiB of parameters and gradients: 200 leaked ones would be ~400 MiB more
    for (let r = 0; r < 10; r++) {
      for (let i = 0; i < 20; i++) make();
      await collect();
    }
    expect(runtimeInfo().memoryBytes - warm).toBeLessThan(64 * 2 ** 20);
  });

  it('optimizers dropped without free() give their state back once collected (FinalizationRegistry)', async () => {
    await init({ threads: 1, variant: 'simd128' });
    // one parameter of 2M floats (8 MiB): AdamW keeps two moments of it, LARS one plus its 8-byte out
    const model = new lib.Linear(2048, 1024, { bias: false });
    const make = (i: number) => {
      const opt = i % 2 ? new lib.AdamW(model.namedParameters()) : new lib.LARS(model.namedParameters(), { lr: 0.1 });
      opt.step();
    };
    for (let i = 0; i < 6; i++) make(i);
    await collect();
    const warm = runtimeInfo().memoryBytes;
    // 40 leaked optimizers would hold about 480 MiB of moments
    for (let r = 0; r < 8; r++) {
      for (let i = 0; i < 5; i++) make(i);
      await collect();
    }
    expect(runtimeInfo().memoryBytes - warm).toBeLessThan(64 * 2 ** 20);
    model.free();
  });

  it.runIf(LONG)(
    'soak: 10,000 loss calls, 2,000 training steps, 2,000 create/free cycles and 200 dropped optimizers on 1 and 2 threads keep memory flat',
    async () => {
      for (const threads of [1, 2]) {
        await init({ threads, variant: 'simd128' });
        const a = { data: rand(128 * 64, 2), rows: 128, cols: 64 };
        const b = { data: rand(128 * 64, 3), rows: 128, cols: 64 };
        const model = lib.mlp([64, 128, 32], { batchNorm: true });
        const trainer = new lib.Trainer({ method: 'simclr', model, optimizer: new lib.AdamW(model.namedParameters()), temperature: 0.1 });
        const views: lib.Views = [
          { data: a.data, shape: [128, 64] },
          { data: b.data, shape: [128, 64] },
        ];
        const round = async () => {
          for (let i = 0; i < 1000; i++) lib.ntXent(a, b, { temperature: 0.1 });
          for (let i = 0; i < 200; i++) trainer.step(views);
          for (let i = 0; i < 200; i++) {
            const m = lib.mlp([64, 64]);
            m.forward(a);
            m.free();
          }
          // optimizers dropped without free(): their moments come back through the registry
          for (let i = 0; i < 20; i++) new lib.AdamW(model.namedParameters()).step();
          await collect();
        };
        await round();
        const warm = runtimeInfo().memoryBytes;
        for (let r = 0; r < 9; r++) await round();
        expect(runtimeInfo().memoryBytes, `threads ${threads}`).toBe(warm);
        model.free();
        trainer.optimizer.free();
      }
    },
    1_800_000,
  );
});
