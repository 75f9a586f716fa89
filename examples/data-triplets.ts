import { readFileSync } from 'node:fs';
import { AdamW, cosineSimilarity, csvPairs, embed, fit, init, mlp, pairTrainData, Trainer } from 'contrastive';

await init();
// one row per triplet: a query's columns, its document's and a hard negative's (as many as the document's)
const t = csvPairs(readFileSync('examples/data/triplets.csv', 'utf8'), { anchor: ['q_*'], positive: ['d_*'], negative: ['n_*'] });
const queryTower = mlp([t.anchor.cols, 64, 16], { seed: 0 });
const docTower = mlp([t.positive.cols, 64, 16], { seed: 1 });
const params = [
  ...queryTower.namedParameters().map(([k, p]) => [`query.${k}`, p] as [string, typeof p]),
  ...docTower.namedParameters().map(([k, p]) => [`doc.${k}`, p] as [string, typeof p]),
];
const trainer = new Trainer({ method: 'clip', model: queryTower, modelB: docTower, optimizer: new AdamW(params, { lr: 3e-3 }), temperature: 0.1 });
// the negatives are a third view: the document tower encodes them beside the positives
const run = await fit(trainer, pairTrainData(t.anchor, t.positive, { negatives: t.negative }), { epochs: 20, batchSize: 32 });
console.log(`loss ${run.losses[0].toFixed(3)} -> ${run.losses.at(-1)!.toFixed(3)}`);

// does each query now score its document above its hard negative?
const q = embed(queryTower, t.anchor);
const toDoc = cosineSimilarity(q, embed(docTower, t.positive));
const toNeg = cosineSimilarity(q, embed(docTower, t.negative!));
let wins = 0;
for (let i = 0; i < q.rows; i++) if (toDoc.data[i * q.rows + i] > toNeg.data[i * q.rows + i]) wins++;
console.log(`document above its hard negative for ${wins} of ${q.rows} queries`);
