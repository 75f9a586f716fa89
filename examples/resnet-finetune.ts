import {
  AdamW, embed, init, linearProbe, loadSafetensors, presets, resnetSmall, saveSafetensors, Sequential, simclrHead, Trainer,
  imageTrainData, fit, toImageBatch,
} from 'contrastive';

await init();
// 64 small RGB images (32x32) in two classes: a bright square top-left or bottom-right
const n = 64;
const pixels = new Uint8Array(n * 32 * 32 * 3);
const labels = Array.from({ length: n }, (_, i) => i % 2);
for (let i = 0; i < n; i++) {
  const o = labels[i] ? 16 : 0;
  for (let y = o; y < o + 16; y++) for (let x = o; x < o + 16; x++) pixels[((i * 32 + y) * 32 + x) * 3 + (i % 3)] = 220;
}
const images = toImageBatch({ data: pixels, n, height: 32, width: 32, channels: 3 });

// a "pretrained" backbone: stands in for your converted checkpoint
const pretrained = saveSafetensors(resnetSmall({ numClasses: 10, seed: 1 }).stateDict());

// 1. the backbone with its classifier removed: fc is an Identity, features are 256-d
const backbone = resnetSmall({ inputShape: [3, 32, 32] });
const { unexpected } = backbone.loadStateDict(loadSafetensors(pretrained), { strict: false });
console.log('not used:', unexpected);        // [ 'fc.weight', 'fc.bias' ]

// 2. linear probe on frozen features
const rows = { data: images.data, shape: [n, 3 * 32 * 32] };
const feats = embed(backbone, rows);
console.log('probe before fine-tuning:', linearProbe(feats, labels, feats, labels).accuracy);

// 3. fine-tune with SimCLR: the stem and first stage stay fixed (their BatchNorm statistics
//    too), the other stages train at a tenth of the head's learning rate
backbone.freeze(['conv1', 'bn1', 'layer1']);
backbone.submodule('layer1').eval();
backbone.submodule('bn1').eval();
const head = simclrHead(256, { seed: 2 });
const model = new Trainer({
  method: 'simclr', temperature: 0.5,
  model: new Sequential(backbone, head),
  optimizer: new AdamW([
    { params: backbone.trainableParameters(), lr: 1e-4 },
    { params: head.parameters() },
  ], { lr: 1e-3, weightDecay: 1e-6 }),
});
const result = await fit(model, imageTrainData(images, presets['simclr-cifar10']({ size: 32 })), { epochs: 2, batchSize: 32 });
console.log('loss', result.losses[0].toFixed(3), '->', result.losses.at(-1)!.toFixed(3));
console.log('probe after:', linearProbe(embed(backbone, rows), labels, embed(backbone, rows), labels).accuracy);
