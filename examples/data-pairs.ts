import { readFileSync } from 'node:fs';
import { AdamW, cosineSimilarity, embed, fit, init, jsonlPairs, mlp, pairTrainData, Trainer } from 'contrastive';

await init();
// one {"anchor": [...], "positive": [...]} object per line (add "negative" for triplets)
const pairs = jsonlPairs(readFileSync('examples/data/pairs.jsonl', 'utf8'));
const queryTower = mlp([pairs.anchor.cols, 64, 16], { seed: 0 });
const docTower = mlp([pairs.positive.cols, 64, 16], { seed: 1 });
const params = [
  ...queryTower.namedParameters().map(([k, p]) => [`query.${k}`, p] as [string, typeof p]),
  ...docTower.namedParameters().map(([k, p]) => [`doc.${k}`, p] as [string, typeof p]),
];
const trainer = new Trainer({ method: 'clip', model: queryTower, modelB: docTower, optimizer: new AdamW(params, { lr: 3e-3 }), temperature: 0.1 });
const run = await fit(trainer, pairTrainData(pairs.anchor, pairs.positive), { epochs: 20, batchSize: 32 });
console.log(`loss ${run.losses[0].toFixed(3)} -> ${run.losses.at(-1)!.toFixed(3)}`);

// retrieval: is each query's own document its nearest one?
const sim = cosineSimilarity(embed(queryTower, pairs.anchor), embed(docTower, pairs.positive));
let hits = 0;
for (let i = 0; i < sim.rows; i++) {
  const row = sim.data.subarray(i * sim.cols, (i + 1) * sim.cols);
  if (row.indexOf(Math.max(...row)) === i) hits++;
}
console.log(`recall@1 ${(hits / sim.rows).toFixed(3)}`);
