// The text tab's worker: parses the pairs, trains a static embedding model with MNRL one epoch at a
// time (yielding between epochs so a new query or a stop gets through), and after every step sends
// the current query's nearest neighbours among the positives, found by exact cosine search.
import { fitSentence, init, parseTextRows, runtimeInfo, search, SentenceEncoder, WordPieceTokenizer } from 'contrastive';
import { NEIGHBOURS, type FromTextWorker, type TextConfig, type ToTextWorker } from './text-shared.js';

interface WorkerScope {
  postMessage(m: FromTextWorker): void;
  onmessage: ((e: MessageEvent<ToTextWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromTextWorker) => scope.postMessage(m);

interface Run {
  model: SentenceEncoder;
  corpus: string[];
  step: number;
  stopped: boolean;
}
let run: Run | undefined;
let query = '';

/** The current query's neighbours under the model as it is now. */
function neighbours(r: Run): void {
  if (query.trim() === '') {
    post({ type: 'neighbours', query, step: r.step, hits: [] });
    return;
  }
  const q = r.model.encode([query]);
  const c = r.model.encode(r.corpus);
  const s = search(q, c, { k: NEIGHBOURS });
  const hits = Array.from(s.indices, (j, t) => ({ text: r.corpus[j], score: s.scores[t] }));
  post({ type: 'neighbours', query, step: r.step, hits });
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function start(pairs: string, name: string, config: TextConfig): Promise<void> {
  await init();
  const rows = parseTextRows(pairs, { name, minColumns: 2 });
  const tok = WordPieceTokenizer.train(rows.texts.flat(), { vocabSize: 30000, minFrequency: 1 });
  const model = SentenceEncoder.static(tok, { dim: config.dim, maxLength: 64, seed: config.seed });
  const corpus = [...new Set(rows.texts.map((t) => t[1]))];
  const r: Run = { model, corpus, step: 0, stopped: false };
  run?.model.free();
  run = r;
  const perEpoch = Math.ceil(rows.texts.length / config.batchSize);
  post({
    type: 'ready',
    rows: rows.texts.length,
    corpus: corpus.length,
    vocab: tok.vocabSize,
    steps: perEpoch * config.epochs,
    variant: runtimeInfo().variant,
  });
  post({ type: 'state', state: 'running' });
  neighbours(r);
  for (let e = 0; e < config.epochs; e++) {
    await tick(); // a new query, a stop or a new start arrives here
    if (r !== run || r.stopped) break;
    fitSentence(model, rows, {
      epochs: 1,
      batchSize: config.batchSize,
      lr: config.lr,
      seed: config.seed + e,
      // one warmup at the start of the run, then the peak rate: each call is one epoch
      warmupRatio: e === 0 ? 0.1 : 0,
      schedule: 'constant',
      onStep: (s) => {
        r.step++;
        post({ type: 'step', step: r.step, steps: perEpoch * config.epochs, epoch: e, loss: s.loss });
        neighbours(r);
      },
    });
  }
  if (r === run) post({ type: 'state', state: r.stopped ? 'stopped' : 'done' });
}

scope.onmessage = (e) => {
  const m = e.data;
  const fail = (err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  try {
    if (m.type === 'start') {
      query = m.query;
      start(m.pairs, m.name, m.config).catch(fail);
    } else if (m.type === 'query') {
      query = m.query;
      if (run) neighbours(run);
    } else if (m.type === 'stop' && run) {
      run.stopped = true;
    }
  } catch (err) {
    fail(err);
  }
};
