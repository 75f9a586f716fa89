// The `contrastive` command. Every error ends the process with exit code 1 and one line on stderr.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  AdamW,
  ContrastiveError,
  augmentationGrid,
  embed,
  encodePng,
  imageTrainData,
  init,
  presets,
  recipeSchedule,
  runtimeInfo,
  toImageBatch,
  Trainer,
  type ImageBatch,
} from 'contrastive';
import { loadIdxImages, loadMnist, pixelRows, subset, type ImageSet } from './data.js';
import { addExportCommand } from './export.js';
import { buildEncoder, defaultSpec, loadEncoder, RECIPES, saveEncoder } from './model.js';
import { atomicWrite, prepareOutputs } from './output.js';
import { embedData, evalOnData, imagesForAugment, trainOnData } from './data-commands.js';
import { addDataOptions } from './data-options.js';
import { freezePrefixes, initFrom, RESNETS } from './resnet.js';
import { CLI_METHODS, LABELED_METHODS, methodParts } from './methods.js';
import { embedText } from './text.js';
import { evaluate, lossText, report, runTraining, trainSummary, writeEmbeddings } from './training.js';
import { isTextCommand, runTextCommand } from './sentence.js';

const program = new Command()
  .name('contrastive')
  .description('Contrastive learning from the terminal: train an encoder without labels, evaluate it, embed, see augmentations.')
  // one line on stderr per error, flag errors included
  .configureOutput({ outputError: (msg, write) => write(`contrastive: ${msg.replace(/^error: /, '').trim()} (add --help for usage)\n`) })
  .exitOverride();

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
};
const nonNegInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
};
const nonNegative = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0, got ${JSON.stringify(v)}`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};

const asBatch = (s: ImageSet): ImageBatch => toImageBatch({ data: s.images, n: s.n, height: s.height, width: s.width, channels: s.channels as 1 | 3 | 4 });
const asRows = (b: ImageBatch) => ({ data: b.data, shape: [b.n, b.channels * b.height * b.width] });

/**
 * The augmentation pipeline of preset `name`, and the crop area range it uses: the `--crop-scale`
 * flag if given, else `recipeScale` (the encoder's recipe; small-gray only).
 */
function preset(name: string, s: { height: number; channels: number }, cropScale?: string, recipeScale?: [number, number]) {
  const make = (presets as Record<string, (o: { size?: number; scale?: [number, number] }) => ReturnType<(typeof presets)['small-gray']>>)[name];
  if (!make) throw new ContrastiveError('INVALID_ARGUMENT', `--preset must be one of ${Object.keys(presets).join(', ')}, got ${name}`);
  let scale = name === 'small-gray' ? recipeScale : undefined;
  if (cropScale !== undefined) {
    const v = cropScale.split(',').map(Number);
    if (v.length !== 2 || !(v[0] > 0 && v[0] <= v[1] && v[1] <= 1)) {
      throw new ContrastiveError('INVALID_ARGUMENT', `--crop-scale must be two numbers 0 < min <= max <= 1, got ${cropScale}`);
    }
    if (name !== 'small-gray') throw new ContrastiveError('INVALID_ARGUMENT', '--crop-scale applies to the small-gray preset');
    scale = [v[0], v[1]];
  }
  return { pipeline: make({ size: s.height, scale }), scale };
}
const defaultPreset = (s: { channels: number; height: number }) => (s.channels === 1 ? 'small-gray' : s.height <= 64 ? 'simclr-cifar10' : 'simclr');

/** --max-samples: the first `max` images of a set (all of them without the flag). */
const firstOf = (s: ImageSet, max?: number): ImageSet =>
  max === undefined || max >= s.n
    ? s
    : subset(
        s,
        Array.from({ length: max }, (_, i) => i),
      );
const maxSamplesHelp =
  'use at most the first n training images and the first n test images (a quick run of a command; with --data: a seeded sample of n, stratified by label)';

async function trainSet(o: {
  dataset?: string;
  images?: string;
  labels?: string;
  maxSamples?: number;
}): Promise<{ train: ImageSet; test?: ImageSet; name: string }> {
  if (o.images) return { train: firstOf(await loadIdxImages(o.images, o.labels), o.maxSamples), name: o.images };
  if ((o.dataset ?? 'mnist') !== 'mnist') throw new ContrastiveError('INVALID_ARGUMENT', `unknown dataset ${o.dataset} (built in: mnist)`);
  const m = await loadMnist();
  return { train: firstOf(m.train, o.maxSamples), test: firstOf(m.test, o.maxSamples), name: 'mnist' };
}

async function evalSets(o: { dataset?: string; trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string; maxSamples?: number }) {
  const s = await allEvalSets(o);
  return { train: firstOf(s.train, o.maxSamples), test: firstOf(s.test, o.maxSamples) };
}
async function allEvalSets(o: { dataset?: string; trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string }) {
  if (o.trainImages || o.testImages) {
    if (!o.trainImages || !o.trainLabels || !o.testImages || !o.testLabels) {
      throw new ContrastiveError('INVALID_ARGUMENT', '--train-images, --train-labels, --test-images and --test-labels go together');
    }
    return { train: await loadIdxImages(o.trainImages, o.trainLabels), test: await loadIdxImages(o.testImages, o.testLabels) };
  }
  if ((o.dataset ?? 'mnist') !== 'mnist') throw new ContrastiveError('INVALID_ARGUMENT', `unknown dataset ${o.dataset} (built in: mnist)`);
  return loadMnist();
}

// --threads: kernel threads (init's `threads`): a positive integer or 'auto'
const threadsArg = (v: string): number | 'auto' => (v === 'auto' ? v : int('--threads')(v));
const threadsHelp = "kernel threads: n or 'auto' (min(cores, 4)); n > 1 runs the threads build, bit-identical results (default 1)";
// --variant: init's `variant`; the two instruction sets round differently, so pinning one gives the same bits on every engine
const variantOption = () =>
  new Option(
    '--variant <isa>',
    'kernels: auto (relaxed where the engine has it: Node >= 22, or 20 with --experimental-wasm-relaxed-simd), simd128 or relaxed; pin one for the same bits on every engine',
  )
    .choices(['auto', 'simd128', 'relaxed'])
    .default('auto');
const start = (o: { threads?: number | 'auto'; variant: 'auto' | 'simd128' | 'relaxed' }) =>
  init({ variant: o.variant, ...(o.threads === undefined ? {} : { threads: o.threads }) });

program
  .command('train')
  .description('train an encoder with SimCLR (or another --method) and save it as safetensors')
  .option('--dataset <name>', 'built-in dataset: mnist (its 8,000-digit train split)', 'mnist')
  .option('--images <file>', 'IDX images to train on instead (uint8, N x H x W [x C], .gz ok)')
  .option('--labels <file>', 'IDX labels of --images (for the kNN monitor and --method supcon, triplet, multisimilarity)')
  .addOption(
    new Option(
      '--encoder <kind>',
      `auto: conv for small grayscale images, gap for RGB, mlp for vectors; mlp: 784-512-256 MLP; conv: LeNet-layout CNN (2 conv blocks, Linear to 256, BN, ReLU); gap: CNN with global average pool (3 blocks up to 32x32, more for larger images); ${Object.entries(
        RESNETS,
      )
        .map(([k, v]) => `${k}: ${v}`)
        .join('; ')}`,
    )
      .choices(['auto', 'mlp', 'conv', 'gap', ...Object.keys(RESNETS)])
      .default('auto'),
  )
  .option('--init <file>', 'start the encoder from this safetensors state_dict (torchvision names; fc.* ignored)')
  .option('--freeze <prefixes>', 'parameter name prefixes that stay fixed, comma-separated (e.g. conv1,bn1,layer1); their BatchNorm statistics too')
  .option('--widths <list>', 'conv/gap encoders: channels of their blocks, comma-separated (conv: 32,64; gap: 32,64,128)')
  .addOption(
    new Option('--method <method>', 'method: heads, loss and extra networks (docs/methods.md); clip trains on pairs (--data)')
      .choices([...CLI_METHODS, 'clip'])
      .default('simclr'),
  )
  .option('--preset <name>', 'augmentation preset (default: small-gray for grayscale, simclr-cifar10 for small RGB)')
  .option('--crop-scale <min,max>', "small-gray preset: area range of the random resized crop (default: the encoder's recipe: conv 0.5,1; mlp and gap 0.3,1)")
  .option(
    '--epochs <n>',
    "passes over the data (default: the encoder's recipe: conv 20, mlp and gap 10; --data images: more on a small set, for at least 300 steps in at most 100 epochs)",
    int('--epochs'),
  )
  .option(
    '--batch-size <n>',
    'samples per step (each gives two views) (default 256; with --data, halved down to 32 until an epoch has 16 steps or more)',
    int('--batch-size'),
  )
  .option('--temperature <t>', "NT-Xent temperature (default: the encoder's recipe, docs/training.md)", positive('--temperature'))
  .option('--lr <x>', "peak learning rate (default: the encoder's recipe)", positive('--lr'))
  .option('--weight-decay <x>', "AdamW weight decay (default: the encoder's recipe)", nonNegative('--weight-decay'))
  .addOption(
    new Option(
      '--schedule <kind>',
      "lr schedule: cosine (linear warmup over 10% of the steps, then cosine to 0) or constant (default: the encoder's recipe)",
    ).choices(['cosine', 'constant']),
  )
  .option('--seed <n>', 'seed of init, data order and augmentations', nonNegInt('--seed'), 0)
  .option('--out <file>', 'where to write the encoder', 'model.safetensors')
  .option('--checkpoint <file>', 'write the full training state (weights, optimizer moments, RNG, step) here at the end of every epoch, atomically')
  .option('--checkpoint-every <n>', 'steps between checkpoints (default: one epoch)', int('--checkpoint-every'))
  .option(
    '--resume <file>',
    "continue the run saved in this --checkpoint file (pass the run's other flags unchanged); the result is the uninterrupted run's, bit for bit",
  )
  .option('--monitor', 'kNN accuracy on the test split after every epoch (needs labels)')
  .option('--max-samples <n>', maxSamplesHelp, int('--max-samples'))
  .option('--threads <n>', threadsHelp, threadsArg)
  .addOption(variantOption())
  .option('--json', 'print one JSON object instead of progress');
addDataOptions(program.commands.at(-1)!, { split: true }).action(async (o) => {
  // outputs are checked before minutes of work (and stale temporary files of killed runs removed)
  await prepareOutputs([o.out, ...(o.checkpoint ? [o.checkpoint] : [])]);
  await start(o);
  if (o.data) return trainOnData(o);
  o.batchSize ??= 256;
  if (o.method === 'clip') throw new ContrastiveError('INVALID_ARGUMENT', '--method clip trains on pairs: --data PATH (or --pair-data)');
  if (o.valSplit !== undefined || o.testData !== undefined)
    throw new ContrastiveError('INVALID_ARGUMENT', '--val-split and --test-data go with --data PATH (the mnist dataset has its own test split)');
  const data = await trainSet(o);
  const train = data.train;
  const spec = defaultSpec(o.encoder === 'auto' ? 'conv' : o.encoder, [train.channels, train.height, train.width], o.widths);
  const encoder = buildEncoder(spec, o.seed);
  if (o.init) await initFrom(encoder, o.init);
  if (o.freeze) freezePrefixes(encoder, o.freeze);
  const batch = asBatch(train);
  // flags given on the command line override the encoder's recipe
  const r = RECIPES[spec.kind];
  // the recipe's crop range goes with the small-gray preset only (other presets keep their own)
  const { pipeline, scale: cropScale } = preset(o.preset ?? defaultPreset(train), train, o.cropScale, r.cropScale);
  if (LABELED_METHODS.includes(o.method) && !train.labels) throw new ContrastiveError('INVALID_ARGUMENT', `--method ${o.method} needs labels (--labels)`);
  if (o.batchSize > train.n) throw new ContrastiveError('INVALID_ARGUMENT', `--batch-size ${o.batchSize} is larger than the ${train.n} training images`);
  const epochs = (o.epochs as number | undefined) ?? r.epochs;
  const steps = Math.floor(train.n / o.batchSize) * epochs;
  const recipe = {
    temperature: (o.temperature as number | undefined) ?? r.temperature,
    lr: (o.lr as number | undefined) ?? r.lr,
    weightDecay: (o.weightDecay as number | undefined) ?? r.weightDecay,
    schedule: (o.schedule as 'cosine' | 'constant' | undefined) ?? r.schedule,
    ...(cropScale === undefined ? {} : { cropScale }),
  };
  const parts = methodParts(o.method, encoder, () => buildEncoder(spec, o.seed), spec.outDim, o.seed, steps);
  const optimizer = new AdamW(parts.params, { lr: recipe.lr, weightDecay: recipe.weightDecay });
  const trainer = new Trainer({
    method: o.method,
    model: parts.model,
    optimizer,
    temperature: recipe.temperature,
    ...parts.trainer,
    schedule: recipeSchedule(recipe, steps),
  });
  const monitor =
    o.monitor && data.test?.labels && train.labels
      ? { encoder, train: { x: asRows(batch), labels: train.labels }, test: { x: asRows(asBatch(data.test)), labels: data.test.labels } }
      : undefined;
  if (o.monitor && !monitor) throw new ContrastiveError('INVALID_ARGUMENT', '--monitor needs a labelled test split (the mnist dataset has one)');
  const run = {
    data: data.name,
    n: train.n,
    spec,
    method: o.method,
    epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    preset: o.preset ?? defaultPreset(train),
    ...recipe,
    variant: runtimeInfo().variant,
  };
  const result = await runTraining(o, { trainer, data: imageTrainData(batch, pipeline, { seed: o.seed, labels: train.labels }), epochs, steps, monitor, run });
  await saveEncoder(o.out, encoder, spec, {
    dataset: data.name,
    method: o.method,
    epochs,
    batchSize: o.batchSize,
    ...recipe,
    seed: o.seed,
    methodRecipe: parts.info,
  });
  report(
    { out: o.out, encoder: spec.kind, dataset: data.name, ...trainSummary(result, epochs, recipe) },
    o.json,
    (s) => `trained ${s.encoder} encoder on ${s.dataset}: ${lossText(s)} (${s.variant}, ${s.threads} thread${s.threads > 1 ? 's' : ''}); saved ${s.out}`,
  );
});

program
  .command('eval')
  .description('linear-probe and weighted-kNN accuracy of an encoder (without --model: of the raw pixels)')
  .option('--model <file>', 'encoder (.safetensors) from `contrastive train`')
  .option('--dataset <name>', 'built-in dataset: mnist (8,000 train / 2,000 test, stratified)', 'mnist')
  .option('--train-images <file>', 'IDX images to fit the probes on')
  .option('--train-labels <file>', 'IDX labels of --train-images')
  .option('--test-images <file>', 'IDX images to score')
  .option('--test-labels <file>', 'IDX labels of --test-images')
  .option('--knn-k <k>', 'neighbours for kNN', int('--knn-k'), 20)
  .option('--max-samples <n>', maxSamplesHelp, int('--max-samples'))
  .option('--threads <n>', threadsHelp, threadsArg)
  .addOption(variantOption())
  .option('--json', 'print one JSON object');
addDataOptions(program.commands.at(-1)!, { split: true, evalData: true }).action(async (o) => {
  await start(o);
  if (o.data || o.trainData || o.testData) return evalOnData(o);
  const sets = await evalSets(o);
  const t0 = performance.now();
  let features = 'raw pixels';
  let tr = pixelRows(sets.train);
  let te = pixelRows(sets.test);
  if (o.model) {
    const { encoder, spec } = await loadEncoder(o.model);
    const want = spec.input.join('x');
    const got = [sets.train.channels, sets.train.height, sets.train.width].join('x');
    if (want !== got) throw new ContrastiveError('SHAPE_MISMATCH', `${o.model} encodes ${want} images, the data is ${got}`);
    tr = embed(encoder, asRows(asBatch(sets.train)));
    te = embed(encoder, asRows(asBatch(sets.test)));
    features = `${spec.kind} encoder ${o.model}`;
  }
  evaluate({ features, train: tr, trainLabels: sets.train.labels!, test: te, testLabels: sets.test.labels!, knnK: o.knnK, json: o.json }, t0);
});

program
  .command('embed')
  .description('embed images with a trained encoder, or texts with a sentence-transformers folder, and write them as .npy (float32, N x D)')
  .requiredOption('--model <file>', 'encoder (.safetensors) from `contrastive train`, or a sentence-transformers folder for --text')
  .option('--images <file>', 'IDX images')
  .option('--text <file>', 'texts, one per line or JSONL with a "text" field (rows in file order)')
  .option('--batch-size <n>', 'texts per forward pass (--text)', int('--batch-size'), 32)
  .requiredOption('--out <file>', 'output .npy')
  .option('--threads <n>', threadsHelp, threadsArg)
  .addOption(variantOption());
addDataOptions(program.commands.at(-1)!, {}).action(async (o) => {
  await start(o);
  if (o.text) return embedText(o);
  if (o.data) return embedData(o);
  if (!o.images) throw new ContrastiveError('INVALID_ARGUMENT', 'embed needs --data PATH, --images FILE or --text FILE');
  const { encoder, spec } = await loadEncoder(o.model);
  const set = await loadIdxImages(o.images);
  const got = [set.channels, set.height, set.width].join('x');
  if (spec.input.join('x') !== got) throw new ContrastiveError('SHAPE_MISMATCH', `${o.model} encodes ${spec.input.join('x')} images, ${o.images} holds ${got}`);
  await writeEmbeddings(o.out, embed(encoder, asRows(asBatch(set))));
});

program
  .command('augment')
  .description('write a PNG grid of augmentations: original | view 1 | view 2 for up to 16 images')
  .option('--images <file>', 'IDX images (default: the built-in MNIST digits)')
  .option('--preset <name>', 'augmentation preset (default: as train picks it: small-gray for grayscale, simclr-cifar10 for small RGB)')
  .option('--seed <n>', 'seed of the views', nonNegInt('--seed'), 0)
  .option('--count <n>', 'images in the grid (at most 16)', int('--count'), 16)
  .requiredOption('--out <file>', 'output .png');
addDataOptions(program.commands.at(-1)!, {}).action(async (o) => {
  await init();
  if (o.count > 16) throw new ContrastiveError('INVALID_ARGUMENT', `--count must be at most 16, got ${o.count}`);
  await prepareOutputs([o.out]);
  // --data: the images train would see (same size, channels and preset)
  const all = o.data ? await imagesForAugment(o) : o.images ? await loadIdxImages(o.images) : (await loadMnist()).train;
  const name = o.preset ?? defaultPreset(all);
  if (all.height !== all.width && name !== 'small-gray')
    throw new ContrastiveError('INVALID_ARGUMENT', `the ${name} preset crops square views; the images are ${all.height}x${all.width} (pass --image-size N)`);
  // images spread over the set (MNIST's and class folders are grouped by class)
  const count = Math.min(o.count, all.n);
  const set = subset(
    all,
    Array.from({ length: count }, (_, i) => Math.floor((i * all.n) / count)),
  );
  const grid = augmentationGrid(asBatch(set), preset(name, set).pipeline, { seed: o.seed, max: o.count });
  await atomicWrite(o.out, encodePng(grid));
  console.log(`wrote ${grid.width} x ${grid.height} grid of ${count} images (${name}) to ${o.out}`);
});

addExportCommand(program);

try {
  // sentence-embedding models: train/embed --text, eval --queries/--corpus/--qrels (sentence.ts)
  if (isTextCommand(process.argv)) await runTextCommand(process.argv);
  else await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(`contrastive: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
