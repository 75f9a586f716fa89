import { fitSentence, init, SentenceEncoder, WordPieceTokenizer, type TextRows } from 'contrastive';

await init();
// A BERT folder: config.json + tokenizer.json (WordPiece) + model.safetensors in Hugging Face names.
// Here a small one is made and written out first; a downloaded all-MiniLM-L6-v2 folder loads the same way:
//   SentenceEncoder.fromFiles({ 'config.json': readFileSync(dir + '/config.json', 'utf8'), ... })
const texts = ['a red car', 'the car painted red', 'a blue cup', 'the cup painted blue', 'a green bird', 'the bird painted green'];
const tok = new WordPieceTokenizer(WordPieceTokenizer.train(texts, { vocabSize: 200, minFrequency: 1 }).tokens, { specialTokens: true });
const folder = SentenceEncoder.transformer(tok, { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 }).files();

const model = SentenceEncoder.fromFiles(folder as never); // config.json, tokenizer.json, model.safetensors
const rows: TextRows = { columns: ['anchor', 'positive'], texts: [[texts[0], texts[1]], [texts[2], texts[3]], [texts[4], texts[5]]], lines: [1, 2, 3] };
const r = fitSentence(model, rows, { loss: 'cached-mnrl', miniBatchSize: 2, epochs: 3, batchSize: 3, lr: 1e-3, warmupRatio: 0.1 });
console.log(r.steps, model.encode(['a red car']).cols); // 3 32
