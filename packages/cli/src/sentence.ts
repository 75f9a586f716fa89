// The sentence-embedding commands: `train --text`, `eval --queries/--corpus/--qrels`, `embed --text`.
// A model is a folder: config.json, tokenizer.json (Hugging Face format), model.safetensors.
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ContrastiveError,
  fitSentence,
  informationRetrieval,
  init,
  loadSentenceModel,
  parseBeirJsonl,
  parseQrels,
  parseTextRows,
  runtimeInfo,
  SentenceEncoder,
  WordPieceTokenizer,
  type SentenceLoss,
  type SentenceModel,
} from 'contrastive';
import { atomicWrite } from './output.js';
import { embedText } from './text.js';

/** Whether argv is a text command (dispatched here instead of the image commands). */
export function isTextCommand(argv: string[]): boolean {
  const cmd = argv[2];
  const has = (f: string) => argv.some((a) => a === f || a.startsWith(f + '='));
  return ((cmd === 'train' || cmd === 'embed') && has('--text')) || (cmd === 'eval' && (has('--queries') || has('--corpus') || has('--qrels')));
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};
const fraction = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`${name} must be a number in [0, 1), got ${JSON.stringify(v)}`);
  return n;
};
const intList = (name: string) => (v: string) => {
  const l = v.split(',').map((s) => Number(s.trim()));
  if (l.length === 0 || l.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError(`${name} must be comma-separated positive integers, got ${JSON.stringify(v)}`);
  return l;
};

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `${what} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

/** A trainable model folder (ours, or a Hugging Face BERT folder with a WordPiece tokenizer.json) for `--encoder DIR`. */
async function loadTrainable(dir: string): Promise<SentenceEncoder> {
  const need = ['config.json', 'tokenizer.json', 'model.safetensors'];
  for (const f of need) {
    try {
      await stat(join(dir, f));
    } catch {
      throw new ContrastiveError('INVALID_ARGUMENT', `--encoder ${dir}: no ${f} (a model folder has ${need.join(', ')})`);
    }
  }
  return SentenceEncoder.load(dir);
}

/** Any model folder for eval (ours or a sentence-transformers one). */
async function loadModel(dir: string): Promise<SentenceModel> {
  try {
    await stat(join(dir, 'config.json'));
  } catch {
    throw new ContrastiveError('INVALID_ARGUMENT', `--model ${dir}: no config.json (a model folder has config.json, tokenizer.json, model.safetensors)`);
  }
  return loadSentenceModel(dir);
}

async function saveSentenceModel(enc: SentenceEncoder, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(enc.files())) await atomicWrite(join(dir, name), bytes);
}

const start = (o: { threads?: string }) => init(o.threads === undefined ? {} : { threads: o.threads === 'auto' ? 'auto' : int('--threads')(o.threads) });

function textProgram(): Command {
  const program = new Command().name('contrastive').exitOverride().showHelpAfterError('(add --help for usage)');
  program
    .command('train')
    .description('train a sentence-embedding model on text pairs (JSONL/CSV/TSV: anchor, positive[, negative ...][, label|score]; --loss triplet: text, label)')
    .requiredOption('--text <file>', 'training rows; column order gives the roles, a "label" or "score" column is the label')
    .option(
      '--encoder <kind>',
      'static (embedding table + mean pooling), transformer (a small BERT from scratch) or a model folder (config.json + model.safetensors + tokenizer.json, e.g. a Hugging Face BERT/MiniLM) to fine-tune',
      'static',
    )
    .addOption(new Option('--loss <loss>', 'training loss').choices(['mnrl', 'cached-mnrl', 'matryoshka', 'cosent', 'contrastive', 'triplet']).default('mnrl'))
    .option('--epochs <n>', 'passes over the rows', int('--epochs'), 1)
    .option('--batch-size <n>', 'rows per step (in-batch negatives)', int('--batch-size'), 64)
    .option('--lr <x>', 'peak learning rate (default 0.05 static, 5e-5 transformer)', positive('--lr'))
    .option('--warmup-ratio <f>', 'fraction of the steps warming up linearly', fraction('--warmup-ratio'), 0.1)
    .option('--scale <s>', 'similarity scale of mnrl/cosent (1/temperature)', positive('--scale'), 20)
    .option('--symmetric', 'mnrl in both directions (anchor->positive and positive->anchor)')
    .option('--matryoshka-dims <list>', 'prefix dims for --loss matryoshka (default D, D/2, D/4, D/8)', intList('--matryoshka-dims'))
    .option('--mini-batch-size <n>', 'cached-mnrl: texts per forward chunk', int('--mini-batch-size'), 32)
    .option('--margin <m>', 'contrastive: cosine-distance margin (default 0.5); triplet: Euclidean-distance margin (default 5)', positive('--margin'))
    .addOption(
      new Option('--triplet-mining <m>', 'triplet: the triplets of a batch (sentence-transformers BatchHard/BatchSemiHard/BatchAllTripletLoss)')
        .choices(['batch-hard', 'batch-semi-hard', 'batch-all'])
        .default('batch-hard'),
    )
    .option('--dim <n>', 'static: embedding width', int('--dim'), 256)
    .option('--sparse-adam', 'static: SparseAdam on the touched rows only (faster) instead of AdamW over the whole table')
    .option('--hidden <n>', 'transformer: hidden size', int('--hidden'), 256)
    .option('--layers <n>', 'transformer: layers', int('--layers'), 4)
    .option('--heads <n>', 'transformer: attention heads', int('--heads'), 4)
    .option('--vocab-size <n>', 'static/transformer: WordPiece vocabulary trained on the rows', int('--vocab-size'), 30000)
    .option('--max-length <n>', 'tokens per text', int('--max-length'), 128)
    .option('--seed <n>', 'seed of batches and init', (v) => Number(v), 0)
    .option('--threads <n>', "kernel threads: n or 'auto'")
    .requiredOption('--out <dir>', 'model folder to write (config.json, tokenizer.json, model.safetensors)')
    .option('--max-samples <n>', 'train on the first n rows only', int('--max-samples'))
    .option('--json', 'print one JSON object')
    .action(async (o) => {
      await start(o);
      const all = parseTextRows(await readText(o.text, '--text'), { name: o.text, minColumns: o.loss === 'triplet' ? 1 : 2 });
      const n = Math.min(all.texts.length, o.maxSamples ?? Infinity);
      const rows = n === all.texts.length ? all : { ...all, texts: all.texts.slice(0, n), lines: all.lines.slice(0, n), labels: all.labels?.slice(0, n) };
      let enc: SentenceEncoder;
      if (o.encoder === 'static' || o.encoder === 'transformer') {
        const texts = rows.texts.flat();
        const tok = WordPieceTokenizer.train(texts, { vocabSize: o.vocabSize, minFrequency: 1 });
        enc =
          o.encoder === 'static'
            ? SentenceEncoder.static(tok, { dim: o.dim, maxLength: o.maxLength, seed: o.seed })
            : SentenceEncoder.transformer(
                new WordPieceTokenizer(tok.tokens, { specialTokens: true }), // [CLS] ... [SEP], as BERT
                { hidden_size: o.hidden, num_hidden_layers: o.layers, num_attention_heads: o.heads, intermediate_size: 4 * o.hidden, seed: o.seed },
                { maxLength: o.maxLength },
              );
      } else {
        enc = await loadTrainable(o.encoder);
      }
      const loss = o.loss as SentenceLoss;
      const t0 = performance.now();
      let last = -1;
      const r = fitSentence(enc, rows, {
        loss,
        epochs: o.epochs,
        batchSize: o.batchSize,
        lr: o.lr,
        warmupRatio: o.warmupRatio,
        scale: o.scale,
        symmetric: !!o.symmetric,
        matryoshka: o.matryoshkaDims ? { dims: o.matryoshkaDims } : undefined,
        miniBatchSize: o.miniBatchSize,
        margin: o.margin,
        tripletMining: ({ 'batch-hard': 'batchHard', 'batch-semi-hard': 'batchSemiHard', 'batch-all': 'batchAll' } as const)[o.tripletMining as 'batch-hard'],
        seed: o.seed,
        sparse: !!o.sparseAdam,
        onStep: (e) => {
          if (o.json || e.epoch === last) return;
          last = e.epoch;
          process.stderr.write(`epoch ${e.epoch + 1}/${o.epochs}: ${e.steps} steps in all, lr ${e.lr.toExponential(2)}\n`);
        },
      });
      await saveSentenceModel(enc, o.out);
      const summary = {
        out: o.out,
        encoder: o.encoder,
        loss,
        rows: rows.texts.length,
        columns: rows.columns,
        steps: r.steps,
        epochLosses: r.epochLosses,
        rowsPerSecond: r.rowsPerSecond,
        seconds: (performance.now() - t0) / 1000,
        dims: enc.dim,
        vocab: enc.tokenizer.vocabSize,
        variant: runtimeInfo().variant,
      };
      if (o.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `trained ${o.encoder} model (${enc.dim} dims, ${enc.tokenizer.vocabSize} tokens) with ${loss} on ${rows.texts.length} rows: loss ${r.epochLosses[0]?.toFixed(4)} -> ${r.epochLosses[r.epochLosses.length - 1]?.toFixed(4)}, ${r.rowsPerSecond.toFixed(0)} rows/s; saved ${o.out}`,
        );
    });

  program
    .command('eval')
    .description('retrieval metrics of a sentence-embedding model on a BEIR-style set (exact cosine search)')
    .requiredOption('--model <dir>', 'model folder from `contrastive train --text`')
    .requiredOption('--queries <file>', 'queries JSONL: {"_id", "text"}')
    .requiredOption('--corpus <file>', 'corpus JSONL: {"_id", "text"[, "title"]}')
    .requiredOption('--qrels <file>', 'qrels TSV: query-id, corpus-id, score')
    .option('--batch-size <n>', 'texts per forward pass', int('--batch-size'), 128)
    .option('--dims <n>', 'truncate embeddings to the first n dims (Matryoshka)', int('--dims'))
    .option('--threads <n>', "kernel threads: n or 'auto'")
    .option('--max-samples <n>', 'score the first n queries only', int('--max-samples'))
    .option('--json', 'print one JSON object')
    .action(async (o) => {
      const q0 = parseBeirJsonl(await readText(o.queries, '--queries'), o.queries);
      const nq = Math.min(q0.ids.length, o.maxSamples ?? Infinity);
      const q = { ids: q0.ids.slice(0, nq), texts: q0.texts.slice(0, nq) };
      const c = parseBeirJsonl(await readText(o.corpus, '--corpus'), o.corpus);
      const qrels = parseQrels(await readText(o.qrels, '--qrels'), { name: o.qrels, queryIds: q0.ids, corpusIds: c.ids });
      await start(o);
      const enc = await loadModel(o.model);
      const t0 = performance.now();
      const opts = { batchSize: o.batchSize, dims: o.dims };
      const m = informationRetrieval({ queries: enc.encode(q.texts, opts), queryIds: q.ids, corpus: enc.encode(c.texts, opts), corpusIds: c.ids, qrels });
      const result = { model: o.model, ...m, corpus: c.ids.length, seconds: (performance.now() - t0) / 1000 };
      if (o.json) console.log(JSON.stringify(result));
      else
        console.log(
          `${o.model}: MRR@10 ${m['mrr@10'].toFixed(4)}, NDCG@10 ${m['ndcg@10'].toFixed(4)}, recall@1 ${m['recall@1'].toFixed(4)}, recall@10 ${m['recall@10'].toFixed(4)}, MAP@100 ${m['map@100'].toFixed(4)} (${m.queries} queries, ${c.ids.length} documents)`,
        );
    });

  program
    .command('embed')
    .description('embed texts with a sentence-embedding model (ours or a sentence-transformers folder) and write them as .npy (float32, N x D)')
    .requiredOption('--model <dir>', 'model folder')
    .requiredOption('--text <file>', 'one text per line, or JSONL with a "text" field (rows in file order)')
    .requiredOption('--out <file>', 'output .npy')
    .option('--batch-size <n>', 'texts per forward pass', int('--batch-size'), 128)
    .option('--normalize', 'L2-normalize every embedding')
    .option('--dims <n>', 'keep the first n dims (Matryoshka)', int('--dims'))
    .option('--threads <n>', "kernel threads: n or 'auto'")
    .action(async (o) => {
      await start(o);
      await embedText({ model: o.model, text: o.text, out: o.out, batchSize: o.batchSize, normalize: !!o.normalize, dims: o.dims });
    });
  return program;
}

/** Runs a text command (argv as process.argv). */
export async function runTextCommand(argv: string[]): Promise<void> {
  await textProgram().parseAsync(argv);
}
