import { twoViewsOf, type Pipeline } from '../augment/compose.js';
import type { ImageBatch } from '../augment/image.js';
import type { ImageOp } from '../augment/op.js';
import type { TrainData } from './fit.js';

/**
 * Training data from a batch of images and an augmentation pipeline: each step gathers its
 * samples and draws two views seeded by (seed, step, position in the batch), so a run is
 * reproducible and a resumed run sees the same views. Views come out as rows (n x C*H*W), what
 * `mlp` and `convNet28` take.
 */
export function imageTrainData(images: ImageBatch, pipeline: Pipeline | ImageOp, opts: { seed?: number; labels?: ArrayLike<number> } = {}): TrainData {
  return {
    n: images.n,
    labels: opts.labels,
    // the two views are consecutive parts of one array (Trainer.step then skips its concat)
    views(indices, step) {
      const [a, b] = twoViewsOf(images, indices, pipeline, { seed: opts.seed ?? 0, step });
      const rows = (v: ImageBatch) => ({ data: v.data, shape: [v.n, v.channels * v.height * v.width] });
      return [rows(a), rows(b)];
    },
  };
}
