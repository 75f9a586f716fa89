// What the page's text tab and its worker (./text-worker.ts) agree on: the sample pairs, the
// training settings and the messages between them.

/** Settings of a text run: a static embedding model (WordPiece + embedding table + mean pooling) trained with MNRL. */
export interface TextConfig {
  dim: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

export const DEFAULT_TEXT_CONFIG: TextConfig = { dim: 32, epochs: 12, batchSize: 16, lr: 0.1, seed: 0 };

/** Hits shown per query. */
export const NEIGHBOURS = 5;

const COLORS: [string, string, string][] = [
  // English, French masculine, French feminine
  ['red', 'rouge', 'rouge'],
  ['blue', 'bleu', 'bleue'],
  ['green', 'vert', 'verte'],
  ['yellow', 'jaune', 'jaune'],
  ['black', 'noir', 'noire'],
  ['white', 'blanc', 'blanche'],
  ['purple', 'violet', 'violette'],
  ['orange', 'orange', 'orange'],
];
const THINGS: [string, string, boolean][] = [
  // English, French, feminine
  ['car', 'voiture', true],
  ['house', 'maison', true],
  ['bird', 'oiseau', false],
  ['flower', 'fleur', true],
  ['shirt', 'chemise', true],
  ['cup', 'tasse', true],
  ['door', 'porte', true],
  ['book', 'livre', false],
];

/**
 * The sample: 64 (anchor, positive) pairs, an English phrase and its French words ("a red car" ->
 * "voiture rouge"), as TSV with a header. The two sides share no word, so an untrained model ranks
 * the French texts at random and training has to learn the pairing.
 */
export function samplePairs(): string {
  const lines = ['anchor\tpositive'];
  for (const [en, m, f] of COLORS) for (const [thing, fr, fem] of THINGS) lines.push(`a ${en} ${thing}\t${fr} ${fem ? f : m}`);
  return `${lines.join('\n')}\n`;
}

export type ToTextWorker =
  | { type: 'start'; pairs: string; name: string; config: TextConfig; query: string }
  | { type: 'query'; query: string }
  | { type: 'stop' };

export interface Hit {
  text: string;
  score: number;
}

export type FromTextWorker =
  | { type: 'ready'; rows: number; corpus: number; vocab: number; steps: number; variant: string }
  | { type: 'step'; step: number; steps: number; epoch: number; loss: number }
  | { type: 'neighbours'; query: string; step: number; hits: Hit[] }
  | { type: 'state'; state: 'running' | 'done' | 'stopped' }
  | { type: 'error'; message: string };
