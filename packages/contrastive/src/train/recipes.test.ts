import { beforeAll, describe, expect, it } from 'vitest';
import { ContrastiveError } from '../errors.js';
import { lenet28, mlp } from '../nn/presets.js';
import { init } from '../runtime/init.js';
import { buildEncoder, encoderSpec, RECIPES, recipeSchedule } from './recipes.js';

const nodeLoader = async () => {
  const { readFile } = await import('node:fs/promises');
  return readFile(new URL('../../wasm/contrastive-simd128.wasm', import.meta.url));
};

beforeAll(async () => {
  await init({ wasm: await nodeLoader() });
});

const shapes = (sd: Record<string, { shape: number[] }>) => Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape]));

describe('recipes', () => {
  it("'conv' is lenet28 with BatchNorm + ReLU after its Linear, the same weights for a seed", () => {
    const a = buildEncoder(encoderSpec('conv', [1, 28, 28]), 3).stateDict();
    const b = lenet28({ seed: 3, bnRelu: true }).stateDict();
    expect(shapes(a)).toEqual(shapes(b));
    for (const k of Object.keys(b)) expect(a[k].data).toEqual(b[k].data);
  });

  it("'mlp' is the 784-512-256 MLP with BatchNorm, sized from the input", () => {
    expect(shapes(buildEncoder(encoderSpec('mlp', [1, 28, 28]), 0).stateDict())).toEqual(shapes(mlp([784, 512, 256], { batchNorm: true }).stateDict()));
    expect(encoderSpec('mlp', [3, 32, 32]).sizes).toEqual([3072, 512, 256]);
  });

  it('CNN specs build for any image size and channel count (32x32 RGB, 64x64 RGB); too-small images or bad widths are typed errors', () => {
    expect(buildEncoder(encoderSpec('conv', [3, 32, 32]), 0).stateDict()['10.weight'].shape).toEqual([256, 64 * 8 * 8]);
    expect(buildEncoder(encoderSpec('gap', [3, 64, 64]), 0).stateDict()['1.weight'].shape).toEqual([32, 3, 3, 3]);
    expect(() => buildEncoder(encoderSpec('conv', [1, 2, 2]), 0)).toThrow(/too small/);
    expect(() => encoderSpec('conv', [1, 28, 28], [8])).toThrow(ContrastiveError);
    expect(() => encoderSpec('gap', [1, 28, 28], [0])).toThrow(/positive integers/);
    expect(() => encoderSpec('resnet' as 'mlp', [1, 28, 28])).toThrow(/mlp, conv, gap/);
  });

  it('the schedules: constant stays at lr; cosine warms up over 10% of the steps (at most 200) and ends at 0', () => {
    const c = recipeSchedule(RECIPES.mlp, 100);
    expect([c(0), c(50), c(99)]).toEqual([1e-3, 1e-3, 1e-3]);
    const s = recipeSchedule(RECIPES.conv, 620);
    expect(s(0)).toBe(0);
    expect(s(62)).toBeCloseTo(2e-3, 12);
    expect(s(620)).toBe(0);
    const long = recipeSchedule(RECIPES.conv, 10_000);
    expect(long(200)).toBeCloseTo(2e-3, 12);
    expect(long(100)).toBeCloseTo(1e-3, 12);
  });
});
