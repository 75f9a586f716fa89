// train / eval / embed on the user's own data (`--data`, `--train-data`, `--test-data`): image
// folders, tables and pairs, with the encoder and recipe picked from what the data is.
import { join } from 'node:path';
import {
  AdamW,
  ContrastiveError,
  embed,
  presets,
  recipeSchedule,
  runtimeInfo,
  scarf,
  takeRows,
  toImageBatch,
  Trainer,
  trainValTestSplit,
  uint8ImageTrainData,
  pairTrainData,
  vectorTrainData,
  type Matrix,
  type Module,
  type TrainData,
} from 'contrastive';
import { evaluate, lossText, pct, report, runTraining, trainSummary, writeEmbeddings } from './training.js';
import { prepareOutputs } from './output.js';
import { alignClasses, applyScaling, fitScaling, loadData, type DataOptions, type LoadedData } from './data-input.js';
import type { ImageSet } from './data.js';
import { buildEncoder, defaultSpec, loadEncoder, RECIPES, saveEncoder, type EncoderSpec } from './model.js';
import { LABELED_METHODS, methodParts } from './methods.js';
import { freezePrefixes, initFrom } from './resnet.js';

const fail = (msg: string) => new ContrastiveError('INVALID_ARGUMENT', msg);

/**
 * The recipe for vectors (tables): an MLP D-256-128 on standardized columns, SCARF corruption at
 * rate 0.6 (Bahri et al. 2022), NT-Xent. Images use the encoder recipes of model.ts.
 */
export const VECTOR_RECIPE = { epochs: 20, lr: 1e-3, weightDecay: 1e-5, schedule: 'cosine' as const, temperature: 0.5, scarfRate: 0.6 };
/** Pairs (two towers, CLIP's symmetric InfoNCE): one MLP D-256-128 per side. */
export const PAIR_RECIPE = { epochs: 20, lr: 1e-3, weightDecay: 1e-5, schedule: 'cosine' as const, temperature: 0.1 };

/** The data flags as commander gives them: DataOptions' fields, with --data-format and --channels as typed. */
export interface DataFlags extends Omit<DataOptions, 'format' | 'channels' | 'input'> {
  data?: string;
  dataFormat?: string;
  channels?: string;
}

export const dataOptions = (o: DataFlags, input?: [number, number, number]): DataOptions => {
  if (o.channels !== undefined && o.channels !== '1' && o.channels !== '3') throw fail(`--channels must be 1 or 3, got ${o.channels}`);
  // with a model, images are loaded at its input size: a flag that says otherwise is a mistake
  if (input && o.channels !== undefined && Number(o.channels) !== input[0])
    throw new ContrastiveError('SHAPE_MISMATCH', `--channels ${o.channels}: the model encodes ${input[0]}-channel images`);
  if (input && o.imageSize !== undefined && (o.imageSize !== input[1] || o.imageSize !== input[2]))
    throw new ContrastiveError('SHAPE_MISMATCH', `--image-size ${o.imageSize}: the model encodes ${input[1]}x${input[2]} images`);
  return {
    format: o.dataFormat,
    imageSize: o.imageSize,
    channels: o.channels === undefined ? undefined : (Number(o.channels) as 1 | 3),
    labels: o.labels,
    labelColumn: o.labelColumn,
    categorical: o.categorical,
    ignoreColumns: o.ignoreColumns,
    skipBadImages: o.skipBadImages,
    anchorColumns: o.anchorColumns,
    positiveColumns: o.positiveColumns,
    negativeColumns: o.negativeColumns,
    input,
  };
};

const imageRows = (s: ImageSet) => {
  const b = toImageBatch({ data: s.images, n: s.n, height: s.height, width: s.width, channels: s.channels as 1 | 3 });
  return { data: b.data, rows: b.n, cols: b.channels * b.height * b.width };
};

const subsetImages = (s: ImageSet, idx: Int32Array): ImageSet => ({
  ...s,
  images: takeRows(s.images, s.n, idx),
  n: idx.length,
  labels: s.labels ? Int32Array.from(idx, (i) => s.labels![i]) : undefined,
});
const subsetRows = (x: Matrix, idx: Int32Array): Matrix => ({ data: takeRows(x.data, x.rows, idx), rows: idx.length, cols: x.cols });

