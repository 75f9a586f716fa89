import { AdamW, init, mlp, mnrl } from 'contrastive';

await init();
// Frozen embeddings from any model (e.g. transformers.js output): query i matches document i.
const n = 64, d = 48;
const rand = (seed: number) => Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 43758.5453 % 1);
const queries = { data: rand(1), rows: n, cols: d };
const docs = { data: rand(2), rows: n, cols: d };

const adapter = mlp([d, 64, d], { seed: 0 }); // trained on top; the embedding model stays frozen
const opt = new AdamW(adapter.namedParameters(), { lr: 1e-3 });
const before = mnrl(adapter.forward(queries), docs, { grad: false }).loss;
for (let step = 0; step < 50; step++) {
  opt.zeroGrad();
  const q = adapter.forward(queries, { training: true });
  const qGrad = mnrl(q, docs, { scale: 20 }).grads.anchor; // adapt the query side only
  adapter.backward(qGrad, { inputGrad: false });
  opt.step();
}
const after = mnrl(adapter.forward(queries), docs, { grad: false }).loss;
console.log(`${before.toFixed(3)} -> ${after.toFixed(3)}`); // the loss falls
