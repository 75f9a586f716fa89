import { beforeAll, describe, expect, it } from 'vitest';
import { expectError, m } from '../../../../test/util/errors.js';
import { groupByLabelBatches, init, mineHardNegatives, noDuplicatesBatches, parseBeirJsonl, parseQrels, parseTextRows } from '../index.node.js';

beforeAll(() => init());

describe('parseTextRows', () => {
  it('column order gives the roles and a score column is the label, in JSONL, CSV and TSV', () => {
    const jsonl = '{"q": "a cat", "doc": "a feline", "score": 0.9}\n\n{"q": "a dog", "doc": "a canine", "score": 0.8}\n';
    const csv = 'q,doc,score\n"a cat","a feline",0.9\n"a dog, big","a canine",0.8\n';
    const tsv = 'label\tq\tdoc\tneg\n1\ta cat\ta feline\ta car\n0\ta dog\ta canine\ta log\n';
    const j = parseTextRows(jsonl, { name: 'p.jsonl' });
    expect(j.columns).toEqual(['q', 'doc']);
    expect(j.texts).toEqual([
      ['a cat', 'a feline'],
      ['a dog', 'a canine'],
    ]);
    expect(Array.from(j.labels!)).toEqual([Math.fround(0.9), Math.fround(0.8)]);
    expect(j.lines).toEqual([1, 3]);
    const c = parseTextRows(csv, { name: 'p.csv' });
    expect(c.texts[1]).toEqual(['a dog, big', 'a canine']);
    const t = parseTextRows(tsv, { name: 'p.tsv' });
    expect(t.columns).toEqual(['q', 'doc', 'neg']);
    expect(t.labelColumn).toBe('label');
    expect(Array.from(t.labels!)).toEqual([1, 0]);
  });

  it('missing columns, empty texts and bad labels name the file, the line and the column', () => {
    expectError(
      () => parseTextRows('{"a": "x", "p": "y"}\n{"a": "x2"}\n', { name: 'pairs.jsonl' }),
      'INVALID_ARGUMENT',
      'pairs.jsonl line 2',
      'missing column "p"',
    );
    expectError(() => parseTextRows('{"a": "x", "p": "  "}\n', { name: 'pairs.jsonl' }), 'INVALID_ARGUMENT', 'pairs.jsonl line 1', '"p"', 'empty');
    expectError(() => parseTextRows('a,p\nx,y\nz\n', { name: 'pairs.csv' }), 'SHAPE_MISMATCH', 'pairs.csv line 3');
    expectError(() => parseTextRows('a,p,label\nx,y,high\n', { name: 'pairs.csv' }), 'INVALID_ARGUMENT', 'line 2', '"label"', 'not a finite number');
    expectError(() => parseTextRows('{"a": "x", "p": 3}\n', { name: 'f.jsonl' }), 'INVALID_ARGUMENT', 'line 1', 'expected a string');
    expectError(() => parseTextRows('{"a": "x", "score": 1}\n', { name: 'f.jsonl', minColumns: 2 }), 'INVALID_ARGUMENT', 'at least 2');
  });
});

describe('groupByLabelBatches', () => {
  it('batches hold whole pairs of labels: singletons dropped, odd counts lose one row, seeded', () => {
    // label 0: 5 rows, 1: 2 rows, 2: 1 row (dropped), 3: 4 rows
    const labels = [0, 0, 1, 0, 3, 2, 0, 3, 1, 3, 0, 3];
    const batches = groupByLabelBatches(labels, 4, { seed: 1 });
    const rows = batches.flat();
    expect(new Set(rows).size).toBe(rows.length);
    expect(rows.length).toBe(4 + 2 + 4);
    expect(rows.some((i) => labels[i] === 2)).toBe(false);
    expect(batches.every((b) => b.length <= 4)).toBe(true);
    // labels come as contiguous runs of even length, so every row of a batch of whole runs has a positive
    const runs: number[] = [];
    for (const i of rows) if (runs.length === 0 || runs[runs.length - 1] !== labels[i]) runs.push(labels[i]);
    expect(new Set(runs).size).toBe(runs.length);
    expect(groupByLabelBatches(labels, 4, { seed: 1 })).toEqual(batches);
    expect(groupByLabelBatches(labels, 4, { seed: 2 })).not.toEqual(batches);
    expectError(() => groupByLabelBatches(labels, 3), 'INVALID_ARGUMENT', 'even');
  });
});

