#!/usr/bin/env node
// Inference of an exported text encoder: the library's own forward (what `encode` and `embed
// --text` run) beside onnxruntime-web (WebAssembly, SIMD, one thread) and onnxruntime-node (native
// CPU, one intra-op thread) running the ONNX file exportOnnx wrote for the same model, on the same
// padded batch of token ids. The transformer has MiniLM-L6's shape (6 layers, 384 wide, 12 heads;
// random weights: the time does not depend on them) with mean pooling and normalization; the
// static model is a 30522 x 256 table. Rounds interleave the three; prints each one's median ms
// per batch and the per-round ratios.
//
// Usage: node bench/onnx-text-inference.mjs [--batch 32] [--seq 64] [--rounds 5] [--reps 3]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchArgs } from './args.mjs';
import { median } from './lib/gemm-core.mjs';

const require = createRequire(import.meta.url);
const { values: args } = benchArgs({
  options: {
    batch: { type: 'string', default: '32' },
    seq: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '5' },
    reps: { type: 'string', default: '3' },
  },
});
const [B, S] = [Number(args.batch), Number(args.seq)];
const C = await import(new URL('../packages/contrastive/dist/index.node.js', import.meta.url).href);
await C.init({ variant: 'simd128' });
let ortWeb = await import('onnxruntime-web');
ortWeb = ortWeb.default ?? ortWeb;
ortWeb.env.wasm.numThreads = 1;
ortWeb.env.wasm.wasmPaths = pathToFileURL(path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')) + path.sep).href;
let ortNode = await import('onnxruntime-node');
ortNode = ortNode.default ?? ortNode;

// a padded batch: row r keeps its first S - (r * 7) % (S / 2) tokens
const V = 30522;
const ids = new Int32Array(B * S);
const mask = new Int32Array(B * S);
for (let r = 0; r < B; r++) {
  const len = S - ((r * 7) % Math.floor(S / 2));
  for (let c = 0; c < S; c++) {
    ids[r * S + c] = c < len ? 1 + ((r * 131 + c * 17) % (V - 1)) : 0;
    mask[r * S + c] = c < len ? 1 : 0;
  }
}
const types = new Int32Array(B * S);
const models = {
  'MiniLM-L6 shape (6 x 384, mean pooling, normalized)': new C.SentenceTransformer(
    C.bertEncoder({ vocab_size: V, hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 1536 }),
    undefined,
    { pooling: 'mean', normalize: true },
  ),
  'static embedding (30522 x 256, mean)': C.staticEmbedding({ vocabSize: V, dim: 256 }),
};
// ms per call: at least --reps calls and at least 200 ms of them (the static model takes well under 1 ms)
const time = async (f) => {
  await f();
  const t = performance.now();
  let n = 0;
  while (n < Number(args.reps) || performance.now() - t < 200) {
    await f();
    n++;
  }
  return (performance.now() - t) / n;
};
const webVersion = JSON.parse(
  readFileSync(path.join(path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm')), '..', 'package.json'), 'utf8'),
).version;
console.log(
  `batch ${B} x ${S} tokens (padded rows); contrastive ${C.version} simd128 1 thread; onnxruntime-web ${webVersion} (wasm, 1 thread); onnxruntime-node (1 intra-op thread); Node ${process.version}`,
);
const m = (a) => ({ data: a, rows: B, cols: S });
for (const [name, net] of Object.entries(models)) {
  const bert = net instanceof C.SentenceTransformer;
  const bytes = C.exportOnnx(net);
  const web = await ortWeb.InferenceSession.create(bytes);
  const native = await ortNode.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const feeds = (rt) => {
    const t = (a) =>
      new rt.Tensor(
        'int64',
        BigInt64Array.from(a, (v) => BigInt(v)),
        [B, S],
      );
    return bert ? { input_ids: t(ids), attention_mask: t(mask), token_type_ids: t(types) } : { input_ids: t(ids), attention_mask: t(mask) };
  };
  const ms = { ours: [], web: [], node: [] };
  for (let r = 0; r < Number(args.rounds); r++) {
    ms.ours.push(await time(() => net.forward(m(ids), { attentionMask: m(mask) })));
    ms.web.push(await time(() => web.run(feeds(ortWeb))));
    ms.node.push(await time(() => native.run(feeds(ortNode))));
  }
  const ratio = (k) => median(ms[k].map((v, i) => v / ms.ours[i])).toFixed(2);
  console.log(
    `${name}: contrastive ${median(ms.ours).toFixed(1)} ms, onnxruntime-web ${median(ms.web).toFixed(1)} ms (${ratio('web')}x ours), onnxruntime-node ${median(ms.node).toFixed(1)} ms (${ratio('node')}x ours)`,
  );
}
