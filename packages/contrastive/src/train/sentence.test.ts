import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { fitSentence, informationRetrieval, init, loadSentenceModel, SentenceEncoder, SGD, WordPieceTokenizer, type TextRows } from '../index.node.js';

beforeAll(() => init());

// anchors in English, positives in a made-up language: a bag of words cannot match them untrained
const colors = ['red', 'blue', 'green', 'yellow', 'black', 'white', 'purple', 'orange'];
const things = ['car', 'house', 'bird', 'flower', 'shirt', 'cup', 'door', 'book'];
const alien = (w: string) => 'zo' + [...w].reverse().join('') + 'ka';
const pairs: string[][] = [];
for (const c of colors) for (const t of things) pairs.push([`a ${c} ${t}`, `${alien(t)} ${alien(c)}`]);
const rows: TextRows = { columns: ['anchor', 'positive'], texts: pairs, lines: pairs.map((_, i) => i + 1) };
const tok = () => WordPieceTokenizer.train(pairs.flat(), { vocabSize: 400, minFrequency: 1 });

function mrr(enc: SentenceEncoder): number {
  const ids = pairs.map((_, i) => String(i));
  return informationRetrieval({
    queries: enc.encode(pairs.map((p) => p[0])),
    queryIds: ids,
    corpus: enc.encode(pairs.map((p) => p[1])),
    corpusIds: ids,
    qrels: new Map(ids.map((i) => [i, new Map([[i, 1]])])),
  })['mrr@10'];
}

const weights = (e: SentenceEncoder) => Object.values(e.module.stateDict()).map((t) => t.data.slice());

