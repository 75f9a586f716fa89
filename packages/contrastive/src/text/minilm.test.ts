// all-MiniLM-L6-v2 (sentence-transformers) against the library: token ids against Hugging Face
// `tokenizers` always (tokenizer.json is committed); embeddings against sentence-transformers
// when the model is on disk (scripts/setup.sh puts it in .cache/models; or CONTRASTIVE_MINILM_DIR).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { init, loadSentenceTransformer, loadTokenizer, parseNpy } from '../index.node.js';

beforeAll(() => init());

const ref = new URL('../../../../test/reference/text/minilm/', import.meta.url);
const texts: string[] = readFileSync(new URL('texts.jsonl', ref), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).text);
const ids: number[][] = JSON.parse(readFileSync(new URL('ids.json', ref), 'utf8'));
const modelDir = process.env.CONTRASTIVE_MINILM_DIR ?? fileURLToPath(new URL('../../../../.cache/models/all-MiniLM-L6-v2/', import.meta.url));
const haveModel = existsSync(`${modelDir}/model.safetensors`);

describe('all-MiniLM-L6-v2 tokenizer', () => {
  it('token ids equal Hugging Face tokenizers on accents, emoji, code, unknown words, punctuation and over-long texts (truncated at 256)', async () => {
    const tok = await loadTokenizer(JSON.parse(readFileSync(new URL('tokenizer.json', ref), 'utf8')), {
      config: JSON.parse(readFileSync(new URL('tokenizer_config.json', ref), 'utf8')),
    });
    expect(texts.length).toBe(ids.length);
    const bad: string[] = [];
    texts.forEach((t, i) => {
      const got = tok.encode(t, { maxLength: 256 });
      if (JSON.stringify(got) !== JSON.stringify(ids[i])) bad.push(`#${i} ${JSON.stringify(t.slice(0, 40))}: ${got.slice(0, 12)} vs ${ids[i].slice(0, 12)}`);
    });
    expect(bad).toEqual([]);
    expect(ids.some((r) => r.length === 256)).toBe(true); // the truncation was exercised
  });
});

describe.skipIf(!haveModel)('all-MiniLM-L6-v2 model folder (needs .cache/models/all-MiniLM-L6-v2: scripts/setup.sh)', () => {
  it("encode() gives sentence-transformers' embeddings within 1e-4, cosine >= 0.99999, for every text", async () => {
    const { model, report } = await loadSentenceTransformer(modelDir);
    expect(report.missing).toEqual([]);
    expect(model.pooling.mode).toBe('mean');
    expect(model.normalizer).toBeDefined();
    expect(model.maxSeqLength).toBe(256);
    const want = parseNpy(new Uint8Array(readFileSync(new URL('embeddings.npy', ref))));
    const got = model.encode(texts, { batchSize: 32 });
    expect([got.rows, got.cols]).toEqual(want.shape);
    const d = got.cols;
    let worstAbs = 0;
    let worstCos = 1;
    for (let i = 0; i < got.rows; i++) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < d; j++) {
        const a = got.data[i * d + j];
        const b = want.data[i * d + j];
        worstAbs = Math.max(worstAbs, Math.abs(a - b));
        dot += a * b;
        na += a * a;
        nb += b * b;
      }
      worstCos = Math.min(worstCos, dot / Math.sqrt(na * nb));
    }
    expect(worstAbs).toBeLessThan(1e-4);
    expect(worstCos).toBeGreaterThanOrEqual(0.99999);
    model.free();
  }, 900_000);
});
