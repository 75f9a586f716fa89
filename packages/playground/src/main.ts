// The page: data, live augmentation views, training controls, plots and exports. Training runs
// in ./worker.ts; the page only draws what the worker reports.
import { augmentationGrid, init, runtimeInfo, toImageBatch, type ImageBatch } from 'contrastive';
import { loadMnist, loadUpload } from './data.js';
import { colour, LinePlot, Scatter } from './plots.js';
import {
  buildPipeline,
  DEFAULT_ENCODER,
  PRESETS,
  PX,
  recipeConfig,
  SIDE,
  type AugParams,
  type Dataset,
  type FromWorker,
  type PageEncoder,
  type PresetName,
  type ToWorker,
  type TrainConfig,
} from './shared.js';
import './style.css';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const PER_GRID = 3;
const AUG_KEYS = ['scaleMin', 'scaleMax', 'jitter', 'jitterP', 'affineP', 'flipP'] as const;

let dataset: Dataset | undefined;
let preview: ImageBatch | undefined;
let viewStep = 0;
let state: 'idle' | 'running' | 'paused' | 'done' | 'stopped' = 'idle';
let worker: Worker | undefined;
const urls: string[] = [];

const lossPlot = new LinePlot($('loss-plot'), { label: 'loss', stroke: '#e15759', xLabel: 'step' });
const knnPlot = new LinePlot($('knn-plot'), { label: 'kNN accuracy', stroke: '#4e79a7', xLabel: 'epoch', yRange: [0, 1], points: true });
const scatter = new Scatter($<HTMLCanvasElement>('scatter'), $('tip'));

function showError(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  const el = $('error');
  el.textContent = `Error: ${msg}`;
  el.hidden = false;
}

// ---- augmentations -------------------------------------------------------------------------

function augParams(): AugParams {
  const p = Object.fromEntries(AUG_KEYS.map((k) => [k, Number($<HTMLInputElement>(k).value)])) as unknown as AugParams;
  if (p.scaleMin > p.scaleMax) [p.scaleMin, p.scaleMax] = [p.scaleMax, p.scaleMin];
  return p;
}

function setAugParams(p: AugParams): void {
  for (const k of AUG_KEYS) $<HTMLInputElement>(k).value = String(p[k]);
}

let drawQueued = false;
function drawViews(): void {
  for (const k of AUG_KEYS) (document.querySelector(`output[data-for="${k}"]`) as HTMLOutputElement).value = Number($<HTMLInputElement>(k).value).toFixed(2);
  if (drawQueued || !preview) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    try {
      const pipeline = buildPipeline(augParams());
      // four grids of PER_GRID samples side by side (augmentationGrid draws one sample per row)
      const canvases = document.querySelectorAll<HTMLCanvasElement>('#grid canvas');
      canvases.forEach((c, g) => {
        const first = g * PER_GRID;
        const n = Math.min(PER_GRID, preview!.n - first);
        if (n <= 0) return void (c.hidden = true);
        const part: ImageBatch = { ...preview!, n, data: preview!.data.subarray(first * PX, (first + n) * PX) };
        const grid = augmentationGrid(part, pipeline, { seed: 1, step: viewStep, offset: first });
        c.hidden = false;
        c.width = grid.width;
        c.height = grid.height;
        c.getContext('2d')!.putImageData(new ImageData(grid.data as Uint8ClampedArray<ArrayBuffer>, grid.width, grid.height), 0, 0);
      });
    } catch (e) {
      showError(e);
    }
  });
}

// ---- data ----------------------------------------------------------------------------------

function useDataset(ds: Dataset): void {
  dataset = ds;
  $('data-status').textContent = ds.name;
  // the preview: the first 12 training images (for MNIST, the digits 0-9, 0, 1)
  const n = Math.min(4 * PER_GRID, ds.train.n);
  preview = toImageBatch({ data: ds.train.images.subarray(0, n * PX), height: SIDE, width: SIDE, channels: 1, n });
  $<HTMLButtonElement>('train').disabled = state === 'running' || state === 'paused';
  renderLegend(ds.classes);
  drawViews();
}

function renderLegend(classes: string[]): void {
  const el = $('legend');
  el.replaceChildren(
    ...classes.slice(0, 40).map((name, i) => {
      const s = document.createElement('span');
      s.innerHTML = `<i style="background:${colour(i)}"></i>`;
      s.append(name);
      return s;
    }),
  );
}

async function onUpload(input: HTMLInputElement): Promise<void> {
  const files = [...(input.files ?? [])];
  input.value = '';
  if (files.length === 0) return;
  const status = $('data-status');
  try {
    status.textContent = 'decoding…';
    useDataset(await loadUpload(files, (done, total) => (status.textContent = `decoding ${done} / ${total}…`)));
  } catch (e) {
    status.textContent = dataset ? dataset.name : '';
    showError(e);
  }
}

// ---- training ------------------------------------------------------------------------------

function config(): TrainConfig {
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  // a batch cannot be larger than the training set (fit drops the last partial batch)
  const n = dataset?.train.n ?? Infinity;
  if (num('batchSize') > n) $<HTMLInputElement>('batchSize').value = String(n);
  return {
    // the recipe of the chosen encoder, with the settings the page shows as edited
    ...recipeConfig(encoder()),
    temperature: num('temperature'),
    batchSize: Math.round(num('batchSize')),
    lr: num('lr'),
    epochs: Math.round(num('epochs')),
    aug: augParams(),
  };
}

const encoder = () => $<HTMLSelectElement>('encoder').value as PageEncoder;

