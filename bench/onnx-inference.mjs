#!/usr/bin/env node
// Inference of an exported encoder: the library's own forward (what `embed` runs) beside
// onnxruntime-web (WebAssembly, SIMD, one thread) and onnxruntime-node (native CPU, one intra-op
// thread) running the ONNX file exportOnnx wrote for the same model, on the same batch. Rounds
// interleave the three; prints each one's median ms per batch and the per-round ratios.
//
// Usage: node bench/onnx-inference.mjs [--batch 256] [--rounds 7] [--reps 5]
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './args.mjs';
import { median } from './lib/gemm-core.mjs';

const require = createRequire(import.meta.url);
const { values: args } = benchArgs({
  options: { batch: { type: 'string', default: '256' }, rounds: { type: 'string', default: '7' }, reps: { type: 'string', default: '5' } },
});
const B = Number(args.batch);
const C = await import(new URL('../packages/contrastive/dist/index.node.js', import.meta.url).href);
await C.init({ variant: 'simd128' });
let ortWeb = await import('onnxruntime-web');
ortWeb = ortWeb.default ?? ortWeb;
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.wasmPaths = pathToFileURL(path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + path.sep).href;
let ortNode = await import('onnxruntime-node');
ortNode = ortNode.default ?? ortNode;

const x = Float32Array.from({ length: B * 784 }, (_, i) => (((Math.sin(i * 12.9898) * 43758.5453) % 1) + 1) % 1);
const models = {
  'MLP 784-512-256 (BN, ReLU)': C.mlp([784, 512, 256], { batchNorm: true }),
  'lenet28 CNN (32, 64 channels, BN + ReLU head)': C.lenet28({ bnRelu: true }),
};
const time = async (f) => {
  await f();
  const t = performance.now();
  for (let i = 0; i < Number(args.reps); i++) await f();
  return (performance.now() - t) / Number(args.reps);
};
console.log(
  `batch ${B}; contrastive ${C.version} simd128 1 thread; onnxruntime-web ${JSON.parse(readFileSync(path.join(path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')), '..', 'package.json'), 'utf8')).version} (wasm, 1 thread); onnxruntime-node ${ortNode.env?.versions?.node ?? '?'} (1 intra-op thread); Node ${process.version}`,
);
for (const [name, net] of Object.entries(models)) {
  const bytes = C.exportOnnx(net);
  const web = await ortWeb.InferenceSession.create(bytes);
  const native = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const ms = { ours: [], web: [], node: [] };
  for (let r = 0; r < Number(args.rounds); r++) {
    ms.ours.push(await time(() => net.forward({ data: x, rows: B, cols: 784 })));
    ms.web.push(await time(() => web.run({ input: new ortWeb.Tensor('float32', x, [B, 784]) })));
    ms.node.push(await time(() => native.run({ input: new ortNode.Tensor('float32', x, [B, 784]) })));
  }
  const ratio = (k) => median(ms[k].map((v, i) => v / ms.ours[i])).toFixed(2);
  console.log(
    `${name}: contrastive ${median(ms.ours).toFixed(1)} ms, onnxruntime-web ${median(ms.web).toFixed(1)} ms (${ratio('web')}x ours), onnxruntime-node ${median(ms.node).toFixed(1)} ms (${ratio('node')}x ours)`,
  );
}
