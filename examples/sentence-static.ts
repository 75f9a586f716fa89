import { fitSentence, init, parseTextRows, search, SentenceEncoder, WordPieceTokenizer } from 'contrastive';

await init();
// (anchor, positive) rows; in a file this is pairs.jsonl / .csv / .tsv read with parseTextRows
const colors = ['red', 'blue', 'green', 'yellow', 'black', 'white'];
const things = ['car', 'house', 'bird', 'flower', 'shirt', 'cup'];
const jsonl = colors.flatMap((c) => things.map((t) => JSON.stringify({ anchor: `a ${c} ${t}`, positive: `the ${t} painted ${c}` }))).join('\n');
const rows = parseTextRows(jsonl, { name: 'pairs.jsonl' });

const tokenizer = WordPieceTokenizer.train(rows.texts.flat(), { vocabSize: 5000, minFrequency: 1 });
const model = SentenceEncoder.static(tokenizer, { dim: 64 });
const r = fitSentence(model, rows, { loss: 'matryoshka', epochs: 5, batchSize: 16, lr: 0.1 });
console.log(r.epochLosses.map((l) => l.toFixed(3)).join(' -> '));

const docs = rows.texts.map((t) => t[1]);
const hits = search(model.encode(['a green bird']), model.encode(docs), { k: 3 });
console.log([...hits.indices].map((i) => docs[i])); // 'the bird painted green' first
const small = model.encode(['a green bird'], { dims: 16, normalize: true }); // Matryoshka: the first 16 dims
console.log(small.cols); // 16
