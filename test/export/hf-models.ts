// Text models for the Hugging Face folder tests: a small random BERT over a WordPiece trained here,
// a static model, and all-MiniLM-L6-v2 fine-tuned one MNRL step (when the folder is on disk).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdamW,
  loadSentenceTransformer,
  type ModelFiles,
  mnrl,
  type SentenceTransformer,
  SentenceEncoder,
  WordPieceTokenizer,
} from '../../packages/contrastive/src/index.node.js';
import { perturb } from './text-fixtures.js';

export const TEXTS = [
  'the cat sat on the mat',
  'a dog runs in the park',
  'cats and dogs are friends',
  'the quick brown fox jumps over the lazy dog',
  'rain falls on the green hills in the morning',
  'a bird',
  'the mat is red and the park is green, said the cat to the bird',
];

export const MINILM = fileURLToPath(new URL('../../.cache/models/all-MiniLM-L6-v2/', import.meta.url));
export const haveMinilm = existsSync(join(MINILM, 'model.safetensors'));

export function wordPiece(): WordPieceTokenizer {
  return WordPieceTokenizer.train([...TEXTS, ...TEXTS.map((t) => t.split(' ').reverse().join(' '))], { vocabSize: 120, minFrequency: 1 });
}

/** A 2-layer post-LN BERT over a WordPiece trained here, weights moved off their init. */
export function smallBert(): SentenceEncoder {
  const enc = SentenceEncoder.transformer(
    wordPiece(),
    { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 48, max_position_embeddings: 40, seed: 11 },
    { maxLength: 24 },
  );
  perturb(enc.module, 5, 0.3);
  return enc;
}

export function smallStatic(): SentenceEncoder {
  const enc = SentenceEncoder.static(wordPiece(), { dim: 16, seed: 3 });
  return enc;
}

/** all-MiniLM-L6-v2 after one MNRL step (AdamW, lr 1e-4) on anchor/positive pairs, so the export is not the hub's file. */
export async function tunedMinilm(): Promise<SentenceTransformer> {
  const { model } = await loadSentenceTransformer(MINILM);
  const anchors = TEXTS.slice(0, 3);
  const positives = TEXTS.slice(3, 6);
  const b = model.tokenize([...anchors, ...positives]);
  const y = model.forward(b.inputIds, { attentionMask: b.attentionMask, training: true });
  const n = anchors.length;
  const half = (i: number) => ({ data: y.data.slice(i * n * y.cols, (i + 1) * n * y.cols), rows: n, cols: y.cols });
  const r = mnrl(half(0), half(1));
  const g = new Float32Array(y.data.length);
  g.set(r.grads.anchor.data, 0);
  g.set(r.grads.positive.data, n * y.cols);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-4 });
  opt.zeroGrad();
  model.backward({ data: g, rows: y.rows, cols: y.cols }, { inputGrad: false });
  opt.step();
  return model;
}

/** Writes a ModelFiles map under dir. */
export function writeFiles(dir: string, files: ModelFiles): void {
  for (const [name, v] of Object.entries(files)) {
    const f = join(dir, name);
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, v);
  }
}

/** The worst |got - want| over all entries. */
export function worstAbs(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]));
  return w;
}
