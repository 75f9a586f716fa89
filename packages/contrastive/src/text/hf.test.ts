import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { within } from '../../../../test/layers.js';
import { loadTextCases } from '../../../../test/text.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { bertEncoder, init, loadHuggingFace, loadSafetensors, TokenPooling, type StateDict } from '../index.node.js';

beforeAll(() => init());

const dir = new URL('../../../../test/reference/text/tiny_bert/', import.meta.url);
const config = () => JSON.parse(readFileSync(new URL('config.json', dir), 'utf8'));
const weights = () => loadSafetensors(new Uint8Array(readFileSync(new URL('model.safetensors', dir))));

describe('a tiny BERT written by transformers.BertModel (2 layers, hidden 32, 4 heads, vocab 100)', () => {
  it('loads by Hugging Face names and matches torch float64: last hidden state, mean pooling, every parameter gradient', () => {
    const c = loadTextCases('tiny_bert.json')[0];
    const { batch: b, seq: s } = c.params;
    const model = bertEncoder(config());
    const report = loadHuggingFace(model, weights());
    expect(report.missing).toEqual([]);
    expect(report.unexpected.sort()).toEqual(['pooler.dense.bias', 'pooler.dense.weight']);
    const mask = m(c.inputs.mask, b, s);
    const hs = model.forward(m(c.inputs.ids, b, s), { attentionMask: mask, tokenTypeIds: m(c.inputs.token_type_ids, b, s) });
    const problems = within(c, 'outputs.last_hidden_state', hs.data, c.outputs.last_hidden_state);
    const pool = new TokenPooling('mean');
    const pooled = pool.forward(hs, { attentionMask: mask });
    problems.push(...within(c, 'outputs.mean_pooled', pooled.data, c.outputs.mean_pooled));
    const dh = pool.backward(m(c.dy, b, 32));
    model.backward(dh, { inputGrad: false });
    const names = model.namedParameters().map(([k]) => k);
    expect(names.sort()).toEqual(Object.keys(c.grads).sort());
    for (const [k, p] of model.namedParameters()) problems.push(...within(c, `grads.${k}`, p.grad(), c.grads[k]));
    expect(problems).toEqual([]);
    model.free();
    pool.free();
  });

  it('finds the weights under a bert. prefix (BertForMaskedLM files) and reports the head as unexpected', () => {
    const sd: StateDict = {};
    for (const [k, v] of Object.entries(weights())) sd[`bert.${k}`] = v;
    sd['cls.predictions.bias'] = { shape: [100], data: new Float32Array(100) };
    const model = bertEncoder(config());
    const report = loadHuggingFace(model, sd);
    expect(report.prefix).toBe('bert.');
    expect(report.unexpected.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'cls.predictions.bias']);
    const ref = bertEncoder(config());
    loadHuggingFace(ref, weights());
    const ids = m([5, 6, 7, 8], 1, 4);
    expect(Array.from(model.forward(ids).data)).toEqual(Array.from(ref.forward(ids).data));
    model.free();
    ref.free();
  });

  it('a missing tensor is a ContrastiveError naming it, and a wrong shape names both shapes', () => {
    const sd = weights();
    delete sd['encoder.layer.1.attention.self.key.weight'];
    const model = bertEncoder(config());
    expectError(() => loadHuggingFace(model, sd), 'SHAPE_MISMATCH', 'encoder.layer.1.attention.self.key.weight');
    expect(loadHuggingFace(model, sd, { strict: false }).missing).toEqual(['encoder.layer.1.attention.self.key.weight']);
    const bad = weights();
    bad['embeddings.LayerNorm.weight'] = { shape: [31], data: new Float32Array(31) };
    expectError(() => loadHuggingFace(model, bad), 'SHAPE_MISMATCH', 'embeddings.LayerNorm.weight', '[31]', '[32]');
    model.free();
  });

  it('a token id out of range is a ContrastiveError naming the position; too long a sequence names max_position_embeddings', () => {
    const model = bertEncoder(config());
    expectError(() => model.forward(m([1, 2, 100], 1, 3)), 'INVALID_ARGUMENT', 'sequence 0, position 2', '[0, 100)');
    expectError(() => model.forward(m(new Array(41).fill(1), 1, 41)), 'INVALID_ARGUMENT', 'max_position_embeddings = 40');
    expectError(() => bertEncoder({ ...config(), num_attention_heads: 5 }), 'INVALID_ARGUMENT', 'multiple of num_attention_heads');
    model.free();
  });
});
