// `contrastive embed --model DIR --text FILE`: sentence embeddings from a model folder (one this library
// trained, or a sentence-transformers / Hugging Face folder), loaded by the library's loadSentenceModel.
import { readFile, stat } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { ContrastiveError, loadSentenceModel, writeNpy } from 'contrastive';
import { atomicWrite } from './model.js';

/**
 * Texts of a file, in order: JSONL (every non-empty line a JSON object with a string `text`)
 * when the first non-empty line is a JSON object, else one text per line (a trailing empty line ignored).
 */
export async function readTexts(file: string): Promise<string[]> {
  const raw = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '');
  const lines = raw.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const first = lines.find((l) => l.trim() !== '');
  if (first === undefined) throw new ContrastiveError('INVALID_ARGUMENT', `${file} has no texts`);
  if (!first.trimStart().startsWith('{')) return lines;
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch {
      throw new ContrastiveError('INVALID_ARGUMENT', `${file}:${i + 1}: not valid JSON (a JSONL file needs one object per line)`);
    }
    const t = (o as { text?: unknown })?.text;
    if (typeof t !== 'string') throw new ContrastiveError('INVALID_ARGUMENT', `${file}:${i + 1}: no string "text" field`);
    out.push(t);
  });
  return out;
}

export async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export async function embedText(o: { model: string; text: string; out: string; batchSize?: number; normalize?: boolean; dims?: number }): Promise<void> {
  if (!(await isDirectory(o.model))) {
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      `--text needs --model to be a model folder (config.json, model.safetensors, tokenizer.json); ${o.model} is not a folder`,
    );
  }
  const texts = await readTexts(o.text);
  const model = await loadSentenceModel(o.model);
  const t0 = performance.now();
  // a progress bar on a terminal (texts, texts/s, ETA); nothing when stderr is not a TTY
  const bar = new cliProgress.SingleBar(
    { format: 'embed [{bar}] {value}/{total} texts | {speed} texts/s | ETA {eta}s', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(texts.length, 0, { speed: '0' });
  let z: ReturnType<typeof model.encode>;
  try {
    z = model.encode(texts, {
      batchSize: o.batchSize ?? 32,
      normalize: !!o.normalize,
      dims: o.dims,
      onProgress: (done) => bar.update(done, { speed: (done / ((performance.now() - t0) / 1000)).toFixed(1) }),
    });
  } finally {
    bar.stop();
  }
  const s = (performance.now() - t0) / 1000;
  model.free();
  await atomicWrite(o.out, writeNpy([z.rows, z.cols], z.data));
  console.log(`wrote ${z.rows} x ${z.cols} embeddings to ${o.out} (${s.toFixed(1)} s)`);
}
