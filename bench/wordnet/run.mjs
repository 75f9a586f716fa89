#!/usr/bin/env node
// The WordNet reverse-dictionary benchmark (build the data first: node bench/wordnet/build.mjs).
// Scores, on the held-out synsets (test words never trained on), with MRR@10 / NDCG@10 /
// recall@1 / recall@10 as sentence-transformers' InformationRetrievalEvaluator defines them:
//   bm25         Okapi BM25 (k1 1.2, b 0.75) over the word lists
//   static-init  the static model (WordPiece vocabulary from the training pairs, 256 dims) untrained
//   static       the same after MNRL (+ Matryoshka) training on the training pairs
//   transformer  a small BERT (2 layers, hidden 128) trained from scratch with MNRL on a subset
//
// Usage: node bench/wordnet/run.mjs [--epochs 1] [--batch 128] [--dim 256] [--lr 0.05] [--optimizer sparseadam|adamw]
//        [--tf-pairs 20000] [--tf-epochs 1] [--only bm25,static-init,static,transformer]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from '../args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = benchArgs({
  options: {
    data: { type: 'string', default: join(here, 'data') },
    epochs: { type: 'string', default: '1' },
    batch: { type: 'string', default: '128' },
    dim: { type: 'string', default: '256' },
    lr: { type: 'string', default: '0.05' },
    optimizer: { type: 'string', default: 'adamw' },
    'tf-pairs': { type: 'string', default: '20000' },
    'tf-epochs': { type: 'string', default: '1' },
    only: { type: 'string', default: 'bm25,static-init,static,transformer' },
    json: { type: 'boolean', default: false },
  },
});
const pkg = await import('../../packages/contrastive/dist/index.node.js');
const { Bm25, fitSentence, informationRetrieval, init, parseBeirJsonl, parseQrels, parseTextRows, retrievalMetrics, SentenceEncoder, WordPieceTokenizer } = pkg;
await init();
const read = (f) => readFileSync(join(a.data, f), 'utf8');
const rows = parseTextRows(read('train.jsonl'), { name: 'train.jsonl' });
const q = parseBeirJsonl(read('queries.jsonl'), 'queries.jsonl');
const c = parseBeirJsonl(read('corpus.jsonl'), 'corpus.jsonl');
const qrels = parseQrels(read('qrels.tsv'), { name: 'qrels.tsv', queryIds: q.ids, corpusIds: c.ids });
const only = new Set(a.only.split(','));
const results = {};
const pick = (m) => ({ 'mrr@10': m['mrr@10'], 'ndcg@10': m['ndcg@10'], 'recall@1': m['recall@1'], 'recall@10': m['recall@10'] });
const log = (name, m, extra = {}) => {
  results[name] = { ...pick(m), ...extra };
  if (!a.json)
    console.error(
      `${name.padEnd(12)} MRR@10 ${m['mrr@10'].toFixed(4)}  NDCG@10 ${m['ndcg@10'].toFixed(4)}  R@1 ${m['recall@1'].toFixed(4)}  R@10 ${m['recall@10'].toFixed(4)}`,
      JSON.stringify(extra),
    );
};
const evalEnc = (enc) =>
  informationRetrieval({
    queries: enc.encode(q.texts, { batchSize: 256 }),
    queryIds: q.ids,
    corpus: enc.encode(c.texts, { batchSize: 256 }),
    corpusIds: c.ids,
    qrels,
  });

if (only.has('bm25')) {
  const t0 = performance.now();
  const bm = new Bm25(c.texts);
  const ranked = q.texts.map((t) => bm.search(t, 100).indices.map((i) => c.ids[i]));
  log('bm25', retrievalMetrics(q.ids, ranked, qrels), { seconds: (performance.now() - t0) / 1000 });
}
const tok = WordPieceTokenizer.train(rows.texts.flat(), { vocabSize: 30000, minFrequency: 2 });
writeFileSync(join(a.data, 'tokenizer.json'), tok.toJSON()); // the vocabulary st_static.py trains with
if (only.has('static-init') || only.has('static')) {
  const enc = SentenceEncoder.static(tok, { dim: Number(a.dim), maxLength: 64 });
  if (only.has('static-init')) log('static-init', evalEnc(enc));
  if (only.has('static')) {
    const t0 = performance.now();
    // SparseAdam updates only the rows a batch touched; AdamW (sentence-transformers' default) the whole table
    const r = fitSentence(enc, rows, {
      loss: 'matryoshka',
      epochs: Number(a.epochs),
      batchSize: Number(a.batch),
      lr: Number(a.lr),
      sparse: a.optimizer === 'sparseadam',
    });
    log('static', evalEnc(enc), {
      trainSeconds: (performance.now() - t0) / 1000,
      pairsPerSecond: r.rowsPerSecond,
      steps: r.steps,
      epochs: Number(a.epochs),
      batch: Number(a.batch),
      vocab: tok.vocabSize,
      optimizer: a.optimizer,
    });
  }
}
if (only.has('transformer')) {
  const n = Math.min(rows.texts.length, Number(a['tf-pairs']));
  const sub = { ...rows, texts: rows.texts.slice(0, n), lines: rows.lines.slice(0, n) };
  const ttok = new WordPieceTokenizer(tok.tokens, { specialTokens: true });
  const enc = SentenceEncoder.transformer(
    ttok,
    { hidden_size: 128, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 512, hidden_dropout_prob: 0.1 },
    { maxLength: 48 },
  );
  const t0 = performance.now();
  const r = fitSentence(enc, sub, { loss: 'mnrl', epochs: Number(a['tf-epochs']), batchSize: 64, lr: 5e-4 });
  log('transformer', evalEnc(enc), { trainSeconds: (performance.now() - t0) / 1000, pairsPerSecond: r.rowsPerSecond, pairs: n });
}
console.log(JSON.stringify({ task: 'wordnet-reverse-dictionary', queries: q.ids.length, documents: c.ids.length, train: rows.texts.length, results }));
