// Epochs of Trainer steps: shuffling, progress, a kNN monitor, checkpoints, cancellation.
import { ContrastiveError } from '../errors.js';
import { knnAccuracy } from '../eval/knn.js';
import type { Module, Tensor } from '../nn/module.js';
import { mulberry32 } from '../rng.js';
import type { Matrix } from '../types.js';
import { checkInt, checkObject, describe } from '../validate.js';
import { toTensor, type TensorLike } from './data.js';
import type { Trainer, TrainerState, Views } from './trainer.js';

/** Where the samples come from: `views` builds the two inputs of a step for some sample indices. */
export interface TrainData {
  /** number of samples */
  n: number;
  /** the two views of samples `indices`; `step` seeds the augmentations (same step, same views) */
  views(indices: Int32Array, step: number): Views;
  /** class labels, for SupCon (ignored by the other methods) */
  labels?: ArrayLike<number>;
}

export interface StepEvent {
  epoch: number;
  /** 1-based step within the whole run */
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  temperature: number;
  samplesPerSecond: number;
  etaSeconds: number;
}

export interface EpochEvent {
  epoch: number;
  meanLoss: number;
  /** the kNN monitor's accuracy on the held-out rows, when a monitor is set and due */
  knnAccuracy?: number;
  seconds: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** seed of the data order (default 0); with seeded augmentations the whole run is reproducible */
  seed?: number;
  signal?: AbortSignal;
  onStep?: (e: StepEvent) => void;
  onEpoch?: (e: EpochEvent) => void | Promise<void>;
  /** Weighted kNN (k = 20, T = 0.07) of `encoder`'s embeddings of `test` against `train`, every `every` epochs (default 1). */
  monitor?: { encoder: Module; train: { x: TensorLike; labels: ArrayLike<number> }; test: { x: TensorLike; labels: ArrayLike<number> }; every?: number };
  /** Called with the full trainer state every `every` steps and at the end (write it atomically). */
  checkpoint?: { every: number; write: (state: TrainerState) => void | Promise<void> };
}

export interface FitResult {
  steps: number;
  epochs: number;
  losses: number[];
  seconds: number;
  /** true when the signal stopped the run early */
  aborted: boolean;
  knnAccuracy?: number;
}

/** A macrotask boundary, so an AbortSignal (or a Worker's pause message) is seen between steps. */
const yieldToEvents = (): Promise<void> =>
  typeof setImmediate === 'function'
    ? new Promise((r) => setImmediate(r))
    : new Promise((r) => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => {
          ch.port1.close();
          r();
        };
        ch.port2.postMessage(null);
      });

/** The permutation of epoch `epoch`: Fisher-Yates driven by mulberry32 seeded with a hash of (seed, epoch). */
export function epochOrder(n: number, seed: number, epoch: number): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca77));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx;
}

/** Embeds a tensor with `encoder` in eval mode, in batches of 512 rows. */
export function embed(encoder: Module, input: TensorLike, batch = 512): Matrix {
  if (encoder === null || typeof encoder !== 'object' || typeof (encoder as Module).forwardTensor !== 'function') {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `embed: encoder must be a Module (mlp(...), convNet32(...), a Sequential), got ${encoder === null ? 'null' : typeof encoder}`,
    );
  }
  if (!Number.isInteger(batch) || batch < 1) throw new ContrastiveError('INVALID_ARGUMENT', `embed: batch must be a positive integer, got ${String(batch)}`);
  const x = toTensor(input, 'x', 'embed');
  const n = x.shape[0];
  const per = x.data.length / n;
  let out: Float32Array | undefined;
  let cols = 0;
  for (let r0 = 0; r0 < n; r0 += batch) {
    const r1 = Math.min(n, r0 + batch);
    const y = encoder.forwardTensor({ data: x.data.subarray(r0 * per, r1 * per), shape: [r1 - r0, ...x.shape.slice(1)] });
    cols = y.data.length / (r1 - r0);
    out ??= new Float32Array(n * cols);
    out.set(y.data, r0 * cols);
  }
  return { data: out!, rows: n, cols };
}

/**
 * Trains for `epochs` epochs of floor(n / batchSize) steps (the last partial batch is dropped,
 * as SimCLR does: the loss's negatives depend on the batch). Resumes where `trainer.stepCount`
 * says, with the same data order and augmentations as an uninterrupted run.
 *
 * @example
 * ```ts
 * const data = imageTrainData(images, smallGrayscale(), { seed: 0 }); // images: an ImageBatch
 * const result = await fit(trainer, data, {
 *   epochs: 10, batchSize: 256, seed: 0, signal: controller.signal,
 *   onStep: (e) => console.log(e.step, e.loss, e.samplesPerSecond, e.etaSeconds),
 * });
 * console.log(result.losses.at(-1), result.seconds);
 * ```
 */
