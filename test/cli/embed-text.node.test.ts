// `contrastive embed --model DIR --text FILE` end to end, on a random BERT saved as a
// sentence-transformers folder (all-MiniLM-L6-v2's tokenizer, hidden 16): the CLI's rows must
// equal loadSentenceTransformer(DIR).encode() on the same texts, in file order.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bertEncoder, init, loadSentenceTransformer, parseNpy, saveSafetensors } from '../../packages/contrastive/src/index.node.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const ref = fileURLToPath(new URL('../reference/text/minilm/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-embed-text-'));
const model = join(dir, 'model');
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const texts = ['A man is eating food.', 'Crème brûlée 🍮', 'def f(x): return x', 'word '.repeat(40).trim(), ''];

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  await init();
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: 30522,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 24,
    max_position_embeddings: 64,
    type_vocab_size: 2,
    hidden_act: 'gelu' as const,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    seed: 7,
  };
  const enc = bertEncoder(config);
  mkdirSync(join(model, '1_Pooling'), { recursive: true });
  writeFileSync(join(model, 'config.json'), JSON.stringify(config));
  writeFileSync(join(model, 'model.safetensors'), saveSafetensors(enc.stateDict()));
  enc.free();
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(ref, f), join(model, f));
  writeFileSync(
    join(model, 'modules.json'),
    JSON.stringify([
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
    ]),
  );
  writeFileSync(join(model, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 16, pooling_mode_cls_token: true }));
  writeFileSync(join(model, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 12 }));
  writeFileSync(join(dir, 'texts.txt'), texts.join('\n') + '\n');
  writeFileSync(join(dir, 'texts.jsonl'), texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('contrastive embed --text', () => {
  it("writes the folder's embeddings (CLS pooling, normalized, truncated to max_seq_length) in file order, for text and JSONL files", async () => {
    const { model: st } = await loadSentenceTransformer(model);
    expect([st.pooling.mode, st.maxSeqLength, !!st.normalizer]).toEqual(['cls', 12, true]);
    const progress: number[] = [];
    const want = st.encode(texts, { batchSize: 2, onProgress: (done, total) => progress.push(done / total) });
    expect(progress).toEqual([2 / 5, 4 / 5, 1]);
    st.free();
    for (const f of ['texts.txt', 'texts.jsonl']) {
      const r = cli('embed', '--model', model, '--text', f, '--out', `${f}.npy`, '--batch-size', '3');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const z = parseNpy(new Uint8Array(readFileSync(join(dir, `${f}.npy`))));
      expect(z.shape).toEqual([texts.length, 16]);
      const got = Array.from(z.data as Float32Array);
      Array.from(want.data).forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-6));
      for (let r2 = 0; r2 < texts.length; r2++) {
        const norm = Math.hypot(...got.slice(r2 * 16, r2 * 16 + 16));
        expect(Math.abs(norm - 1)).toBeLessThan(1e-5);
      }
    }
  });

  it('a model that is not a folder, and a JSONL line without text, are one-line errors', () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"text": "ok"}\n{"title": "no text"}\n');
    let r = cli('embed', '--model', join(dir, 'texts.txt'), '--text', 'texts.txt', '--out', 'x.npy');
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not a folder');
    r = cli('embed', '--model', model, '--text', 'bad.jsonl', '--out', 'x.npy');
    expect(r.code).toBe(1);
    expect(r.err).toContain('bad.jsonl:2: no string "text" field');
  });
});
