import { readFileSync, writeFileSync } from 'node:fs';
import { init, lenet28, loadModel, saveModel } from 'contrastive';

await init();
writeFileSync('encoder.safetensors', saveModel(lenet28({ bnRelu: true }))); // weights + architecture
const encoder = loadModel(readFileSync('encoder.safetensors')); // rebuilt without the code that made it
console.log(encoder.forward({ data: new Float32Array(784), rows: 1, cols: 784 }).cols); // 256