const labelsOf = (d: LoadedData) => (d.kind === 'images' ? d.set.labels : d.kind === 'vectors' ? d.labels : undefined);
const countOf = (d: LoadedData) => (d.kind === 'images' ? d.set.n : d.kind === 'vectors' ? d.x.rows : d.a.rows);

/** Splits off --val-split of the data (stratified when labeled) as the held-out set. */
function splitData(d: LoadedData, val: number, seed: number, requireVal = true): { train: LoadedData; test: LoadedData } {
  const labels = labelsOf(d);
  const s = trainValTestSplit(labels ?? countOf(d), { val, seed });
  if (s.val.length === 0 && requireVal) throw fail(`--val-split ${val} of ${countOf(d)} samples leaves no validation samples`);
  const part = (idx: Int32Array): LoadedData => {
    if (d.kind === 'images') return { ...d, set: subsetImages(d.set, idx), files: d.files ? Array.from(idx, (i) => d.files![i]) : undefined };
    if (d.kind === 'vectors') return { ...d, x: subsetRows(d.x, idx), labels: d.labels ? Int32Array.from(idx, (i) => d.labels![i]) : undefined };
    return { ...d, a: subsetRows(d.a, idx), b: subsetRows(d.b, idx), ...(d.neg ? { neg: subsetRows(d.neg, idx) } : {}) };
  };
  return { train: part(s.train), test: part(s.val) };
}

/** --max-samples on --data: a seeded sample of `max` (stratified by label), not the first rows (folders are sorted by class). */
function sample(d: LoadedData, max: number | undefined, seed: number): LoadedData {
  const n = countOf(d);
  if (max === undefined || max >= n) return d;
  return splitData(d, 1 - max / n, seed, false).train;
}

/** The input shape a loaded set gives an encoder: [C, H, W] for images, [1, 1, D] for vectors. */
const inputOf = (d: LoadedData): [number, number, number] =>
  d.kind === 'images' ? [d.set.channels, d.set.height, d.set.width] : d.kind === 'vectors' ? [1, 1, d.x.cols] : [1, 1, d.a.cols];

function checkInput(spec: EncoderSpec, d: LoadedData, model: string, path: string): void {
  const want = spec.data === 'vectors' ? 'vectors' : 'images';
  const got = d.kind === 'images' ? 'images' : 'vectors';
  if (want !== got) throw new ContrastiveError('SHAPE_MISMATCH', `${model} encodes ${want}, ${path} holds ${d.kind}`);
  if (inputOf(d).join('x') !== spec.input.join('x')) {
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `${model} encodes ${want === 'vectors' ? `${spec.input[2]}-dimensional vectors` : `${spec.input.join('x')} images`}, ${path} holds ${want === 'vectors' ? `${inputOf(d)[2]}-dimensional vectors` : inputOf(d).join('x')}`,
    );
  }
}

/** Features of a loaded set: the encoder's embeddings, or (no encoder) raw pixels in [0, 1] / the standardized columns. */
function features(d: LoadedData, encoder?: Module, spec?: EncoderSpec, scaling?: { mean: number[]; std: number[] }): Matrix {
  if (d.kind === 'pairs') throw fail(`${d.name} holds pairs; eval and embed take images or vectors`);
  const x = d.kind === 'images' ? imageRows(d.set) : applyScaling(d.x, spec?.standardize ?? scaling);
  return encoder ? embed(encoder, x) : x;
}

export interface TrainFlags extends DataFlags {
  data: string;
  /** clip, or one of CLI_METHODS (methods.ts) */
  method: string;
  encoder: string;
  widths?: string;
  /** --init: a safetensors state_dict to start the encoder from; --freeze: name prefixes kept fixed */
  init?: string;
  freeze?: string;
  preset?: string;
  epochs?: number;
  /** default: defaultBatchSize(samples) */
  batchSize?: number;
  temperature?: number;
  lr?: number;
  weightDecay?: number;
  schedule?: 'cosine' | 'constant';
  seed: number;
  out: string;
  monitor?: boolean;
  valSplit?: number;
  testData?: string;
  pairData?: string;
  negativeData?: string;
  maxSamples?: number;
  json?: boolean;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
}

