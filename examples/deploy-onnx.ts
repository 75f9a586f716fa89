import { readFileSync, writeFileSync } from 'node:fs';
import { exportOnnx, init, mlp } from 'contrastive';
import * as ort from 'onnxruntime-web';

await init();
const encoder = mlp([784, 256, 128], { batchNorm: true }); // your trained encoder
writeFileSync('encoder.onnx', exportOnnx(encoder)); // input [batch, 784] -> output [batch, 128]

// anywhere onnxruntime runs: the same embeddings as encoder.forward
const session = await ort.InferenceSession.create(readFileSync('encoder.onnx'));
const x = new Float32Array(2 * 784).fill(0.5);
const { output } = await session.run({ input: new ort.Tensor('float32', x, [2, 784]) });
console.log(output.dims); // [ 2, 128 ]
