// What every `contrastive train` path shares once its trainer and data are built: resume from a
// --checkpoint, the progress bar, the epochs of `fit` with checkpoints and the kNN monitor, and
// the closing line (or JSON object); and the tails of eval and embed.
import cliProgress from 'cli-progress';
import { fit, knnAccuracy, linearProbe, runtimeInfo, writeNpy, type FitOptions, type FitResult, type Matrix, type TrainData, type Trainer } from 'contrastive';
import { resumeTrainer, writeTrainState, type RunSettings } from './checkpoint.js';
import { atomicWrite } from './output.js';

export const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The train flags the loop reads: --batch-size, --seed, --checkpoint, --checkpoint-every, --resume, --json. */
export interface LoopFlags {
  batchSize: number;
  seed: number;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  /** no progress bar */
  json?: boolean;
}

export interface TrainingRun {
  trainer: Trainer;
  data: TrainData;
  epochs: number;
  /** steps the run takes in all (the progress bar's total) */
  steps: number;
  monitor?: FitOptions['monitor'];
  /** what a --resume must match: the settings that determine the run's steps */
  run: RunSettings;
}

/** Resumes (with --resume), then trains for the run's epochs with a progress bar on stderr and checkpoints. */
export async function runTraining(flags: LoopFlags, r: TrainingRun): Promise<FitResult> {
  const o = { ...flags, ...r };
  if (o.resume) await resumeTrainer(o.resume, o.trainer, o.run);
  const bar = o.json
    ? undefined
    : new cliProgress.SingleBar(
        {
          format: 'epoch {epoch}/{epochs} |{bar}| step {value}/{total}  loss {loss}  {rate} samples/s  ETA {eta_formatted}{knn}',
          hideCursor: true,
          stream: process.stderr,
          // in a log (no terminal) print the line every 5 s instead of redrawing it
          noTTYOutput: true,
          notTTYSchedule: 5000,
        },
        cliProgress.Presets.shades_classic,
      );
  bar?.start(o.steps, o.trainer.stepCount, { epoch: 1, epochs: o.epochs, loss: '-', rate: '-', knn: '' });
  let knnText = '';
  const stepsPerEpoch = Math.floor(o.data.n / o.batchSize);
  const result = await fit(o.trainer, o.data, {
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    monitor: o.monitor,
    onStep: (e) => bar?.update(e.step, { epoch: e.epoch, loss: e.loss.toFixed(4), rate: e.samplesPerSecond.toFixed(0), knn: knnText }),
    onEpoch: (e) => {
      if (e.knnAccuracy !== undefined) knnText = `  kNN ${pct(e.knnAccuracy)}`;
    },
    checkpoint: o.checkpoint ? { every: o.checkpointEvery ?? stepsPerEpoch, write: (s) => writeTrainState(o.checkpoint!, s, o.run) } : undefined,
  });
  bar?.stop();
  return result;
}

/** The fields every train summary has, from the run's result. */
export function trainSummary(result: FitResult, epochs: number, recipe: Record<string, unknown>) {
  return {
    epochs,
    steps: result.steps,
    seconds: result.seconds,
    recipe,
    firstLoss: result.losses[0],
    finalLoss: result.losses.at(-1),
    knnAccuracy: result.knnAccuracy,
    variant: runtimeInfo().variant,
    threads: runtimeInfo().threads,
  };
}

/** `loss a -> b in s` of a summary, for the closing line. */
export const lossText = (s: ReturnType<typeof trainSummary>) =>
  `loss ${s.firstLoss?.toFixed(3) ?? '-'} -> ${s.finalLoss?.toFixed(3) ?? '-'} in ${s.seconds.toFixed(1)} s`;

/** Prints the summary as one JSON object (--json) or as the line `text` gives. */
export function report<T>(summary: T, json: boolean | undefined, text: (s: T) => string): void {
  if (json) console.log(JSON.stringify(summary));
  else console.log(text(summary));
}

/** `eval`'s measurement and output: a linear probe and weighted kNN of train features against test features. */
export function evaluate(
  o: { features: string; train: Matrix; trainLabels: ArrayLike<number>; test: Matrix; testLabels: ArrayLike<number>; knnK: number; json?: boolean },
  t0: number,
): void {
  const probe = linearProbe(o.train, o.trainLabels, o.test, o.testLabels);
  const knn = knnAccuracy(o.train, o.trainLabels, o.test, o.testLabels, { k: o.knnK });
  const result = {
    features: o.features,
    linearProbeAccuracy: probe.accuracy,
    knnAccuracy: knn,
    probeWeightDecay: probe.weightDecay,
    dims: o.train.cols,
    train: o.train.rows,
    test: o.test.rows,
    seconds: (performance.now() - t0) / 1000,
    variant: runtimeInfo().variant,
  };
  report(
    result,
    o.json,
    (r) => `${r.features}: linear probe ${pct(r.linearProbeAccuracy)}, kNN ${pct(r.knnAccuracy)} (${r.train} train / ${r.test} test, ${r.dims} dims)`,
  );
}

/** `embed`'s output: the embeddings as .npy (and, for folders, the file list beside it: row i is file i). */
export async function writeEmbeddings(out: string, z: Matrix, files?: string[]): Promise<void> {
  await atomicWrite(out, writeNpy([z.rows, z.cols], z.data));
  if (files) await atomicWrite(`${out}.files.txt`, `${files.join('\n')}\n`);
  console.log(`wrote ${z.rows} x ${z.cols} embeddings to ${out}${files ? ` (rows in the order of ${out}.files.txt)` : ''}`);
}
