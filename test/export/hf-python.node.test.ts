// Hugging Face folders in Python: sentence-transformers' SentenceTransformer(path) and
// transformers' AutoModel load the exported folder and give encode()'s embeddings. Runs where a
// python3 with sentence-transformers exists (CONTRASTIVE_ST_PYTHON, else python3), skips elsewhere.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportHuggingFace, init } from '../../packages/contrastive/src/index.node.js';
import { haveMinilm, smallBert, smallStatic, TEXTS, tunedMinilm, worstAbs, writeFiles } from './hf-models.js';

const PY = [process.env.CONTRASTIVE_ST_PYTHON, 'python3'].find(
  (py) => py && spawnSync(py, ['-c', 'import sentence_transformers, transformers, torch'], { encoding: 'utf8' }).status === 0,
);

// Prints {"st": rows of SentenceTransformer(path).encode(texts), "hf": mean-pooled AutoModel last_hidden_state or null}
const SCRIPT = `
import json, sys, torch
from sentence_transformers import SentenceTransformer
path, texts, auto = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "1"
m = SentenceTransformer(path, device="cpu")
out = {"st": m.encode(texts, convert_to_numpy=True).tolist(), "hf": None}
if auto:
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path).eval()
    b = tok(texts, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**b).last_hidden_state
    m3 = b["attention_mask"].unsqueeze(-1).float()
    out["hf"] = ((h * m3).sum(1) / m3.sum(1).clamp(min=1e-9)).tolist()
print(json.dumps(out))
`;

function python(dir: string, auto: boolean): { st: number[][]; hf: number[][] | null } {
  const r = spawnSync(PY!, ['-c', SCRIPT, dir, JSON.stringify(TEXTS), auto ? '1' : '0'], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const root = mkdtempSync(join(tmpdir(), 'hf-python-'));
beforeAll(() => init());

describe.skipIf(!PY)('Hugging Face folders in Python (sentence-transformers, transformers)', () => {
  it("a small random BERT: SentenceTransformer(path) returns encode()'s normalized embeddings and AutoModel's mean-pooled token states encode()'s raw ones, within 1e-4", () => {
    const enc = smallBert();
    const dir = join(root, 'small-bert');
    writeFiles(dir, exportHuggingFace(enc, { normalize: true }));
    const out = python(dir, true);
    expect(worstAbs(out.st.flat(), enc.encode(TEXTS, { normalize: true }).data)).toBeLessThanOrEqual(1e-4);
    expect(worstAbs(out.hf!.flat(), enc.encode(TEXTS).data)).toBeLessThanOrEqual(1e-4);
    enc.free();
  });

  it("a static embedding model: sentence-transformers' StaticEmbedding returns encode()'s embeddings within 1e-4", () => {
    const enc = smallStatic();
    const dir = join(root, 'static');
    writeFiles(dir, exportHuggingFace(enc));
    expect(worstAbs(python(dir, false).st.flat(), enc.encode(TEXTS).data)).toBeLessThanOrEqual(1e-4);
    enc.free();
  });

  it.skipIf(!haveMinilm)(
    "all-MiniLM-L6-v2 fine-tuned one step: SentenceTransformer(path) and AutoModel give the library's embeddings within 1e-4",
    async () => {
      const model = await tunedMinilm();
      const dir = join(root, 'minilm');
      writeFiles(dir, exportHuggingFace(model));
      const out = python(dir, true);
      expect(worstAbs(out.st.flat(), model.encode(TEXTS).data)).toBeLessThanOrEqual(1e-4);
      // AutoModel's mean-pooled states are the embeddings before the folder's Normalize
      const rows = out.hf!;
      const normed = rows.map((r) => {
        const n = Math.hypot(...r);
        return r.map((v) => v / n);
      });
      expect(worstAbs(normed.flat(), model.encode(TEXTS).data)).toBeLessThanOrEqual(1e-4);
      model.free();
    },
  );
});
