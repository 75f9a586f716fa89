// How long the default `train --data` recipe runs: the batch size and epochs it picks from the
// number of samples (the rules in packages/cli/src/data-commands.ts).
import { describe, expect, it } from 'vitest';
import { defaultBatchSize, imageEpochs, MAX_IMAGE_EPOCHS, MIN_IMAGE_STEPS } from '../../packages/cli/src/data-commands.js';

describe('the default run length on --data', () => {
  it('batches of 256, halved down to 32 until an epoch has 16 steps; never more than the samples', () => {
    expect(defaultBatchSize(100_000)).toBe(256);
    expect(defaultBatchSize(4096)).toBe(256);
    expect(defaultBatchSize(4095)).toBe(128);
    expect(defaultBatchSize(1524)).toBe(64);
    expect(defaultBatchSize(720)).toBe(32);
    expect(defaultBatchSize(100)).toBe(32);
    expect(defaultBatchSize(20)).toBe(20);
  });

  it('a small image set gets epochs enough for the minimum number of steps, up to a cap; a large one keeps the recipe', () => {
    expect(MIN_IMAGE_STEPS).toBe(300);
    expect(imageEpochs(10, 1000)).toBe(10);
    expect(imageEpochs(10, 23)).toBe(14); // 1,524 images in batches of 64: 23 steps an epoch, 322 steps
    expect(imageEpochs(20, 23)).toBe(20);
    expect(imageEpochs(10, 2)).toBe(MAX_IMAGE_EPOCHS);
    expect(imageEpochs(10, 0)).toBe(MAX_IMAGE_EPOCHS);
  });
});
