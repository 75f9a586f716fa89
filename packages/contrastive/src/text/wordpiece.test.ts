import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { WordPieceTokenizer } from '../index.node.js';

const dir = new URL('../../../../test/reference/sentence/wordpiece/', import.meta.url);
const read = (f: string) => readFileSync(new URL(f, dir), 'utf8');
const ref = JSON.parse(read('ids.json')) as { cases: Record<string, { text: string; ids: number[]; tokens: string[] }[]> };

describe('WordPieceTokenizer', () => {
  it('training on the same corpus gives the committed tokenizer.json byte for byte (deterministic)', () => {
    const corpus = read('corpus.txt').split('\n').filter(Boolean);
    const t = WordPieceTokenizer.train(corpus, { vocabSize: 200, minFrequency: 1 });
    expect(t.toJSON()).toBe(read('tokenizer.json'));
  });

  for (const file of ['tokenizer.json', 'tokenizer-special.json']) {
    it(`${file}: ids equal Hugging Face tokenizers' on unknown words, accents, emoji, CJK, control characters, empty and over-long words`, () => {
      const t = WordPieceTokenizer.fromJSON(read(file));
      for (const c of ref.cases[file]) {
        expect(t.encode(c.text, { maxLength: 10000 }), JSON.stringify(c.text)).toEqual(c.ids);
        expect(t.encode(c.text, { maxLength: 10000 }).map((i) => t.tokens[i])).toEqual(c.tokens);
      }
    });
  }

  it('truncates to maxLength, special tokens included, and pads a batch with an attention mask', () => {
    const t = WordPieceTokenizer.fromJSON(read('tokenizer-special.json'));
    const long = 'the quick brown fox jumps over the lazy dog '.repeat(20);
    const ids = t.encode(long, { maxLength: 16 });
    expect(ids.length).toBe(16);
    expect(ids[0]).toBe(t.vocab.get('[CLS]'));
    expect(ids[15]).toBe(t.vocab.get('[SEP]'));
    const b = t.encodeBatch(['the fox', long, ''], { maxLength: 8 });
    expect(b.ids.cols).toBe(8);
    expect(Array.from(b.attentionMask.data.subarray(0, 8))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(b.attentionMask.data.subarray(16, 24))).toEqual([1, 1, 0, 0, 0, 0, 0, 0]); // "" -> [CLS] [SEP]
  });

  it('an empty text still gets one token for a static model, so its mean embedding is defined', () => {
    const t = WordPieceTokenizer.fromJSON(read('tokenizer.json'));
    const b = t.encodeBatch(['', 'fox']);
    expect(b.ids.data[0]).toBe(t.vocab.get('[UNK]'));
    expect(b.attentionMask.data[0]).toBe(1);
  });

  it('rejects a non-WordPiece tokenizer.json and bad options', () => {
    expectError(() => WordPieceTokenizer.fromJSON({ model: { type: 'BPE', vocab: {} } }), 'INVALID_ARGUMENT', 'WordPiece');
    expectError(() => WordPieceTokenizer.train(['a b'], { vocabSize: 3 }), 'INVALID_ARGUMENT', 'vocabSize');
    const t = WordPieceTokenizer.fromJSON(read('tokenizer-special.json'));
    expectError(() => t.encode('x', { maxLength: 2 }), 'INVALID_ARGUMENT', 'maxLength');
  });
});