/** Pairs (triplets) from aligned files: row i of --data, of --pair-data (and of --negative-data) go together. */
async function alignedPairs(data: LoadedData, o: TrainFlags): Promise<LoadedData> {
  const vectors = async (path: string, flag: string): Promise<Matrix> => {
    const d = await loadData(path, dataOptions(o));
    if (d.kind !== 'vectors') throw fail(`${flag} ${path} must hold vectors (CSV, NPY or JSONL rows); it holds ${d.kind}`);
    if (d.x.rows !== countOf(data))
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `--data ${o.data} has ${countOf(data)} rows, ${flag} ${path} has ${d.x.rows}; aligned files need the same number`,
      );
    return d.x;
  };
  if (data.kind !== 'vectors') throw fail(`--data and --pair-data must both hold vectors (CSV, NPY or JSONL rows); --data ${o.data} holds ${data.kind}`);
  const b = await vectors(o.pairData!, '--pair-data');
  const neg = o.negativeData === undefined ? undefined : await vectors(o.negativeData, '--negative-data');
  if (neg && neg.cols !== b.cols)
    throw new ContrastiveError(
      'SHAPE_MISMATCH',
      `--negative-data ${o.negativeData} has ${neg.cols} columns, --pair-data ${o.pairData} ${b.cols}; the positive's tower encodes both`,
    );
  return { kind: 'pairs', a: data.x, b, ...(neg ? { neg } : {}), name: o.data };
}

/**
 * The default batch size for `n` training samples: 256, halved (down to 32, or n itself below
 * that) until an epoch has at least 16 steps, so a small data set still gets enough updates.
 */
export function defaultBatchSize(n: number): number {
  let b = 256;
  while (b > 32 && n / b < 16) b /= 2;
  return Math.min(b, n);
}

/** The fewest optimizer steps the default image recipe takes (a SimCLR run of fewer is far from trained). */
export const MIN_IMAGE_STEPS = 300;
/** ... and the most epochs it runs to get them (a tiny set would otherwise loop for hours over a few images). */
export const MAX_IMAGE_EPOCHS = 100;

/** The default recipe's epochs on images: the encoder recipe's, or more (up to MAX_IMAGE_EPOCHS) for MIN_IMAGE_STEPS steps. */
export function imageEpochs(recipeEpochs: number, stepsPerEpoch: number): number {
  return Math.max(recipeEpochs, Math.min(MAX_IMAGE_EPOCHS, Math.ceil(MIN_IMAGE_STEPS / Math.max(1, stepsPerEpoch))));
}

