import { readFile, writeFile } from 'node:fs/promises';
import {
  init, lenet28, simclrHead, Sequential, AdamW, warmupCosine, Trainer, fit, imageTrainData,
  smallGrayscale, toImageBatch, readIdx, embed, linearProbe, knnAccuracy, saveSafetensors,
} from 'contrastive';

await init();
// MNIST-format files (IDX, gzipped or not): the 600-digit sample shipped in examples/data, or your own
const pixels = await readIdx(await readFile(process.argv[2] ?? 'examples/data/digits-images-idx3-ubyte.gz'));
const labels = await readIdx(await readFile(process.argv[3] ?? 'examples/data/digits-labels-idx1-ubyte.gz'));
const [n, height, width] = pixels.shape;
const images = toImageBatch({ data: pixels.data as Uint8Array, n, height, width }); // HWC uint8 -> NCHW float32

// the default recipe (section 2); the docs' test sets CONTRASTIVE_EXAMPLE_SMALL=1 to run 2 epochs
const epochs = process.env.CONTRASTIVE_EXAMPLE_SMALL === '1' ? 2 : 20;
const batchSize = Math.min(256, n);
const encoder = lenet28({ seed: 0, bnRelu: true });
const model = new Sequential(encoder, simclrHead(256, { seed: 1 }));
const steps = Math.floor(n / batchSize) * epochs;
const trainer = new Trainer({
  method: 'simclr', model, temperature: 0.2,
  optimizer: new AdamW(model.namedParameters(), { lr: 2e-3, weightDecay: 1e-4 }),
  schedule: warmupCosine({ baseLr: 2e-3, warmupSteps: Math.min(Math.round(steps / 10), 200), totalSteps: steps }),
});
const controller = new AbortController();                // controller.abort() stops between steps
await fit(trainer, imageTrainData(images, smallGrayscale({ scale: [0.5, 1] }), { seed: 0 }), {
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
