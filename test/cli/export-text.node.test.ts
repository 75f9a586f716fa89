// `contrastive export` of text models trained by `contrastive train --text`: the hf folder loads in
// transformers.js, the ONNX file runs in onnxruntime and the torch folder rebuilds in PyTorch, all
// with the embeddings of `contrastive embed --text`; what a format cannot take is a one-line error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init, parseNpy, SentenceEncoder, writeNpy } from '../../packages/contrastive/src/index.node.js';

const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-export-text-'));
const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const WORDS = 'cat dog bird fish mat park hill rain sun tree river stone red green blue small big runs sits flies swims'.split(' ');
const texts: string[] = [];
for (let i = 0; i < 24; i++) texts.push(`the ${WORDS[i % 20]} ${WORDS[(i * 7 + 3) % 20]} near the ${WORDS[(i * 3 + 1) % 20]}`);

beforeAll(async () => {
  await init();
  const rows = texts.slice(0, 20).map((t, i) => JSON.stringify({ anchor: t, positive: texts[(i + 1) % 20] }));
  writeFileSync(join(dir, 'pairs.jsonl'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'texts.txt'), `${texts.join('\n')}\n`);
  const small = ['--epochs', '1', '--batch-size', '8', '--vocab-size', '200', '--max-length', '16', '--json'];
  for (const [name, extra] of [
    ['static', ['--encoder', 'static', '--dim', '16']],
    ['bert', ['--encoder', 'transformer', '--hidden', '16', '--layers', '2', '--heads', '2']],
  ] as const) {
    const t = cli('train', '--text', 'pairs.jsonl', ...extra, ...small, '--out', name);
    if (t.code !== 0) throw new Error(t.err);
    const e = cli('embed', '--model', name, '--text', 'texts.txt', '--out', `${name}.npy`, '--normalize');
    if (e.code !== 0) throw new Error(e.err);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const embedded = (name: string) => parseNpy(new Uint8Array(readFileSync(join(dir, `${name}.npy`)))).data as Float32Array;
const worst = (got: ArrayLike<number>, want: ArrayLike<number>) => {
  expect(got.length).toBe(want.length);
  let w = 0;
  for (let i = 0; i < want.length; i++) w = Math.max(w, Math.abs(got[i] - want[i]));
  return w;
};

/** The texts as the model folder tokenizes them (ids and attention mask, padded). */
function tokenized(model: string) {
  const enc = SentenceEncoder.fromFiles({
    'config.json': readFileSync(join(dir, model, 'config.json'), 'utf8'),
    'tokenizer.json': readFileSync(join(dir, model, 'tokenizer.json'), 'utf8'),
    'model.safetensors': new Uint8Array(readFileSync(join(dir, model, 'model.safetensors'))),
  });
  const b = enc.tokenizer.encodeBatch(texts, { maxLength: enc.config.maxLength });
  enc.free();
  return b;
}

/** onnxruntime-node on the model folder's own tokenization of the texts. */
async function onnxEmbeddings(model: string, onnx: string, types: boolean): Promise<Float32Array> {
  const b = tokenized(model);
  let ort = await import('onnxruntime-node');
  ort = (ort as unknown as { default?: typeof ort }).default ?? ort;
  const s = await ort.InferenceSession.create(join(dir, onnx));
  const i64 = (m: { data: ArrayLike<number>; rows: number; cols: number }) =>
    new ort.Tensor(
      'int64',
      BigInt64Array.from(Array.from(m.data), (v) => BigInt(v)),
      [m.rows, m.cols],
    );
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = { input_ids: i64(b.ids), attention_mask: i64(b.attentionMask) };
  if (types) feeds.token_type_ids = i64({ data: new Int32Array(b.ids.rows * b.ids.cols), rows: b.ids.rows, cols: b.ids.cols });
  return (await s.run(feeds)).sentence_embedding.data as Float32Array;
}

describe('contrastive export of text models', () => {
  it('--format hf --normalize (transformer): transformers.js loads the folder and returns the embeddings of `contrastive embed --text --normalize`', async () => {
    const r = cli('export', '--model', 'bert', '--format', 'hf', '--normalize', '--out', 'hf/bert');
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(dir, 'hf', 'bert'))).toEqual(
      expect.arrayContaining(['config.json', 'modules.json', 'onnx', '1_Pooling', '2_Normalize', 'tokenizer.json']),
    );
    const hf = await import('@huggingface/transformers');
    hf.env.allowRemoteModels = false;
    hf.env.localModelPath = `${join(dir, 'hf')}/`;
    const extractor = await hf.pipeline('feature-extraction', 'bert', { dtype: 'fp32', device: 'cpu', local_files_only: true });
    const out = await extractor(texts, { pooling: 'mean', normalize: true });
    await extractor.dispose();
    expect(worst(out.data as Float32Array, embedded('bert'))).toBeLessThanOrEqual(1e-4);
  });

  const minilm = fileURLToPath(new URL('../../.cache/models/all-MiniLM-L6-v2/', import.meta.url));
  it.skipIf(!existsSync(join(minilm, 'model.safetensors')))(
    'all-MiniLM-L6-v2 fine-tuned by `train --text --encoder DIR`, then --format hf: transformers.js gives the embeddings of `embed --text`',
    async () => {
      for (const args of [
        ['train', '--text', 'pairs.jsonl', '--encoder', minilm, '--epochs', '1', '--batch-size', '4', '--max-samples', '4', '--out', 'minilm-tuned'],
        ['embed', '--model', 'minilm-tuned', '--text', 'texts.txt', '--out', 'minilm-tuned.npy', '--normalize'],
        ['export', '--model', 'minilm-tuned', '--format', 'hf', '--normalize', '--out', 'hf/minilm-tuned'],
      ]) {
        const r = cli(...args);
        expect(r.code, r.err).toBe(0);
      }
      const hf = await import('@huggingface/transformers');
      hf.env.allowRemoteModels = false;
      hf.env.localModelPath = `${join(dir, 'hf')}/`;
      const extractor = await hf.pipeline('feature-extraction', 'minilm-tuned', { dtype: 'fp32', device: 'cpu', local_files_only: true });
      const out = await extractor(texts, { pooling: 'mean', normalize: true });
      await extractor.dispose();
      expect(worst(out.data as Float32Array, embedded('minilm-tuned'))).toBeLessThanOrEqual(1e-4);
    },
  );

  it('--format onnx --normalize: onnxruntime returns the embeddings of `contrastive embed --text --normalize` (transformer and static)', async () => {
    for (const [name, types] of [
      ['bert', true],
      ['static', false],
    ] as const) {
      const r = cli('export', '--model', name, '--format', 'onnx', '--normalize', '--out', `${name}.onnx`);
      expect(r.code, r.err).toBe(0);
      expect(worst(await onnxEmbeddings(name, `${name}.onnx`, types), embedded(name))).toBeLessThanOrEqual(1e-5);
    }
  });

  it("--format hf (static): sentence-transformers' StaticEmbedding layout", () => {
    const r = cli('export', '--model', 'static', '--format', 'hf', '--out', 'hf/static');
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(dir, 'hf', 'static')).sort()).toEqual(['0_StaticEmbedding', 'config_sentence_transformers.json', 'modules.json', 'onnx']);
    expect(readdirSync(join(dir, 'hf', 'static', '0_StaticEmbedding')).sort()).toEqual(['model.safetensors', 'tokenizer.json']);
  });

  it.skipIf(!hasTorch)(
    '--format torch --normalize (transformer): contrastive_torch.py rebuilds it and gives the embeddings of `contrastive embed --text --normalize`',
    () => {
      const r = cli('export', '--model', 'bert', '--format', 'torch', '--normalize', '--out', 'bert-torch');
      expect(r.code, r.err).toBe(0);
      expect(readdirSync(join(dir, 'bert-torch')).sort()).toEqual(['contrastive_torch.py', 'model.safetensors', 'spec.json', 'tokenizer.json']);
      const b = tokenized('bert');
      const save = (name: string, m: { data: ArrayLike<number>; rows: number; cols: number }) => {
        writeFileSync(join(dir, name), writeNpy([m.rows, m.cols], Float32Array.from(Array.from(m.data))));
        return join(dir, name);
      };
      const py = spawnSync(
        '/usr/bin/python3',
        [
          join(dir, 'bert-torch', 'contrastive_torch.py'),
          'forward',
          '--model',
          join(dir, 'bert-torch', 'model.safetensors'),
          '--data',
          save('ids.npy', b.ids),
          '--mask',
          save('mask.npy', b.attentionMask),
        ],
        { encoding: 'utf8' },
      );
      expect(py.status, py.stderr).toBe(0);
      expect(worst((JSON.parse(py.stdout) as number[][]).flat(), embedded('bert'))).toBeLessThanOrEqual(1e-5);
    },
  );

  it('--format torch --normalize of a static model is a one-line error saying what to do instead', () => {
    const r = cli('export', '--model', 'static', '--format', 'torch', '--normalize', '--out', 'x');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/normalize its outputs in torch \(F.normalize\), or use --format onnx\|hf --normalize/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