/** `contrastive train --data PATH ...` */
export async function trainOnData(o: TrainFlags): Promise<void> {
  let data = await loadData(o.data, dataOptions(o));
  if (o.pairData !== undefined) data = await alignedPairs(data, o);
  else if (o.negativeData !== undefined) throw fail('--negative-data goes with --pair-data (three aligned files: anchors, positives, negatives)');
  data = sample(data, o.maxSamples, o.seed);
  let test: LoadedData | undefined;
  if (o.valSplit !== undefined && o.testData !== undefined) throw fail('--val-split and --test-data are two ways to get a held-out set; give one');
  if (o.valSplit !== undefined) ({ train: data, test } = splitData(data, o.valSplit, o.seed));
  if (o.testData !== undefined) {
    test = await loadData(o.testData, dataOptions(o, data.kind === 'images' ? inputOf(data) : undefined));
    if (test.kind === 'images' && data.kind === 'images') test.set.labels = alignClasses(data, { classes: test.classes, labels: test.set.labels }, o.testData);
    if (test.kind === 'vectors' && data.kind === 'vectors') test.labels = alignClasses(data, test, o.testData);
    if (test.kind !== data.kind || inputOf(test).join() !== inputOf(data).join()) {
      throw new ContrastiveError(
        'SHAPE_MISMATCH',
        `--test-data ${o.testData} holds ${test.kind} ${inputOf(test).join('x')}, the training data ${data.kind} ${inputOf(data).join('x')}`,
      );
    }
  }
  const n = countOf(data);
  const labels = labelsOf(data);
  if (data.kind === 'pairs' && o.method !== 'clip') throw fail(`${o.data} holds pairs (anchor, positive): train them with --method clip`);
  if (o.method === 'clip' && data.kind !== 'pairs')
    throw fail(`--method clip needs pairs (JSONL rows {"anchor": [...], "positive": [...]}); ${o.data} holds ${data.kind}`);
  if (LABELED_METHODS.includes(o.method) && !labels)
    throw fail(`--method ${o.method} needs labels (class subfolders, --label-column or --labels); ${o.data} has none`);
  const batchSize = o.batchSize ?? defaultBatchSize(n);
  if (batchSize > n) throw fail(`--batch-size ${batchSize} is larger than the ${n} training samples`);
  const testLabels = test ? labelsOf(test) : undefined;
  if (o.monitor && !(test && labels && testLabels)) throw fail('--monitor needs labeled data and a held-out set (--val-split F or --test-data PATH)');

  // the encoder and recipe from what the data is
  let spec: EncoderSpec;
  let specB: EncoderSpec | undefined;
  let td: TrainData;
  let recipe: {
    epochs: number;
    lr: number;
    weightDecay: number;
    schedule: 'cosine' | 'constant';
    temperature: number;
    cropScale?: [number, number];
    preset?: string;
    scarfRate?: number;
  };
  if (data.kind === 'images') {
    const input = inputOf(data);
    const kind = o.encoder === 'auto' ? (input[0] === 1 && Math.max(input[1], input[2]) <= 32 ? 'conv' : 'gap') : o.encoder;
    spec = defaultSpec(kind, input, o.widths);
    const r = RECIPES[spec.kind];
    const presetName = o.preset ?? (input[0] === 1 ? 'small-gray' : input[1] <= 64 ? 'simclr-cifar10' : 'simclr');
    const make = (presets as Record<string, (x: { size?: number; scale?: [number, number] }) => ReturnType<(typeof presets)['small-gray']>>)[presetName];
    if (!make) throw fail(`--preset must be one of ${Object.keys(presets).join(', ')}, got ${presetName}`);
    if (input[1] !== input[2] && presetName !== 'small-gray')
      throw fail(`the ${presetName} preset crops square views; the images are ${input[1]}x${input[2]} (pass --image-size N)`);
    const cropScale = presetName === 'small-gray' ? r.cropScale : undefined;
    recipe = {
      epochs: r.epochs,
      lr: r.lr,
      weightDecay: r.weightDecay,
      schedule: r.schedule,
      temperature: r.temperature,
      preset: presetName,
      ...(cropScale ? { cropScale } : {}),
    };
    const set = data.set;
    td = uint8ImageTrainData(
      { data: set.images, n: set.n, height: set.height, width: set.width, channels: set.channels as 1 | 3 },
      make({ size: input[1], scale: cropScale }),
      { seed: o.seed, labels },
    );
  } else if (data.kind === 'vectors') {
    if (o.encoder !== 'auto' && o.encoder !== 'mlp') throw fail(`--encoder ${o.encoder} is an image CNN; ${o.data} holds vectors (use --encoder mlp or auto)`);
    const standardizeWith = fitScaling(data.x);
    spec = { kind: 'mlp', input: [1, 1, data.x.cols], sizes: [data.x.cols, 256, 128], outDim: 128, data: 'vectors', standardize: standardizeWith };
    recipe = { ...VECTOR_RECIPE };
    td = vectorTrainData(applyScaling(data.x, standardizeWith), scarf({ rate: VECTOR_RECIPE.scarfRate }), { seed: o.seed, labels });
  } else {
    const sa = fitScaling(data.a);
    const sb = fitScaling(data.b);
    spec = { kind: 'mlp', input: [1, 1, data.a.cols], sizes: [data.a.cols, 256, 128], outDim: 128, data: 'vectors', standardize: sa };
    specB = { kind: 'mlp', input: [1, 1, data.b.cols], sizes: [data.b.cols, 256, 128], outDim: 128, data: 'vectors', standardize: sb };
    recipe = { ...PAIR_RECIPE };
    // hard negatives go through the positive's tower: standardized as the positives are
    td = pairTrainData(applyScaling(data.a, sa), applyScaling(data.b, sb), data.neg ? { negatives: applyScaling(data.neg, sb) } : {});
  }
  // a small image set gets epochs enough for MIN_IMAGE_STEPS updates; flags given on the command line override the recipe
  if (data.kind === 'images') recipe.epochs = imageEpochs(recipe.epochs, Math.floor(n / batchSize));
  recipe.epochs = o.epochs ?? recipe.epochs;
  recipe.lr = o.lr ?? recipe.lr;
  recipe.weightDecay = o.weightDecay ?? recipe.weightDecay;
  recipe.schedule = o.schedule ?? recipe.schedule;
  recipe.temperature = o.temperature ?? recipe.temperature;

  const encoder = buildEncoder(spec, o.seed);
  if (o.init) await initFrom(encoder, o.init);
  if (o.freeze) freezePrefixes(encoder, o.freeze);
  const steps = Math.floor(n / batchSize) * recipe.epochs;
  const schedule = recipeSchedule(recipe, steps);
  let trainer: Trainer;
  let encoderB: Module | undefined;
  if (o.method === 'clip') {
    encoderB = buildEncoder(specB!, o.seed + 1);
    const params = [
      ...encoder.namedParameters().map(([k, p]) => [`a.${k}`, p] as [string, typeof p]),
      ...encoderB.namedParameters().map(([k, p]) => [`b.${k}`, p] as [string, typeof p]),
    ];
    trainer = new Trainer({
      method: 'clip',
      model: encoder,
      modelB: encoderB,
      optimizer: new AdamW(params, { lr: recipe.lr, weightDecay: recipe.weightDecay }),
      temperature: recipe.temperature,
      schedule,
    });
  } else {
    // the method's heads and extra networks (methods.ts), as on the built-in dataset
    const parts = methodParts(o.method, encoder, () => buildEncoder(spec, o.seed), spec.outDim, o.seed, steps);
    const optimizer = new AdamW(parts.params, { lr: recipe.lr, weightDecay: recipe.weightDecay });
    // MoCo's and NNCLR's queues: at most half the data, so they are not mostly the batch's own samples
    const queueSize = Math.max(batchSize, Math.min(4096, Math.floor(n / 2)));
    const queue = 'queueSize' in parts.trainer ? { queueSize } : {};
    trainer = new Trainer({ method: o.method as never, model: parts.model, optimizer, temperature: recipe.temperature, schedule, ...parts.trainer, ...queue });
  }
  const monitor = o.monitor
    ? { encoder, train: { x: features(data, undefined, spec), labels: labels! }, test: { x: features(test!, undefined, spec), labels: testLabels! } }
    : undefined;
  // what a --resume must match: the same data, architecture and recipe
  const run = {
    data: o.data,
    n,
    kind: data.kind,
    spec,
    ...(specB ? { specB } : {}),
    method: o.method,
    batchSize,
    seed: o.seed,
    valSplit: o.valSplit ?? null,
    ...recipe,
    variant: runtimeInfo().variant,
  };
  const result = await runTraining({ ...o, batchSize }, { trainer, data: td, epochs: recipe.epochs, steps, monitor, run });
  const info = {
    dataset: o.data,
    method: o.method,
    batchSize,
    ...recipe,
    seed: o.seed,
    classes: data.kind === 'images' ? data.classes : data.kind === 'vectors' ? data.classes : undefined,
  };
  await saveEncoder(o.out, encoder, spec, info);
  const outB = encoderB ? o.out.replace(/(\.safetensors)?$/, '.positive.safetensors') : undefined;
  if (encoderB) await saveEncoder(outB!, encoderB, specB!, { ...info, tower: 'positive' });
  const what = data.kind === 'images' ? `${spec.input.join('x')} images` : data.kind === 'pairs' && data.neg ? 'triplets' : data.kind;
  report(
    {
      out: o.out,
      ...(outB ? { outPositive: outB } : {}),
      encoder: spec.kind,
      input: spec.input,
      data: data.kind,
      ...(data.kind === 'pairs' ? { hardNegatives: data.neg !== undefined } : {}),
      dataset: o.data,
      samples: n,
      method: o.method,
      batchSize,
      ...trainSummary(result, recipe.epochs, recipe),
    },
    o.json,
    (s) =>
      `trained ${s.encoder} encoder (${s.method}) on ${n} ${what} from ${o.data}: ${lossText(s)}${s.knnAccuracy !== undefined ? `, kNN ${pct(s.knnAccuracy)}` : ''}; saved ${o.out}${outB ? ` and ${outB}` : ''}`,
  );
}