export async function fit(trainer: Trainer, data: TrainData, opts: FitOptions): Promise<FitResult> {
  const op = 'fit';
  checkObject(trainer, 'trainer', op);
  checkObject(data, 'data', op);
  if (opts === null || typeof opts !== 'object')
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: options { epochs, batchSize } are required (options must be an object), got ${describe(opts)}`);
  const { epochs, batchSize } = opts;
  checkInt(data.n, 'data.n', op, 1);
  if (typeof data.views !== 'function')
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${op}: data.views must be a function (indices, step) => [view1, view2], got ${describe(data.views)}: data must be a TrainData { n, views, labels? } (imageTrainData, uint8ImageTrainData, vectorTrainData, pairTrainData build one)`,
    );
  if (data.labels !== undefined && (data.labels === null || typeof data.labels.length !== 'number' || data.labels.length !== data.n)) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${op}: data.labels must have data.n = ${data.n} entries, got ${describe(data.labels)}`);
  }
  if (!Number.isInteger(epochs) || epochs < 1)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: epochs must be a positive integer, got ${describe(epochs)}`);
  if (!Number.isInteger(batchSize) || batchSize < 2)
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: batchSize must be an integer >= 2, got ${describe(batchSize)}`);
  if (batchSize > data.n) throw new ContrastiveError('INVALID_ARGUMENT', `${op}: batchSize ${batchSize} is larger than the ${data.n} samples`);
  if (opts.seed !== undefined) checkInt(opts.seed, 'seed', op, 0);
  if (opts.checkpoint && !(Number.isInteger(opts.checkpoint.every) && opts.checkpoint.every > 0)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${op}: checkpoint.every must be a positive integer, got ${describe(opts.checkpoint.every)}`);
  }
  const perEpoch = Math.floor(data.n / batchSize);
  const total = perEpoch * epochs;
  const seed = opts.seed ?? 0;
  const losses: number[] = [];
  const t0 = performance.now();
  const startStep = trainer.stepCount;
  let epochLoss = 0;
  let epochSteps = 0;
  let epochStart = performance.now();
  let knn: number | undefined;
  let order = epochOrder(data.n, seed, Math.floor(startStep / perEpoch));
  while (trainer.stepCount < total) {
    if (opts.signal?.aborted)
      return {
        steps: trainer.stepCount,
        epochs: trainer.stepCount / perEpoch,
        losses,
        seconds: (performance.now() - t0) / 1000,
        aborted: true,
        knnAccuracy: knn,
      };
    const step = trainer.stepCount;
    const epoch = Math.floor(step / perEpoch);
    const pos = step % perEpoch;
    if (pos === 0 && step !== startStep) order = epochOrder(data.n, seed, epoch);
    const idx = order.subarray(pos * batchSize, (pos + 1) * batchSize);
    const labels = data.labels ? Int32Array.from(idx, (i) => data.labels![i]) : undefined;
    const r = trainer.step(data.views(idx, step), labels);
    if (!Number.isFinite(r.loss))
      throw new ContrastiveError('NON_FINITE', `${op}: loss diverged at step ${step + 1} (the loss is ${r.loss}); lower the learning rate`);
    losses.push(r.loss);
    epochLoss += r.loss;
    epochSteps++;
    const done = trainer.stepCount - startStep;
    const elapsed = (performance.now() - t0) / 1000;
    opts.onStep?.({
      epoch: epoch + 1,
      step: trainer.stepCount,
      totalSteps: total,
      loss: r.loss,
      lr: r.lr,
      temperature: r.temperature,
      samplesPerSecond: (done * batchSize) / elapsed,
      etaSeconds: (elapsed / done) * (total - trainer.stepCount),
    });
    if (opts.checkpoint && (trainer.stepCount % opts.checkpoint.every === 0 || trainer.stepCount === total)) await opts.checkpoint.write(trainer.state());
    if (trainer.stepCount % perEpoch === 0) {
      const m = opts.monitor;
      if (m && ((epoch + 1) % (m.every ?? 1) === 0 || trainer.stepCount === total)) {
        knn = knnAccuracy(embed(m.encoder, m.train.x), m.train.labels, embed(m.encoder, m.test.x), m.test.labels);
      }
      await opts.onEpoch?.({ epoch: epoch + 1, meanLoss: epochLoss / epochSteps, knnAccuracy: knn, seconds: (performance.now() - epochStart) / 1000 });
      epochLoss = 0;
      epochSteps = 0;
      epochStart = performance.now();
    }
    await yieldToEvents();
  }
  return { steps: trainer.stepCount, epochs, losses, seconds: (performance.now() - t0) / 1000, aborted: false, knnAccuracy: knn };
}