/** Shows the training settings of `c` (the encoder's recipe when the page opens or the encoder changes). */
function setTrainFields(c: TrainConfig): void {
  $<HTMLSelectElement>('encoder').value = c.encoder;
  for (const k of ['temperature', 'batchSize', 'lr', 'epochs'] as const) $<HTMLInputElement>(k).value = String(c[k]);
}

function setState(s: typeof state): void {
  state = s;
  const active = s === 'running' || s === 'paused';
  $<HTMLButtonElement>('train').disabled = active || !dataset;
  $<HTMLButtonElement>('pause').disabled = !active;
  $<HTMLButtonElement>('pause').textContent = s === 'paused' ? 'Resume' : 'Pause';
  $<HTMLButtonElement>('stop').disabled = !active;
  $<HTMLButtonElement>('export').disabled = s === 'idle';
  $('train-state').textContent = s === 'idle' ? '' : s;
}

function send(m: ToWorker): void {
  worker?.postMessage(m);
}

function onMessage(m: FromWorker): void {
  switch (m.type) {
    case 'ready':
      $('total').textContent = ` / ${m.totalSteps}`;
      $('knn-caption').textContent =
        `test accuracy, k = 20, per epoch${m.pixelKnn === undefined ? ' (needs 2+ classes)' : ` · raw pixels: ${(100 * m.pixelKnn).toFixed(1)}%`}`;
      $('runtime').textContent =
        `wasm ${m.variant} · ${m.params.toLocaleString('en')} parameters · ${m.stepsPerEpoch} step${m.stepsPerEpoch === 1 ? '' : 's'} per epoch`;
      break;
    case 'step':
      $('step').textContent = String(m.step);
      $('loss').textContent = m.loss.toFixed(4);
      $('sps').textContent = m.samplesPerSecond.toFixed(0);
      lossPlot.push(m.step, m.loss);
      break;
    case 'epoch': {
      if (m.knn !== undefined) {
        $('knn').textContent = `${(100 * m.knn).toFixed(1)}%`;
        knnPlot.push(m.epoch, m.knn);
      }
      const ds = dataset!;
      scatter.setData(m.xy, ds.test.labels, ds.test.images, ds.classes);
      const c = $('scatter');
      c.dataset.epoch = String(m.epoch);
      c.dataset.step = String(m.step);
      $('scatter-caption').textContent =
        `PCA, coloured by label · ${m.step === 0 ? 'before training' : `epoch ${Number.isInteger(m.epoch) ? m.epoch : m.epoch.toFixed(2)}, step ${m.step}`}`;
      break;
    }
    case 'state':
      setState(m.state);
      break;
    case 'export': {
      for (const u of urls.splice(0)) URL.revokeObjectURL(u);
      const link = (id: string, blob: Blob) => {
        const a = $<HTMLAnchorElement>(id);
        const u = URL.createObjectURL(blob);
        urls.push(u);
        a.href = u;
        a.hidden = false;
      };
      link('dl-safetensors', new Blob([m.safetensors as BlobPart], { type: 'application/octet-stream' }));
      link('dl-npy', new Blob([m.npy as BlobPart], { type: 'application/octet-stream' }));
      link('dl-csv', new Blob([m.csv], { type: 'text/csv' }));
      break;
    }
    case 'error':
      showError(m.message);
      setState('stopped');
      break;
  }
}

function train(): void {
  if (!dataset) return;
  worker?.terminate();
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(e.data);
  worker.onerror = (e) => showError(e.message || 'the training worker failed to start');
  lossPlot.reset();
  knnPlot.reset();
  scatter.clear();
  for (const id of ['dl-safetensors', 'dl-npy', 'dl-csv']) $(id).hidden = true;
  $('step').textContent = '0';
  $('loss').textContent = '–';
  $('knn').textContent = '–';
  $('error').hidden = true;
  $('scatter').dataset.epoch = '-1';
  setState('running');
  send({ type: 'start', config: config(), data: dataset });
}

// ---- wiring --------------------------------------------------------------------------------

async function main(): Promise<void> {
  // the page opens on the default run: the default encoder's recipe (test/playground/default-run.node.test.ts)
  const defaults = recipeConfig(DEFAULT_ENCODER);
  setTrainFields(defaults);
  setAugParams(defaults.aug);
  $('encoder').addEventListener('change', () => setTrainFields(recipeConfig(encoder())));
  $('preset').addEventListener('change', () => {
    setAugParams(PRESETS[$<HTMLSelectElement>('preset').value as PresetName]);
    drawViews();
  });
  for (const k of AUG_KEYS) $(k).addEventListener('input', drawViews);
  $('reroll').addEventListener('click', () => {
    viewStep++;
    drawViews();
  });
  $('train').addEventListener('click', train);
  $('pause').addEventListener('click', () => send({ type: state === 'paused' ? 'resume' : 'pause' }));
  $('stop').addEventListener('click', () => send({ type: 'stop' }));
  $('export').addEventListener('click', () => send({ type: 'export' }));
  $('upload-dir').addEventListener('change', (e) => void onUpload(e.target as HTMLInputElement));
  $('upload-files').addEventListener('change', (e) => void onUpload(e.target as HTMLInputElement));
  $('use-mnist').addEventListener('click', () => void loadMnist('data/mnist.bin.gz').then(useDataset, showError));
  await init();
  $('runtime').textContent = `contrastive ${runtimeInfo().version} · wasm ${runtimeInfo().variant}`;
  useDataset(await loadMnist('data/mnist.bin.gz'));
}

main().catch(showError);
