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

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/text.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  writeFileSync(join(dir, 'pairs.jsonl'), pairs.map(([a, p]) => JSON.stringify({ anchor: a, positive: p })).join('\n') + '\n');
  writeFileSync(join(dir, 'queries.jsonl'), pairs.map(([a], i) => JSON.stringify({ _id: `q${i}`, text: a })).join('\n') + '\n');
  writeFileSync(join(dir, 'corpus.jsonl'), pairs.map(([, p], i) => JSON.stringify({ _id: `d${i}`, text: p })).join('\n') + '\n');
  writeFileSync(join(dir, 'qrels.tsv'), 'query-id\tcorpus-id\tscore\n' + pairs.map((_, i) => `q${i}\td${i}\t1`).join('\n') + '\n');
  writeFileSync(join(dir, 'texts.txt'), 'a red car\nzoracka zoderka\n\nsomething else\n');
  writeFileSync(join(dir, 'bad.jsonl'), '{"anchor": "a", "positive": "b"}\n{"anchor": "c"}\n');
  writeFileSync(join(dir, 'badqrels.tsv'), 'q0\td999\t1\n');
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
    expect(npy.shape).toEqual([3, 16]);
  }, 120_000);

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