export interface EvalFlags extends DataFlags {
  model?: string;
  trainData?: string;
  testData?: string;
  valSplit?: number;
  seed?: number;
  maxSamples?: number;
  knnK: number;
  json?: boolean;
}

/** `contrastive eval --train-data P --test-data P` or `--data P --val-split F`, with or without --model. */
export async function evalOnData(o: EvalFlags): Promise<void> {
  const t0 = performance.now();
  const loaded = o.model ? await loadEncoder(o.model) : undefined;
  const input = loaded && loaded.spec.data !== 'vectors' ? loaded.spec.input : undefined;
  let train: LoadedData;
  let test: LoadedData;
  let trainName: string;
  let testName: string;
  if (o.data !== undefined) {
    if (o.valSplit === undefined || o.trainData !== undefined || o.testData !== undefined)
      throw fail('eval --data P needs --val-split F (or give --train-data P --test-data P instead)');
    ({ train, test } = splitData(await loadData(o.data, dataOptions(o, input)), o.valSplit, o.seed ?? 0));
    [train, test] = [sample(train, o.maxSamples, o.seed ?? 0), sample(test, o.maxSamples, o.seed ?? 0)];
    trainName = testName = o.data;
  } else {
    if (o.trainData === undefined || o.testData === undefined) throw fail('eval needs --train-data P and --test-data P (or --data P --val-split F)');
    train = sample(await loadData(o.trainData, dataOptions(o, input)), o.maxSamples, o.seed ?? 0);
    test = sample(await loadData(o.testData, dataOptions(o, input ?? (train.kind === 'images' ? inputOf(train) : undefined))), o.maxSamples, o.seed ?? 0);
    if (test.kind === 'images' && train.kind === 'images')
      test.set.labels = alignClasses(train, { classes: test.classes, labels: test.set.labels }, o.testData);
    if (test.kind === 'vectors' && train.kind === 'vectors') test.labels = alignClasses(train, test, o.testData);
    [trainName, testName] = [o.trainData, o.testData];
  }
  const trl = labelsOf(train);
  const tel = labelsOf(test);
  if (!trl || !tel) throw fail(`eval needs labels on both sets (class subfolders, --label-column or --labels); ${!trl ? trainName : testName} has none`);
  if (loaded) {
    checkInput(loaded.spec, train, o.model!, trainName);
    checkInput(loaded.spec, test, o.model!, testName);
  } else if (inputOf(train).join() !== inputOf(test).join()) {
    throw new ContrastiveError('SHAPE_MISMATCH', `${testName} holds ${inputOf(test).join('x')} samples, ${trainName} ${inputOf(train).join('x')}`);
  }
  // raw vectors: standardized with the training rows' statistics, as the encoder's input is
  const scaling = !loaded && train.kind === 'vectors' ? fitScaling(train.x) : undefined;
  const tr = features(train, loaded?.encoder, loaded?.spec, scaling);
  const te = features(test, loaded?.encoder, loaded?.spec, scaling);
  const what = loaded ? `${loaded.spec.kind} encoder ${o.model}` : train.kind === 'images' ? 'raw pixels' : 'raw features (standardized)';
  evaluate({ features: what, train: tr, trainLabels: trl, test: te, testLabels: tel, knnK: o.knnK, json: o.json }, t0);
}

/** `contrastive augment --data P`: the images of an image folder (or image file) as train loads them. */
export async function imagesForAugment(o: DataFlags & { data: string }): Promise<ImageSet> {
  const d = await loadData(o.data, dataOptions(o));
  if (d.kind !== 'images') throw fail(`augment shows image augmentations; ${o.data} holds ${d.kind}`);
  return d.set;
}

/** `contrastive embed --model M --data P --out emb.npy` (and `emb.npy.files.txt` for folders). */
export async function embedData(o: DataFlags & { model: string; data: string; out: string }): Promise<void> {
  await prepareOutputs([o.out, `${o.out}.files.txt`]);
  const { encoder, spec } = await loadEncoder(o.model);
  const d = await loadData(o.data, dataOptions(o, spec.data !== 'vectors' ? spec.input : undefined));
  checkInput(spec, d, o.model, o.data);
  const files = d.kind === 'images' ? d.files?.map((f) => join(o.data, f)) : undefined;
  await writeEmbeddings(o.out, features(d, encoder, spec), files);
}
