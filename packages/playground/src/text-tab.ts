// The text tab: pairs in (pasted, loaded or the sample), a static embedding model trained in
// ./text-worker.ts, and the typed query's nearest neighbours redrawn after every training step.
import { DEFAULT_TEXT_CONFIG, samplePairs, type FromTextWorker, type TextConfig, type ToTextWorker } from './text-shared.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// ---- tabs ----------------------------------------------------------------------------------
for (const b of document.querySelectorAll<HTMLButtonElement>('#tabs button')) {
  b.addEventListener('click', () => {
    for (const o of document.querySelectorAll<HTMLButtonElement>('#tabs button')) {
      o.setAttribute('aria-selected', String(o === b));
      $(o.dataset.tab!).hidden = o !== b;
    }
  });
}

// ---- text tab ------------------------------------------------------------------------------
const pairs = $<HTMLTextAreaElement>('pairs');
let pairsName = 'pairs.tsv';
const fields: [keyof Omit<TextConfig, 'seed'>, string][] = [
  ['dim', 'text-dim'],
  ['epochs', 'text-epochs'],
  ['batchSize', 'text-batch'],
  ['lr', 'text-lr'],
];
for (const [k, id] of fields) $<HTMLInputElement>(id).value = String(DEFAULT_TEXT_CONFIG[k]);
pairs.value = samplePairs();

function status(msg: string): void {
  $('pairs-status').textContent = msg;
}

$('pairs-sample').addEventListener('click', () => {
  pairs.value = samplePairs();
  pairsName = 'pairs.tsv';
  status('the sample: 64 English phrases and their French words');
});
$<HTMLInputElement>('pairs-file').addEventListener('change', async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (!f) return;
  pairs.value = await f.text();
  pairsName = f.name;
  status(`${f.name}: ${pairs.value.split('\n').filter((l) => l.trim()).length} lines`);
});

let worker: Worker | undefined;
const query = $<HTMLInputElement>('query');
const list = $('neighbours');

function setRunning(on: boolean): void {
  $<HTMLButtonElement>('text-stop').disabled = !on;
}

function onMessage(m: FromTextWorker): void {
  switch (m.type) {
    case 'ready':
      $('text-total').textContent = ` / ${m.steps}`;
      status(`${m.rows} pairs, ${m.corpus} distinct positives, ${m.vocab} WordPiece tokens (${m.variant})`);
      break;
    case 'step':
      $('text-step').textContent = String(m.step);
      $('text-loss').textContent = m.loss.toFixed(4);
      break;
    case 'neighbours': {
      if (m.query !== query.value) break; // an older query's answer
      list.replaceChildren(
        ...m.hits.map((h) => {
          const li = document.createElement('li');
          const score = document.createElement('span');
          score.className = 'score';
          score.textContent = h.score.toFixed(3);
          li.append(h.text, score);
          return li;
        }),
      );
      list.dataset.step = String(m.step);
      $('neighbours-caption').textContent = `after step ${m.step}`;
      break;
    }
    case 'state':
      $('text-state').textContent = m.state;
      setRunning(m.state === 'running');
      break;
    case 'error': {
      $('text-state').textContent = 'error';
      setRunning(false);
      const el = $('error');
      el.textContent = `Error: ${m.message}`;
      el.hidden = false;
      break;
    }
  }
}

$('text-train').addEventListener('click', () => {
  worker ??= new Worker(new URL('./text-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (e: MessageEvent<FromTextWorker>) => onMessage(e.data);
  worker.onerror = (e) => onMessage({ type: 'error', message: e.message });
  const config = { ...DEFAULT_TEXT_CONFIG };
  for (const [k, id] of fields) config[k] = Number($<HTMLInputElement>(id).value);
  $('error').hidden = true;
  $('text-step').textContent = '0';
  $('text-loss').textContent = '–';
  const msg: ToTextWorker = { type: 'start', pairs: pairs.value, name: pairsName, config, query: query.value };
  worker.postMessage(msg);
});
$('text-stop').addEventListener('click', () => worker?.postMessage({ type: 'stop' } satisfies ToTextWorker));
query.addEventListener('input', () => worker?.postMessage({ type: 'query', query: query.value } satisfies ToTextWorker));
