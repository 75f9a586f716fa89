// Hugging Face / transformers.js folders of text encoders: the real @huggingface/transformers
// (local files only) loads the exported folder with pipeline('feature-extraction') and returns
// encode()'s embeddings; the folder's files follow sentence-transformers' layout.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ContrastiveError,
  exportHuggingFace,
  init,
  loadSafetensors,
  loadTokenizer,
  mlp,
  SentenceTransformer,
  bertEncoder,
  smallTransformer,
} from '../../packages/contrastive/src/index.node.js';
import { haveMinilm, smallBert, smallStatic, TEXTS, tunedMinilm, wordPiece, worstAbs, writeFiles } from './hf-models.js';
import { perturb } from './text-fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: the transformers.js module type is not needed here
let hf: any;
const root = mkdtempSync(join(tmpdir(), 'hf-export-'));

beforeAll(async () => {
  await init();
  hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = false;
  hf.env.allowLocalModels = true;
  hf.env.localModelPath = `${root}/`;
  hf.env.useBrowserCache = false;
  hf.env.useFSCache = false;
});

/** transformers.js's embeddings of TEXTS from the folder `name` under root. */
async function pipelineEmbeddings(name: string, pooling: 'mean' | 'cls', normalize: boolean): Promise<Float32Array> {
  const extractor = await hf.pipeline('feature-extraction', name, { dtype: 'fp32', device: 'cpu', local_files_only: true });
  try {
    const out = await extractor(TEXTS, { pooling, normalize });
    expect(out.dims).toEqual([TEXTS.length, out.dims[1]]);
    return out.data as Float32Array;
  } finally {
    await extractor.dispose();
  }
}

describe('Hugging Face folders in transformers.js', () => {
  it("a small random BERT (mean pooling, normalized): transformers.js's feature-extraction pipeline returns encode()'s embeddings within 1e-4", async () => {
    const enc = smallBert();
    writeFiles(join(root, 'small-bert'), exportHuggingFace(enc, { normalize: true }));
    const want = enc.encode(TEXTS, { normalize: true }).data;
    expect(worstAbs(await pipelineEmbeddings('small-bert', 'mean', true), want)).toBeLessThanOrEqual(1e-4);
    enc.free();
  });

  it('a CLS-pooled SentenceTransformer over a loaded tokenizer.json: the pipeline with pooling cls gives its embeddings', async () => {
    const wp = wordPiece();
    const tok = await loadTokenizer(JSON.parse(wp.toJSON()));
    const bert = bertEncoder({ vocab_size: wp.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, seed: 4 });
    const st = new SentenceTransformer(bert, tok, { pooling: 'cls', maxSeqLength: 20 });
    perturb(st, 8, 0.3);
    writeFiles(join(root, 'cls-bert'), exportHuggingFace(st));
    expect(worstAbs(await pipelineEmbeddings('cls-bert', 'cls', false), st.encode(TEXTS).data)).toBeLessThanOrEqual(1e-4);
    st.free();
  });

  it.skipIf(!haveMinilm)("all-MiniLM-L6-v2 fine-tuned one step: the pipeline (mean, normalize) returns encode()'s embeddings within 1e-4", async () => {
    const model = await tunedMinilm();
    writeFiles(join(root, 'minilm-tuned'), exportHuggingFace(model));
    const want = model.encode(TEXTS).data;
    expect(worstAbs(await pipelineEmbeddings('minilm-tuned', 'mean', true), want)).toBeLessThanOrEqual(1e-4);
    model.free();
  });
});

describe('exportHuggingFace folder layout', () => {
  it("writes sentence-transformers' modules, pooling, normalization and BertModel config, with weights under Hugging Face names", () => {
    const enc = smallBert();
    const files = exportHuggingFace(enc, { normalize: true, pooling: 'mean' });
    const j = (k: string) => JSON.parse(files[k] as string);
    expect(Object.keys(files).sort()).toEqual(
      [
        '1_Pooling/config.json',
        '2_Normalize/config.json',
        'config.json',
        'config_sentence_transformers.json',
        'model.safetensors',
        'modules.json',
        'onnx/model.onnx',
        'sentence_bert_config.json',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.txt',
      ].sort(),
    );
    expect(j('modules.json').map((m: { type: string; path: string }) => [m.type, m.path])).toEqual([
      ['sentence_transformers.models.Transformer', ''],
      ['sentence_transformers.models.Pooling', '1_Pooling'],
      ['sentence_transformers.models.Normalize', '2_Normalize'],
    ]);
    expect(j('1_Pooling/config.json')).toMatchObject({ word_embedding_dimension: 32, pooling_mode_mean_tokens: true, pooling_mode_cls_token: false });
    expect(j('config.json')).toMatchObject({ model_type: 'bert', architectures: ['BertModel'], hidden_size: 32, num_hidden_layers: 2 });
    expect(j('sentence_bert_config.json').max_seq_length).toBe(24);
    expect(j('tokenizer_config.json').model_max_length).toBe(24);
    const sd = loadSafetensors(files['model.safetensors'] as Uint8Array);
    expect(Object.keys(sd)).toContain('encoder.layer.1.attention.self.query.weight');
    expect(Object.keys(sd)).toContain('embeddings.word_embeddings.weight');
    enc.free();
  });

  it("a static model becomes sentence-transformers' StaticEmbedding folder (embedding.weight, its tokenizer.json)", () => {
    const enc = smallStatic();
    const files = exportHuggingFace(enc);
    expect(Object.keys(files).sort()).toEqual(
      [
        '0_StaticEmbedding/model.safetensors',
        '0_StaticEmbedding/tokenizer.json',
        'config_sentence_transformers.json',
        'modules.json',
        'onnx/model.onnx',
      ].sort(),
    );
    expect(Object.keys(loadSafetensors(files['0_StaticEmbedding/model.safetensors'] as Uint8Array))).toEqual(['embedding.weight']);
    enc.free();
  });

  it('a pre-LN encoder, a model that is not a text encoder and a bare encoder without a tokenizer are ContrastiveErrors that say why', () => {
    const pre = smallTransformer({ vocabSize: 30, layers: 1, hidden: 8, heads: 2 });
    expect(() => exportHuggingFace(pre, { tokenizer: wordPiece().toJSON() })).toThrowError(/encoder layer 0 is pre-LN; Hugging Face's BertModel is post-LN/);
    const net = mlp([4, 2]);
    expect(() => exportHuggingFace(net)).toThrowError(ContrastiveError);
    expect(() => exportHuggingFace(net)).toThrowError(/the model is a Sequential; Hugging Face folders hold text encoders/);
    expect(() => exportHuggingFace(null as never)).toThrowError(/the model is a null/);
    const bare = bertEncoder({ vocab_size: 10, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4 });
    expect(() => exportHuggingFace(bare)).toThrowError(/carries no tokenizer; pass opts.tokenizer/);
    pre.free();
    net.free();
    bare.free();
  });
});
