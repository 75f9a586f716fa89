import { readFile, writeFile } from 'node:fs/promises';
import {
  init, RECIPES, recipeSchedule, recipeAugmentation, lenet28, simclrHead, Sequential, AdamW, Trainer, fit,
  imageTrainData, toImageBatch, readIdx, embed, linearProbe, knnAccuracy, saveSafetensors,
} from 'contrastive';

await init();
// MNIST-format files (IDX, gzipped or not): the 600-digit sample shipped in examples/data, or your own
const pixels = await readIdx(await readFile(process.argv[2] ?? 'examples/data/digits-images-idx3-ubyte.gz'));
const labels = await readIdx(await readFile(process.argv[3] ?? 'examples/data/digits-labels-idx1-ubyte.gz'));
const [n, height, width] = pixels.shape;
const images = toImageBatch({ data: pixels.data as Uint8Array, n, height, width }); // HWC uint8 -> NCHW float32

// the default recipe (section 2): tau 0.2, AdamW 2e-3 with warmup + cosine, crops of area 0.5-1, 20 epochs
const recipe = RECIPES.conv;                             // the docs' test sets CONTRASTIVE_EXAMPLE_SMALL=1 to run 2 epochs
const epochs = process.env.CONTRASTIVE_EXAMPLE_SMALL === '1' ? 2 : recipe.epochs;
const batchSize = Math.min(recipe.batchSize, n);
const encoder = lenet28({ seed: 0, bnRelu: true });      // what `--encoder conv` trains
const model = new Sequential(encoder, simclrHead(256, { seed: 1 }));
const trainer = new Trainer({
  method: 'simclr', model, temperature: recipe.temperature,
  optimizer: new AdamW(model.namedParameters(), { lr: recipe.lr, weightDecay: recipe.weightDecay }),
  schedule: recipeSchedule(recipe, Math.floor(n / batchSize) * epochs),
});
const controller = new AbortController();                // controller.abort() stops between steps
await fit(trainer, imageTrainData(images, recipeAugmentation(recipe), { seed: 0 }), {
  epochs, batchSize, seed: 0, signal: controller.signal,
  onStep: (e) => console.log(`step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(3)} ${e.samplesPerSecond.toFixed(0)}/s`),
});

// probe the frozen encoder (eval mode): fit on the first 80% of the rows, score on the rest
const z = embed(encoder, { data: images.data, shape: [n, height * width] });
const cut = Math.floor(n * 0.8);
const rows = (from: number, to: number) => ({ data: z.data.subarray(from * z.cols, to * z.cols), rows: to - from, cols: z.cols });
const y = Int32Array.from(labels.data as Uint8Array);
const probe = linearProbe(rows(0, cut), y.subarray(0, cut), rows(cut, n), y.subarray(cut));
const knn = knnAccuracy(rows(0, cut), y.subarray(0, cut), rows(cut, n), y.subarray(cut));
console.log(`linear probe ${(probe.accuracy * 100).toFixed(1)}%, kNN ${(knn * 100).toFixed(1)}%`);
await writeFile('encoder.safetensors', saveSafetensors(encoder.stateDict()));
