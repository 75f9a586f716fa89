// A training run of the playground without the page or the worker: the model, the optimizer, the
// data (two augmented views per image) and the kNN monitor, built from a TrainConfig. The worker
// drives it; test/playground runs the page's default config in Node with it.
import {
  AdamW,
  buildEncoder,
  embed,
  encoderSpec,
  knnAccuracy,
  recipeSchedule,
  Sequential,
  simclrHead,
  toImageBatch,
  Trainer,
  twoViews,
  type Module,
  type Tensor,
  type TrainData,
} from 'contrastive';
import { buildPipeline, PX, SIDE, type Dataset, type ImageSet, type TrainConfig } from './shared.js';

/** Rows of the train set the kNN monitor uses as its memory bank (all test rows are queries). */
export const MONITOR_BANK = 2000;

export interface RunParts {
  trainer: Trainer;
  encoder: Module;
  data: TrainData;
  test: Tensor;
  testLabels: Uint8Array;
  bank?: { x: Tensor; labels: Uint8Array };
  stepsPerEpoch: number;
  totalSteps: number;
}

export const asTensor = (s: ImageSet): Tensor => {
  const b = toImageBatch({ data: s.images, height: SIDE, width: SIDE, channels: 1, n: s.n });
  return { data: b.data, shape: [s.n, PX] };
};

/** The model, optimizer, data and monitor of one run of `config` on `ds` (call after `init`). */
export function createRun(config: TrainConfig, ds: Dataset): RunParts {
  const spec = encoderSpec(config.encoder, [1, SIDE, SIDE]);
  const encoder = buildEncoder(spec, config.seed);
  const model = new Sequential(encoder, simclrHead(spec.outDim, { seed: config.seed + 1 }));
  const stepsPerEpoch = Math.floor(ds.train.n / config.batchSize);
  const totalSteps = stepsPerEpoch * config.epochs;
  const trainer = new Trainer({
    method: 'simclr',
    model,
    temperature: config.temperature,
    optimizer: new AdamW(model.namedParameters(), { lr: config.lr, weightDecay: config.weightDecay }),
    schedule: recipeSchedule({ lr: config.lr, schedule: config.schedule }, totalSteps),
  });
  const train = asTensor(ds.train);
  const pipeline = buildPipeline(config.aug);
  const data: TrainData = {
    n: ds.train.n,
    views(idx, step) {
      const b = idx.length;
      const x = new Float32Array(b * PX);
      idx.forEach((s, i) => x.set(train.data.subarray(s * PX, (s + 1) * PX), i * PX));
      const [v1, v2] = twoViews({ data: x, n: b, channels: 1, height: SIDE, width: SIDE }, pipeline, { seed: config.seed, step });
      return [
        { data: v1.data, shape: [b, PX] },
        { data: v2.data, shape: [b, PX] },
      ];
    },
  };
  const classes = new Set(ds.train.labels).size;
  const bankN = Math.min(MONITOR_BANK, ds.train.n);
  const bank = classes > 1 ? { x: { data: train.data.subarray(0, bankN * PX), shape: [bankN, PX] }, labels: ds.train.labels.subarray(0, bankN) } : undefined;
  return { trainer, encoder, data, test: asTensor(ds.test), testLabels: ds.test.labels, bank, stepsPerEpoch, totalSteps };
}

/** The monitor: weighted kNN accuracy of the test embeddings against the bank's (undefined without labels). */
export function monitorKnn(r: RunParts, testEmbedding = embed(r.encoder, r.test)): number | undefined {
  return r.bank ? knnAccuracy(embed(r.encoder, r.bank.x), r.bank.labels, testEmbedding, r.testLabels) : undefined;
}
