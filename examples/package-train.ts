import {
  init, mlp, simclrHead, Sequential, AdamW, Trainer, fit, imageTrainData, smallGrayscale, toImageBatch,
  embed, knnAccuracy, saveSafetensors, RECIPES, recipeSchedule,
} from 'contrastive';

await init();
// 512 grayscale 28 x 28 images (uint8, channels last); use your own, e.g. from readIdx
const n = 512;
const pixels = Uint8Array.from({ length: n * 28 * 28 }, (_, i) => ((i * 2654435761) >>> 24) & 0xff);
const images = toImageBatch({ data: pixels, n, height: 28, width: 28 });  // float32 NCHW in [0, 1]

const recipe = RECIPES.mlp;                                                // the CLI's --encoder mlp recipe
const encoder = mlp([784, 512, 256], { seed: 0, batchNorm: true });
const model = new Sequential(encoder, simclrHead(256, { seed: 1 }));
const epochs = 2;
const trainer = new Trainer({
  method: 'simclr', model, temperature: recipe.temperature,
  optimizer: new AdamW(model.namedParameters(), { lr: recipe.lr, weightDecay: recipe.weightDecay }),
  schedule: recipeSchedule(recipe, Math.floor(n / 256) * epochs),
});
const result = await fit(trainer, imageTrainData(images, smallGrayscale(), { seed: 0 }), {
  epochs, batchSize: 256, seed: 0,
  onStep: (e) => console.log(`step ${e.step}/${e.totalSteps}: loss ${e.loss.toFixed(3)}`),
});
const z = embed(encoder, { data: images.data, shape: [n, 784] });         // frozen features, n x 256
const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
console.log(result.losses.length, knnAccuracy(z, labels, z, labels));
const bytes = saveSafetensors(encoder.stateDict());                        // PyTorch loads this file
console.log(bytes.length);
