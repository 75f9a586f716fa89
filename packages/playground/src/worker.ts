// The training worker: builds the model, runs `fit` and reports every step and epoch to the page.
// Pause aborts `fit` between steps; resume calls `fit` again, which continues at
// trainer.stepCount with the same data order and views as an uninterrupted run.
import { embed, fit, init, knnAccuracy, pca, runtimeInfo, saveSafetensors, writeCsv, writeNpy } from 'contrastive';
import { createRun, monitorKnn, type RunParts } from './run.js';
import { PX, type Dataset, type FromWorker, type ToWorker, type TrainConfig } from './shared.js';

interface WorkerScope {
  postMessage(m: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker, transfer: Transferable[] = []) => scope.postMessage(m, transfer);

interface Run extends RunParts {
  config: TrainConfig;
  controller: AbortController;
  state: 'running' | 'paused' | 'done' | 'stopped';
  lastEmbedding?: { data: Float32Array; rows: number; cols: number };
}
let run: Run | undefined;

/** The test embeddings in 2-D (PCA), and the kNN accuracy of the bank against them. */
function snapshot(r: Run): { xy: Float32Array; knn?: number } {
  const z = embed(r.encoder, r.test);
  r.lastEmbedding = z;
  const xy = pca(z, 2).projected.data.slice();
  const knn = monitorKnn(r, z);
  return { xy, knn };
}

async function start(config: TrainConfig, ds: Dataset): Promise<void> {
  await init();
  const parts = createRun(config, ds);
  const { trainer, bank } = parts;
  run = { ...parts, config, controller: new AbortController(), state: 'running' };
  const params = trainer.model.namedParameters().reduce((s, [, p]) => s + p.size, 0);
  // the baseline to beat: the same kNN on raw pixels
  const bankN = bank ? bank.labels.length : 0;
  const pixelKnn = bank
    ? knnAccuracy({ data: bank.x.data, rows: bankN, cols: PX }, bank.labels, { data: run.test.data, rows: ds.test.n, cols: PX }, ds.test.labels)
    : undefined;
  post({ type: 'ready', variant: runtimeInfo().variant, params, stepsPerEpoch: parts.stepsPerEpoch, totalSteps: parts.totalSteps, pixelKnn });
  const s0 = snapshot(run);
  post({ type: 'epoch', epoch: 0, step: 0, knn: s0.knn, xy: s0.xy }, [s0.xy.buffer]);
  await loop(run);
}

async function loop(r: Run): Promise<void> {
  r.state = 'running';
  post({ type: 'state', state: 'running' });
  const c = r.config;
  const res = await fit(r.trainer, r.data, {
    epochs: c.epochs,
    batchSize: c.batchSize,
    seed: c.seed,
    signal: r.controller.signal,
    onStep: (e) => post({ type: 'step', step: e.step, totalSteps: e.totalSteps, epoch: e.epoch, loss: e.loss, samplesPerSecond: e.samplesPerSecond }),
    onEpoch: (e) => {
      const s = snapshot(r);
      post({ type: 'epoch', epoch: e.epoch, step: r.trainer.stepCount, meanLoss: e.meanLoss, knn: s.knn, xy: s.xy, seconds: e.seconds }, [s.xy.buffer]);
    },
  });
  if (r !== run) return;
  if (!res.aborted) {
    r.state = 'done';
    post({ type: 'state', state: 'done' });
  } else if ((r.state as Run['state']) === 'stopped') {
    const s = snapshot(r);
    post({ type: 'epoch', epoch: r.trainer.stepCount / Math.floor(r.data.n / c.batchSize), step: r.trainer.stepCount, knn: s.knn, xy: s.xy }, [s.xy.buffer]);
    post({ type: 'state', state: 'stopped' });
  } else {
    r.state = 'paused';
    post({ type: 'state', state: 'paused' });
  }
}

function exportRun(r: Run): void {
  const z = r.lastEmbedding ?? embed(r.encoder, r.test);
  const safetensors = saveSafetensors(r.encoder.stateDict());
  const npy = writeNpy([z.rows, z.cols], z.data);
  const withLabel = new Float32Array(z.rows * (z.cols + 1));
  for (let i = 0; i < z.rows; i++) {
    withLabel[i * (z.cols + 1)] = r.testLabels[i];
    withLabel.set(z.data.subarray(i * z.cols, (i + 1) * z.cols), i * (z.cols + 1) + 1);
  }
  const header = ['label', ...Array.from({ length: z.cols }, (_, j) => `e${j}`)];
  const csv = writeCsv({ data: withLabel, rows: z.rows, cols: z.cols + 1 }, header);
  post({ type: 'export', safetensors, npy, csv, dim: z.cols }, [safetensors.buffer, npy.buffer]);
}

scope.onmessage = (e) => {
  const m = e.data;
  const fail = (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  try {
    switch (m.type) {
      case 'start':
        if (run) run.controller.abort();
        run = undefined;
        start(m.config, m.data).catch(fail);
        break;
      case 'pause':
        if (run?.state === 'running') run.controller.abort();
        break;
      case 'resume':
        if (run?.state === 'paused') {
          run.controller = new AbortController();
          loop(run).catch(fail);
        }
        break;
      case 'stop':
        if (run?.state === 'running') {
          run.state = 'stopped';
          run.controller.abort();
        } else if (run?.state === 'paused') {
          run.state = 'stopped';
          post({ type: 'state', state: 'stopped' });
        }
        break;
      case 'export':
        if (run) exportRun(run);
        break;
    }
  } catch (err) {
    fail(err);
  }
};