describe('fitSentence', () => {
  it('MNRL training takes a static model from chance to near-perfect retrieval on pairs with no shared words', () => {
    const enc = SentenceEncoder.static(tok(), { dim: 32 });
    const before = mrr(enc);
    const r = fitSentence(enc, rows, { epochs: 8, batchSize: 16, lr: 0.1 });
    expect(before).toBeLessThan(0.3);
    expect(mrr(enc)).toBeGreaterThan(0.9);
    expect(r.epochLosses[r.epochLosses.length - 1]).toBeLessThan(r.epochLosses[0]);
  });

  it('cached-mnrl (GradCache) gives the same update as mnrl on the whole batch', () => {
    for (const make of [
      () => SentenceEncoder.static(tok(), { dim: 16 }),
      () =>
        SentenceEncoder.transformer(tok(), { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, hidden_dropout_prob: 0 }),
    ]) {
      const a = make();
      const b = make();
      // SGD: the update is the gradient itself (Adam's first step would turn rounding-level gradients into +-lr)
      const one = { epochs: 1, batchSize: 64, lr: 0.5, warmupRatio: 0 };
      fitSentence(a, rows, { ...one, optimizer: new SGD(a.namedParameters(), { lr: 0.5 }) });
      fitSentence(b, rows, { ...one, loss: 'cached-mnrl', miniBatchSize: 7, optimizer: new SGD(b.namedParameters(), { lr: 0.5 }) });
      const [wa, wb] = [weights(a), weights(b)];
      let diff = 0;
      let moved = 0;
      const w0 = weights(make());
      wa.forEach((w, i) =>
        w.forEach((v, j) => {
          diff = Math.max(diff, Math.abs(v - wb[i][j]));
          moved = Math.max(moved, Math.abs(v - w0[i][j]));
        }),
      );
      expect(moved).toBeGreaterThan(1e-4); // the step did something
      expect(diff, a.config.architecture).toBeLessThan(moved * 1e-3);
    }
  });

  it('matryoshka trains the prefixes: its 4-dim truncation retrieves better than plain MNRL does', () => {
    const ids = pairs.map((_, i) => String(i));
    const mrr4 = (enc: SentenceEncoder) =>
      informationRetrieval({
        queries: enc.encode(
          pairs.map((p) => p[0]),
          { dims: 4 },
        ),
        queryIds: ids,
        corpus: enc.encode(
          pairs.map((p) => p[1]),
          { dims: 4 },
        ),
        corpusIds: ids,
        qrels: new Map(ids.map((i) => [i, new Map([[i, 1]])])),
      })['mrr@10'];
    const plain = SentenceEncoder.static(tok(), { dim: 32 });
    fitSentence(plain, rows, { epochs: 8, batchSize: 16, lr: 0.1 });
    const nested = SentenceEncoder.static(tok(), { dim: 32 });
    fitSentence(nested, rows, { epochs: 8, batchSize: 16, lr: 0.1, loss: 'matryoshka', matryoshka: { dims: [32, 4] } });
    expect(mrr4(nested)).toBeGreaterThan(mrr4(plain) + 0.05);
  });

  it('cosent and contrastive train on scored pairs and refuse rows without a label', () => {
    const labelled: TextRows = { ...rows, labels: Float32Array.from(pairs, (_, i) => (i % 3 === 0 ? 0 : 1)) };
    const scrambled: TextRows = { ...labelled, texts: pairs.map((p, i) => (i % 3 === 0 ? [p[0], pairs[(i + 5) % pairs.length][1]] : p)) };
    for (const loss of ['cosent', 'contrastive'] as const) {
      const enc = SentenceEncoder.static(tok(), { dim: 16 });
      const r = fitSentence(enc, scrambled, { epochs: 6, batchSize: 16, lr: 0.05, loss });
      expect(r.epochLosses[5]).toBeLessThan(r.epochLosses[0]);
      expectError(() => fitSentence(enc, rows, { loss }), 'INVALID_ARGUMENT', 'label');
    }
  });

  it('a saved model loads back to the same embeddings and its tokenizer.json', () => {
    for (const enc of [
      SentenceEncoder.static(tok(), { dim: 8 }),
      SentenceEncoder.transformer(tok(), { hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16 }),
    ]) {
      fitSentence(enc, rows, { epochs: 1, batchSize: 16 });
      const f = enc.files();
      const back = SentenceEncoder.fromFiles(f as never);
      expect(back.encode(['a red car', 'zoracka'])).toEqual(enc.encode(['a red car', 'zoracka']));
      expect(back.tokenizer.toJSON()).toBe(f['tokenizer.json']);
    }
  });

  it('loadSentenceModel: a folder this library wrote loads as a SentenceEncoder with the same embeddings; no config.json is a named error', async () => {
    const enc = SentenceEncoder.static(tok(), { dim: 8 });
    fitSentence(enc, rows, { epochs: 1, batchSize: 16 });
    const back = await loadSentenceModel(enc.files());
    expect(back).toBeInstanceOf(SentenceEncoder);
    const opts = { normalize: true, dims: 4 };
    expect(back.encode(['a red car', 'zoracka'], opts)).toEqual(enc.encode(['a red car', 'zoracka'], opts));
    const { 'config.json': _c, ...rest } = enc.files();
    await expect(loadSentenceModel(rest)).rejects.toThrow(/loadSentenceModel: the model has no config.json/);
    const { 'model.safetensors': _m, ...noWeights } = enc.files();
    await expect(loadSentenceModel(noWeights)).rejects.toThrow(/no model.safetensors/);
  });

  it("schedule 'constant' holds the peak rate after the warmup; 'linear' decays to the last step; anything else is a named error", () => {
    const lrs = (schedule: 'linear' | 'constant') => {
      const got: number[] = [];
      fitSentence(SentenceEncoder.static(tok(), { dim: 8 }), rows, {
        epochs: 2,
        batchSize: 16,
        lr: 0.1,
        warmupRatio: 0.25,
        schedule,
        onStep: (e) => got.push(e.lr),
      });
      return got;
    };
    const c = lrs('constant');
    expect(c).toHaveLength(8);
    expect(c[0]).toBeLessThan(0.1);
    expect(c.slice(2)).toEqual(Array(6).fill(0.1));
    const l = lrs('linear');
    expect(l[7]).toBeLessThan(l[2]);
    expectError(() => fitSentence(SentenceEncoder.static(tok(), { dim: 8 }), rows, { schedule: 'cosine' as never }), 'INVALID_ARGUMENT', 'schedule');
  });

  it('encode: dims truncates, normalize gives unit rows, bad dims is a named error', () => {
    const enc = SentenceEncoder.static(tok(), { dim: 16 });
    const e = enc.encode(['a red car', 'a blue cup'], { dims: 4, normalize: true });
    expect(e.cols).toBe(4);
    expect(Math.hypot(...e.data.subarray(0, 4))).toBeCloseTo(1, 6);
    const full = enc.encode(['a red car']);
    const n = Math.hypot(...full.data.subarray(0, 4));
    expect(e.data[0]).toBeCloseTo(full.data[0] / n, 6);
    expectError(() => enc.encode(['x'], { dims: 17 }), 'INVALID_ARGUMENT', 'dims', '1..16');
  });
});
