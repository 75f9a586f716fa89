import { describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { Bm25, bm25Terms } from '../index.node.js';

describe('Bm25', () => {
  const docs = ['the cat sat on the mat', 'the dog sat', 'cats and dogs and a cat', 'a bird'];
  it('scores equal the published formula computed by hand', () => {
    const bm = new Bm25(docs);
    const k1 = 1.2,
      b = 0.75,
      N = 4;
    const lens = [6, 3, 6, 2];
    const avg = (6 + 3 + 6 + 2) / 4;
    const idf = (n: number) => Math.log(1 + (N - n + 0.5) / (n + 0.5));
    const term = (f: number, n: number, len: number) => (idf(n) * f * (k1 + 1)) / (f + k1 * (1 - b + (b * len) / avg));
    // "cat sat": cat in docs 0 and 2 ("cats" is another term); sat in docs 0 and 1
    const s = bm.scores('cat sat');
    expect(s[0]).toBeCloseTo(term(1, 2, lens[0]) + term(1, 2, lens[0]), 12);
    expect(s[1]).toBeCloseTo(term(1, 2, lens[1]), 12);
    expect(s[2]).toBeCloseTo(term(1, 2, lens[2]), 12);
    // a term twice in a document: "and" in doc 2
    expect(bm.scores('and')[2]).toBeCloseTo(term(2, 1, lens[2]), 12);
    expect(s[3]).toBe(0);
    expect(bm.search('cat sat', 10).indices).toEqual([0, 2, 1].sort((x, y) => s[y] - s[x] || x - y));
  });
  it('a repeated query term counts twice; unknown terms score nothing; accents and case fold', () => {
    const bm = new Bm25(docs);
    expect(bm.scores('bird bird')[3]).toBeCloseTo(2 * bm.scores('bird')[3], 12);
    expect(bm.search('zebra').indices).toEqual([]);
    expect(bm25Terms('Café, CATS!')).toEqual(['cafe', 'cats']);
  });
  it('rejects bad parameters', () => {
    expectError(() => new Bm25([]), 'INVALID_ARGUMENT', 'docs');
    expectError(() => new Bm25(['a'], { b: 2 }), 'INVALID_ARGUMENT', 'b in [0, 1]');
  });
});
