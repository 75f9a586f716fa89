import { infoNce, init, SparseAdam, staticEmbedding } from 'contrastive';

await init();
// one vector per token, averaged: the fast CPU model family (sentence-transformers' StaticEmbedding)
const model = staticEmbedding({ vocabSize: 30522, dim: 64 });
const opt = new SparseAdam(model.parameters(), { lr: 0.05 }); // updates only the rows in the batch
// 4 (query, document) pairs of token ids, queries in rows 0-3, documents in rows 4-7; 0 = padding
const ids = {
  data: [11, 12, 0, 21, 22, 0, 31, 32, 33, 41, 0, 0, 11, 13, 14, 21, 23, 0, 31, 34, 0, 41, 42, 43],
  rows: 8, cols: 3,
};
for (let step = 0; step < 20; step++) {
  opt.zeroGrad();
  const z = model.forward(ids, { training: true }); // [8, 64]; padding ids are left out of the mean
  const half = 4 * z.cols;
  const r = infoNce({ data: z.data.slice(0, half), rows: 4, cols: z.cols }, { data: z.data.slice(half), rows: 4, cols: z.cols }, { temperature: 0.5 });
  const g = new Float32Array(2 * half);
  g.set(r.grads.query.data);
  g.set(r.grads.key.data, half);
  model.backward({ data: g, rows: 8, cols: z.cols }, { inputGrad: false });
  opt.step();
  if (step % 19 === 0) console.log(step, r.loss.toFixed(3), model.weight.touchedCount); // the loss falls; 14 rows of 30522 touched
}
