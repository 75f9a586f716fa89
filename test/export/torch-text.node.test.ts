// The PyTorch side for text encoders: contrastive_torch.py rebuilds the static embedding model and
// BERT-family encoders (post-LN and pre-LN, token types, CLS / mean / max pooling, normalization)
// from a model file's spec with this library's outputs, and a file it writes back loads here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bertEncoder,
  type BertConfig,
  init,
  loadModel,
  type Module,
  SentenceTransformer,
  saveModel,
  staticEmbedding,
  EmbeddingBag,
  writeNpy,
} from '../../packages/contrastive/src/index.node.js';
import { asMatrix, perturb, type Tokens, tokens, worstRel } from './text-fixtures.js';

const script = fileURLToPath(new URL('../../packages/contrastive/python/contrastive_torch.py', import.meta.url));
const python = '/usr/bin/python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'ct-torch-text-'));
beforeAll(() => init());

const VOCAB = 60;
const bert = (over: Partial<BertConfig> = {}) =>
  bertEncoder({
    vocab_size: VOCAB,
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 24,
    max_position_embeddings: 24,
    pad_token_id: 0,
    seed: 2,
    ...over,
  });

function npy(name: string, t: Tokens, a: Int32Array): string {
  const f = join(dir, name);
  writeFileSync(f, writeNpy([t.rows, t.cols], Float32Array.from(a)));
  return f;
}

function torchForward(model: string, t: Tokens, types: boolean): Float32Array {
  const args = [script, 'forward', '--model', model, '--data', npy('ids.npy', t, t.ids), '--mask', npy('mask.npy', t, t.mask)];
  if (types) args.push('--types', npy('types.npy', t, t.types));
  const r = spawnSync(python, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(r.stderr);
  return Float32Array.from((JSON.parse(r.stdout) as number[][]).flat());
}

const forward = (m: Module, t: Tokens, types: boolean) =>
  m.forward(asMatrix(t, t.ids), { attentionMask: asMatrix(t, t.mask), ...(types ? { tokenTypeIds: asMatrix(t, t.types) } : {}) } as never).data;

describe.skipIf(!hasTorch)('text encoders in PyTorch (needs python3 with torch and numpy)', () => {
  for (const [name, make, types] of [
    ['the static embedding model', () => staticEmbedding({ vocabSize: VOCAB, dim: 12, seed: 1 }), false],
    ['a max-mode EmbeddingBag', () => new EmbeddingBag(VOCAB, 6, { mode: 'max', paddingIdx: 0 }), false],
    ['a post-LN BERT with token types, ReLU and a pooler', () => bert({ hidden_act: 'relu', add_pooling_layer: true }), true],
    [
      'a pre-LN SentenceTransformer (tanh GELU, mean pooling, normalized)',
      () => new SentenceTransformer(bert({ norm: 'pre', hidden_act: 'gelu_new' }), undefined, { normalize: true }),
      true,
    ],
    ['a SentenceTransformer with CLS pooling', () => new SentenceTransformer(bert(), undefined, { pooling: 'cls' }), true],
    ['a SentenceTransformer with max pooling', () => new SentenceTransformer(bert({ hidden_act: 'gelu' }), undefined, { pooling: 'max' }), false],
  ] as [string, () => Module, boolean][]) {
    it(`${name}: torch rebuilds it from the file and gives the library's outputs on padded batches`, () => {
      const m = make();
      perturb(m, name.length);
      const f = join(dir, `${name.replace(/\W+/g, '-')}.safetensors`);
      writeFileSync(f, saveModel(m));
      const t = tokens(4, 9, VOCAB, [0, 3, 7, 1], 5);
      expect(worstRel(torchForward(f, t, types), forward(m, t, types))).toBeLessThanOrEqual(1e-5);
      m.free();
    });
  }

  it('a text model changed in torch and written back loads here with torch outputs', () => {
    const m = new SentenceTransformer(bert(), undefined, { pooling: 'mean', normalize: true });
    perturb(m, 3);
    const before = join(dir, 'st-before.safetensors');
    const after = join(dir, 'st-after.safetensors');
    writeFileSync(before, saveModel(m));
    const code = `import sys, torch; sys.path.insert(0, ${JSON.stringify(join(script, '..'))}); import contrastive_torch as ct
model, meta = ct.load_model(sys.argv[1])
with torch.no_grad():
    for p in model.parameters(): p.mul_(1.05)
ct.save_model(sys.argv[2], model, meta)`;
    const r = spawnSync(python, ['-c', code, before, after], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const back = loadModel(new Uint8Array(readFileSync(after)));
    const t = tokens(3, 6, VOCAB, [0, 2, 4], 9);
    const ours = forward(back, t, true);
    expect(worstRel(torchForward(after, t, true), ours)).toBeLessThanOrEqual(1e-5);
    expect(worstRel(ours, forward(m, t, true))).toBeGreaterThan(1e-3);
    m.free();
    back.free();
  });
});