describe('noDuplicatesBatches', () => {
  it('no batch holds the same text twice, every row lands in exactly one batch, and it is seeded', () => {
    const texts: string[][] = [];
    for (let i = 0; i < 60; i++) texts.push([`q${i % 7}`, `d${i}`]); // anchors repeat every 7 rows
    const batches = noDuplicatesBatches(texts, 8, { seed: 3 });
    const all = batches.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const b of batches) {
      const seen = b.flatMap((i) => texts[i]);
      expect(new Set(seen).size).toBe(seen.length);
      expect(b.length).toBeLessThanOrEqual(8);
    }
    expect(noDuplicatesBatches(texts, 8, { seed: 3 })).toEqual(batches);
    expect(noDuplicatesBatches(texts, 8, { seed: 4 })).not.toEqual(batches);
    expect(noDuplicatesBatches(texts, 8, { seed: 3, dropLast: true }).every((b) => b.length === 8)).toBe(true);
  });

  it('shuffle: false keeps the file order and still defers a duplicate to a later batch', () => {
    const t = [
      ['a', 'x'],
      ['b', 'y'],
      ['a', 'z'],
      ['c', 'w'],
    ];
    expect(noDuplicatesBatches(t, 2, { shuffle: false })).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(
      noDuplicatesBatches(
        [
          ['a', 'x'],
          ['a', 'y'],
          ['b', 'z'],
        ],
        2,
        { shuffle: false },
      ),
    ).toEqual([[0, 2], [1]]);
  });
});

describe('BEIR files', () => {
  const queries = '{"_id": "q1", "text": "what is a cat"}\n{"_id": "q2", "text": "dog"}\n';
  const corpus = '{"_id": "d1", "title": "Cat", "text": "a small feline"}\n{"_id": "d2", "text": "a canine"}\n';
  it('reads queries, corpus (title joined to text) and qrels with a header', () => {
    const q = parseBeirJsonl(queries, 'queries.jsonl');
    const c = parseBeirJsonl(corpus, 'corpus.jsonl');
    expect(c.texts[0]).toBe('Cat a small feline');
    const qr = parseQrels('query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n', { queryIds: q.ids, corpusIds: c.ids });
    expect(qr.get('q2')!.get('d2')).toBe(2);
  });
  it('qrels naming an unknown id, duplicate ids and missing text are errors naming the line', () => {
    expectError(() => parseQrels('q1\td9\t1\n', { name: 'qrels.tsv', queryIds: ['q1'], corpusIds: ['d1'] }), 'INVALID_ARGUMENT', 'qrels.tsv line 1', '"d9"');
    expectError(() => parseQrels('q1\td1\n', { name: 'qrels.tsv' }), 'INVALID_ARGUMENT', 'line 1', '3');
    expectError(() => parseBeirJsonl('{"_id": "a", "text": "x"}\n{"_id": "a", "text": "y"}\n', 'c.jsonl'), 'INVALID_ARGUMENT', 'c.jsonl line 2', 'duplicate');
    expectError(() => parseBeirJsonl('{"_id": "a"}\n', 'c.jsonl'), 'INVALID_ARGUMENT', 'line 1', '"text"');
  });
});

describe('mineHardNegatives', () => {
  // anchor along x; corpus at angles 0 (the positive), 10, 20, 30, 40 degrees and 90
  const deg = [0, 10, 20, 30, 40, 90];
  const corpus = m(
    deg.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]),
    deg.length,
    2,
  );
  const anchors = m([1, 0], 1, 2);
  it('skips the positives and takes the hardest in the rank window', () => {
    expect(mineHardNegatives(anchors, corpus, [[0]], { numNegatives: 2 })).toEqual([[1, 2]]);
    expect(mineHardNegatives(anchors, corpus, [[0]], { numNegatives: 2, rangeMin: 1 })).toEqual([[2, 3]]);
    expect(mineHardNegatives(anchors, corpus, [[0]], { numNegatives: 5, rangeMax: 2 })).toEqual([[1, 2]]);
  });
  it('a margin drops candidates too close to the positive score', () => {
    // cos 10deg = 0.985, cos 20 = 0.940, cos 30 = 0.866: margin 0.1 keeps only <= 0.9
    expect(mineHardNegatives(anchors, corpus, [[0]], { numNegatives: 1, margin: 0.1 })).toEqual([[3]]);
    expect(mineHardNegatives(anchors, corpus, [[0]], { numNegatives: 1, maxScore: 0.5 })).toEqual([[5]]);
  });
  it('rejects positives that are not corpus rows', () => {
    expectError(() => mineHardNegatives(anchors, corpus, [[9]]), 'INVALID_ARGUMENT', 'positives[0][0]');
  });
});
