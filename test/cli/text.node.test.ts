// The text commands end to end: train --text -> eval --queries/--corpus/--qrels -> embed --text.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNpy } from '../../packages/contrastive/src/index.node.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-text-cli-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

// queries name a color and a thing in English, documents describe them in a made-up language
const colors = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'purple', 'orange'];
const things = ['car', 'house', 'bird', 'flower', 'shirt', 'cup', 'door', 'book'];
const alien = (w: string) => 'zo' + [...w].reverse().join('') + 'ka';
const pairs: [string, string][] = [];
for (const c of colors) for (const t of things) pairs.push([`a ${c} ${t}`, `${alien(t)} ${alien(c)}`]);

const labeled: [string, number][] = [];
colors.forEach((c, ci) => things.forEach((t) => labeled.push([`${alien(t)} ${alien(c)}`, ci])));

/** Fraction of texts whose nearest other text (cosine) has the same label. */
function nearestSameLabel(file: string): number {
  const { data, shape } = parseNpy(new Uint8Array(readFileSync(join(dir, file))));
  const [n, d] = shape;
  const x = data as Float32Array;
  const dot = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < d; t++) s += x[i * d + t] * x[j * d + t];
    return s;
  };
  let same = 0;
  for (let i = 0; i < n; i++) {
    let best = -1;
    for (let j = 0; j < n; j++) if (j !== i && (best < 0 || dot(i, j) > dot(i, best))) best = j;
    if (labeled[best][1] === labeled[i][1]) same++;
  }
  return same / n;
}

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/text.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  writeFileSync(join(dir, 'pairs.jsonl'), pairs.map(([a, p]) => JSON.stringify({ anchor: a, positive: p })).join('\n') + '\n');
  writeFileSync(join(dir, 'queries.jsonl'), pairs.map(([a], i) => JSON.stringify({ _id: `q${i}`, text: a })).join('\n') + '\n');
  writeFileSync(join(dir, 'corpus.jsonl'), pairs.map(([, p], i) => JSON.stringify({ _id: `d${i}`, text: p })).join('\n') + '\n');
  writeFileSync(join(dir, 'qrels.tsv'), 'query-id\tcorpus-id\tscore\n' + pairs.map((_, i) => `q${i}\td${i}\t1`).join('\n') + '\n');
  writeFileSync(join(dir, 'texts.txt'), 'a red car\nzoracka zoderka\n\nsomething else\n');
  writeFileSync(join(dir, 'bad.jsonl'), '{"anchor": "a", "positive": "b"}\n{"anchor": "c"}\n');
  writeFileSync(join(dir, 'badqrels.tsv'), 'q0\td999\t1\n');
  // one text column and a class label (the color) for the batch triplet losses
  writeFileSync(join(dir, 'classes.csv'), 'text,label\n' + labeled.map(([t, l]) => `${t},${l}`).join('\n') + '\n');
  writeFileSync(join(dir, 'labeled.txt'), labeled.map(([t]) => t).join('\n') + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contrastive text commands', () => {
  it('train --text (static, mnrl) -> eval --json -> embed on a small text set', () => {
    const before = cli('train', '--text', 'pairs.jsonl', '--epochs', '1', '--lr', '1e-9', '--batch-size', '16', '--dim', '32', '--out', 'untrained', '--json');
    expect(before.code, before.err).toBe(0);
    const t = cli('train', '--text', 'pairs.jsonl', '--epochs', '8', '--batch-size', '16', '--lr', '0.1', '--dim', '32', '--out', 'model', '--json');
    expect(t.code, t.err).toBe(0);
    const s = JSON.parse(t.out);
    expect(s.rows).toBe(64);
    expect(readFileSync(join(dir, 'model', 'tokenizer.json'), 'utf8')).toContain('"WordPiece"');
    const evalOf = (m: string) => {
      const e = cli('eval', '--model', m, '--queries', 'queries.jsonl', '--corpus', 'corpus.jsonl', '--qrels', 'qrels.tsv', '--json');
      expect(e.code, e.err).toBe(0);
      return JSON.parse(e.out);
    };
    const u = evalOf('untrained');
    const m = evalOf('model');
    for (const k of ['mrr@10', 'ndcg@10', 'recall@1', 'recall@10']) {
      expect(m[k]).toBeGreaterThanOrEqual(0);
      expect(m[k]).toBeLessThanOrEqual(1);
    }
    expect(u['mrr@10']).toBeLessThan(0.3);
    expect(m['mrr@10']).toBeGreaterThan(0.9);
    const em = cli('embed', '--model', 'model', '--text', 'texts.txt', '--out', 'emb.npy', '--normalize', '--dims', '16');
    expect(em.code, em.err).toBe(0);
    const npy = parseNpy(new Uint8Array(readFileSync(join(dir, 'emb.npy'))));
    expect(npy.shape).toEqual([4, 16]); // rows in file order: the empty line embeds too
  }, 120_000);

  it('--loss triplet (batch-hard, batch-semi-hard) trains on text + class rows: neighbours come to share the class', () => {
    const run = (out: string, ...extra: string[]) => {
      const r = cli('train', '--text', 'classes.csv', '--loss', 'triplet', '--dim', '32', '--batch-size', '16', '--out', out, '--json', ...extra);
      expect(r.code, r.err).toBe(0);
      const e = cli('embed', '--model', out, '--text', 'labeled.txt', '--out', `${out}.npy`, '--normalize');
      expect(e.code, e.err).toBe(0);
      return JSON.parse(r.out);
    };
    run('triplet-untrained', '--epochs', '1', '--lr', '1e-9');
    const hard = run('triplet-hard', '--epochs', '10', '--lr', '0.1');
    const semi = run('triplet-semi', '--epochs', '10', '--lr', '0.1', '--triplet-mining', 'batch-semi-hard');
    expect(hard.loss).toBe('triplet');
    expect(hard.epochLosses[hard.epochLosses.length - 1]).toBeLessThan(hard.epochLosses[0]);
    expect(semi.epochLosses[semi.epochLosses.length - 1]).toBeLessThan(semi.epochLosses[0]);
    const before = nearestSameLabel('triplet-untrained.npy');
    expect(before).toBeLessThan(0.7);
    expect(nearestSameLabel('triplet-hard.npy')).toBeGreaterThan(0.95);
    expect(nearestSameLabel('triplet-semi.npy')).toBeGreaterThan(0.95);
    // pairs without a class label are a one-line error
    const bad = cli('train', '--text', 'pairs.jsonl', '--loss', 'triplet', '--out', 'nope');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('one text column and a label column');
    expect(bad.err.trim().split('\n')).toHaveLength(1);
  }, 180_000);

  it('a transformer trains with cached-mnrl and matryoshka runs; bad input is a one-line error naming the file and line', () => {
    const t = cli(
      'train',
      '--text',
      'pairs.jsonl',
      '--encoder',
      'transformer',
      '--hidden',
      '16',
      '--layers',
      '1',
      '--heads',
      '2',
      '--loss',
      'cached-mnrl',
      '--mini-batch-size',
      '8',
      '--batch-size',
      '32',
      '--out',
      'tf',
      '--json',
    );
    expect(t.code, t.err).toBe(0);
    const m = cli('train', '--text', 'pairs.jsonl', '--loss', 'matryoshka', '--dim', '16', '--matryoshka-dims', '16,4', '--out', 'mat', '--json');
    expect(m.code, m.err).toBe(0);
    const bad = cli('train', '--text', 'bad.jsonl', '--out', 'x');
    expect(bad.code).toBe(1);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain('bad.jsonl line 2');
    const q = cli('eval', '--model', 'model', '--queries', 'queries.jsonl', '--corpus', 'corpus.jsonl', '--qrels', 'badqrels.tsv');
    expect(q.code).toBe(1);
    expect(q.err).toContain('badqrels.tsv line 1');
    expect(q.err).toContain('d999');
    const nomodel = cli('embed', '--model', 'nowhere', '--text', 'texts.txt', '--out', 'e.npy');
    expect(nomodel.code).toBe(1);
    expect(nomodel.err).toContain('nowhere');
  }, 120_000);
});
