import { readFileSync } from 'node:fs';
import { AdamW, csvTable, embed, fit, fitStandardizer, init, linearProbe, mlp, scarf, Sequential, simclrHead, standardize, takeRows, Trainer, trainValTestSplit, vectorTrainData } from 'contrastive';

await init();
// header row; the label column by name, a text column one-hot encoded, an id column dropped
const table = csvTable(readFileSync('examples/data/machines.csv', 'utf8'), { label: 'state', categorical: ['site'], ignore: ['id'] });
console.log(`columns ${table.columns.join(', ')}; classes ${table.classes!.join(', ')}`);

const split = trainValTestSplit(table.labels!, { test: 0.25, seed: 0 });
const part = (idx: Int32Array) => ({ data: takeRows(table.x.data, table.x.rows, idx), rows: idx.length, cols: table.x.cols });
const scaling = fitStandardizer(part(split.train)); // keep it with the model for new rows
const train = standardize(part(split.train), scaling);
const test = standardize(part(split.test), scaling);

const encoder = mlp([train.cols, 64, 32], { seed: 0, batchNorm: true });
const model = new Sequential(encoder, simclrHead(32, { seed: 1 }));
const trainer = new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters(), { lr: 1e-3 }), temperature: 0.5 });
await fit(trainer, vectorTrainData(train, scarf({ rate: 0.6 }), { seed: 0 }), { epochs: 10, batchSize: 32 });

const labels = (idx: Int32Array) => Int32Array.from(idx, (i) => table.labels![i]);
const probe = linearProbe(embed(encoder, train), labels(split.train), embed(encoder, test), labels(split.test));
console.log(`linear probe accuracy ${probe.accuracy.toFixed(3)}`);
