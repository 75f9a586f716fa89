import { AdamW, convNet, embed, fit, init, knnAccuracy, presets, Sequential, simclrHead, takeRows, toImageBatch, Trainer, trainValTestSplit, uint8ImageTrainData } from 'contrastive';
import { loadImageFolder } from 'contrastive/node-images';

await init();
// dir/<class>/*.png: labels come from the subfolder names
const set = await loadImageFolder('examples/data/digits', { channels: 1, size: 28 });
console.log(`${set.n} images of ${set.height}x${set.width}, classes ${set.classes!.join(' ')}`);

const encoder = convNet({ input: [set.channels, set.height, set.width], widths: [16, 32], seed: 0 });
const model = new Sequential(encoder, simclrHead(32, { seed: 1 }));
const trainer = new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters(), { lr: 2e-3 }), temperature: 0.2 });
const data = uint8ImageTrainData(set, presets['small-gray']({ size: 28 }), { seed: 0 });
const run = await fit(trainer, data, { epochs: 2, batchSize: 40 });
console.log(`loss ${run.losses[0].toFixed(3)} -> ${run.losses.at(-1)!.toFixed(3)}`);

// embed every image (rows in set.files order) and score a kNN on a stratified split
const z = embed(encoder, toImageBatch(set));
const split = trainValTestSplit(set.labels!, { test: 0.25, seed: 0 });
const rows = (idx: Int32Array) => ({ data: takeRows(z.data, z.rows, idx), rows: idx.length, cols: z.cols });
const label = (idx: Int32Array) => Int32Array.from(idx, (i) => set.labels![i]);
console.log(`kNN accuracy ${knnAccuracy(rows(split.train), label(split.train), rows(split.test), label(split.test)).toFixed(3)}`);
