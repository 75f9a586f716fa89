// What the page and the training worker agree on: the dataset, the augmentation settings and
// the messages between them.
import {
  colorJitter,
  compose,
  randomAffine,
  randomApply,
  randomHorizontalFlip,
  randomResizedCrop,
  RECIPES,
  type EncoderName,
  type ImageOp,
  type Pipeline,
  type Recipe,
} from 'contrastive';

export const SIDE = 28;
export const PX = SIDE * SIDE;

/** 28 x 28 grayscale images, uint8, row-major, one after another; labels index `classes`. */
export interface ImageSet {
  images: Uint8Array;
  labels: Uint8Array;
  n: number;
}

export interface Dataset {
  name: string;
  train: ImageSet;
  test: ImageSet;
  /** display names of the labels (digits '0'..'9', or folder names of an upload) */
  classes: string[];
}

export type PresetName = 'small-gray' | 'simclr';

/** The knobs of the view pipeline (all at 28 x 28, one channel). */
export interface AugParams {
  /** RandomResizedCrop area fraction range */
  scaleMin: number;
  scaleMax: number;
  /** ColorJitter brightness = contrast factor range half-width, and its RandomApply probability */
  jitter: number;
  jitterP: number;
  /** RandomApply probability of RandomAffine(±10°, translate 10%, scale 0.9..1.1) */
  affineP: number;
  /** RandomHorizontalFlip probability */
  flipP: number;
}

/**
 * The presets' settings. 'small-gray' is contrastive's `smallGrayscale()` exactly; 'simclr' is
 * `simclrCifar10()` (Chen et al. 2020, B.9: crop scale 0.08..1, flip, colour strength 0.5) at 28 px
 * on one channel, where saturation, hue and grayscale do nothing and are left out.
 */
export const PRESETS: Record<PresetName, AugParams> = {
  'small-gray': { scaleMin: 0.3, scaleMax: 1, jitter: 0.4, jitterP: 0.8, affineP: 0.5, flipP: 0 },
  simclr: { scaleMin: 0.08, scaleMax: 1, jitter: 0.4, jitterP: 0.8, affineP: 0, flipP: 0.5 },
};

export function buildPipeline(p: AugParams): Pipeline {
  const ops: ImageOp[] = [randomResizedCrop({ size: SIDE, scale: [p.scaleMin, p.scaleMax], ratio: [3 / 4, 4 / 3] }) as ImageOp];
  if (p.affineP > 0)
    ops.push(randomApply(p.affineP, randomAffine({ degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1], interpolation: 'bilinear' })) as ImageOp);
  if (p.flipP > 0) ops.push(randomHorizontalFlip({ p: p.flipP }) as ImageOp);
  if (p.jitter > 0 && p.jitterP > 0) ops.push(randomApply(p.jitterP, colorJitter({ brightness: p.jitter, contrast: p.jitter })) as ImageOp);
  return compose(...ops);
}

/** What one training run uses: the encoder, its recipe's settings (some editable on the page) and the views. */
export interface TrainConfig {
  encoder: EncoderName;
  temperature: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  schedule: Recipe['schedule'];
  epochs: number;
  seed: number;
  aug: AugParams;
}

/** The encoders the page offers (index.html), by their library names (the CLI's `--encoder`). */
export type PageEncoder = 'mlp' | 'conv';

/** Epochs of the page's default run: a minute or two in a browser, long enough to see the monitor rise. */
export const DEFAULT_EPOCHS = 5;
/**
 * The encoder the page starts with: the CNN, whose kNN monitor rises within the default epochs
 * (test/playground/default-run.node.test.ts); on 5,000 digits the MLP's starts near raw pixels'
 * kNN and takes longer to pass it.
 */
export const DEFAULT_ENCODER: PageEncoder = 'conv';

/**
 * The library's recipe for `encoder` (contrastive's RECIPES, as `contrastive train` runs it), on the
 * page's smaller data: DEFAULT_EPOCHS epochs, and the small-gray views with the recipe's crops.
 */
export function recipeConfig(encoder: PageEncoder, seed = 0): TrainConfig {
  const r = RECIPES[encoder];
  return {
    encoder,
    temperature: r.temperature,
    batchSize: r.batchSize,
    lr: r.lr,
    weightDecay: r.weightDecay,
    schedule: r.schedule,
    epochs: DEFAULT_EPOCHS,
    seed,
    aug: { ...PRESETS['small-gray'], scaleMin: r.cropScale[0], scaleMax: r.cropScale[1] },
  };
}

export type ToWorker = { type: 'start'; config: TrainConfig; data: Dataset } | { type: 'pause' } | { type: 'resume' } | { type: 'stop' } | { type: 'export' };

export type FromWorker =
  | { type: 'ready'; variant: string; params: number; stepsPerEpoch: number; totalSteps: number; pixelKnn?: number }
  | { type: 'step'; step: number; totalSteps: number; epoch: number; loss: number; samplesPerSecond: number }
  | { type: 'epoch'; epoch: number; step: number; meanLoss?: number; knn?: number; xy: Float32Array; seconds?: number }
  | { type: 'state'; state: 'running' | 'paused' | 'done' | 'stopped' }
  | { type: 'export'; safetensors: Uint8Array; npy: Uint8Array; csv: string; dim: number }
  | { type: 'error'; message: string };
