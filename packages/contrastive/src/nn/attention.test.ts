import { beforeAll, describe, expect, it } from 'vitest';
import { f32a, within } from '../../../../test/layers.js';
import { loadTextCases } from '../../../../test/text.js';
import { expectError, m } from '../../../../test/util/errors.js';
import { init, MultiHeadSelfAttention, TransformerEncoderLayer } from '../index.node.js';

beforeAll(() => init());

describe('MultiHeadSelfAttention', () => {
  it('matches PyTorch float64 forward and backward (seq 1, 7, 129; heads 1, 4; hidden 8, 96; all-but-one masked rows)', () => {
    const problems: string[] = [];
    for (const c of loadTextCases('attention.json')) {
      const [n, h] = c.shapes.x;
      const [b, s] = c.shapes.mask;
      const att = new MultiHeadSelfAttention(h, c.params.heads);
      for (const [k, p] of att.namedParameters()) p.set(f32a(c.inputs[k]));
      const y = att.forward(m(c.inputs.x, n, h), { attentionMask: m(c.inputs.mask, b, s) });
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      problems.push(...within(c, 'grads.x', att.backward(m(c.dy, n, h)).data, c.grads.x));
      for (const [k, p] of att.namedParameters()) problems.push(...within(c, `grads.${k}`, p.grad(), c.grads[k]));
      att.free();
    }
    expect(problems).toEqual([]);
  });

  it('a fully masked row does not produce NaN: its sequence attends to nothing and outputs the bias-free zero context', () => {
    const att = new MultiHeadSelfAttention(8, 2, { seed: 3 });
    const x = Float32Array.from({ length: 2 * 3 * 8 }, (_, i) => Math.sin(i));
    const y = att.forward(m(x, 6, 8), { attentionMask: m([1, 1, 0, 0, 0, 0], 2, 3) });
    expect(Array.from(y.data).every(Number.isFinite)).toBe(true);
    expect(Array.from(y.data.slice(24))).toEqual(new Array(24).fill(0));
    const dx = att.backward(m(new Float32Array(48).fill(1), 6, 8));
    expect(Array.from(dx.data).every(Number.isFinite)).toBe(true);
    att.free();
  });

  it('attention at seq 512 does not allocate seq^2 x heads (scores are streamed in blocks of 64 queries)', () => {
    const [s, heads, dh] = [512, 8, 8];
    const att = new MultiHeadSelfAttention(heads * dh, heads, { seed: 1 });
    const x = Float32Array.from({ length: s * heads * dh }, (_, i) => Math.cos(i * 0.37));
    const mem = () => (att.k.memory.buffer as ArrayBuffer).byteLength;
    // the module's own buffers (qkv, context, gradients) are O(seq x hidden)
    att.forward(m(x, s, heads * dh));
    att.backward(m(x, s, heads * dh));
    const full = s * s * heads * 4;
    expect(att.k.ct_attention_scratch_floats(s) * 4).toBeLessThan(full / 8);
    const before = mem();
    const att2 = new MultiHeadSelfAttention(heads * dh, heads, { seed: 2 });
    att2.forward(m(x, s, heads * dh));
    att2.backward(m(x, s, heads * dh));
    // a second module of this size grows memory by its buffers only (~1 MB), never by the 8 MB score tensor
    expect(mem() - before).toBeLessThan(full / 2);
    att.free();
    att2.free();
  });

  it('dropout on the attention probabilities: seeded, off in eval, and its backward is the gradient of the same masked forward (central differences)', () => {
    const att = new MultiHeadSelfAttention(8, 2, { seed: 4, dropout: 0.3 });
    const x = Float32Array.from({ length: 3 * 5 * 8 }, (_, i) => Math.sin(i * 0.7));
    const mask = m([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0], 3, 5);
    const dy = Float32Array.from({ length: x.length }, (_, i) => Math.cos(i * 0.3));
    const run = (v: Float32Array) => {
      att.counter = 0; // the same mask every time
      return att.forward(m(v, 15, 8), { attentionMask: mask, training: true }).data.reduce((s, a, i) => s + a * dy[i], 0);
    };
    const evalOut = Array.from(att.forward(m(x, 15, 8), { attentionMask: mask }).data);
    run(x);
    const trainOut = Array.from(att.forward(m(x, 15, 8), { attentionMask: mask, training: true }).data);
    expect(trainOut).not.toEqual(evalOut);
    run(x);
    const g = att.backward(m(dy, 15, 8)).data;
    const h = 1e-2;
    for (const i of [0, 9, 17, 44, 80, 119]) {
      const up = x.slice();
      up[i] += h;
      const dn = x.slice();
      dn[i] -= h;
      expect(Math.abs((run(up) - run(dn)) / (2 * h) - g[i])).toBeLessThan(2e-3 * (1 + Math.abs(g[i])));
    }
    expect(att.rngState()).toEqual({ dropout_counter: 1 });
    att.free();
  });

  it('heads that do not divide hidden, and a mask of the wrong size, name the argument', () => {
    expectError(() => new MultiHeadSelfAttention(10, 4), 'INVALID_ARGUMENT', 'divisor of hidden');
    const att = new MultiHeadSelfAttention(4, 2);
    expectError(() => att.forward(m(new Float32Array(12), 3, 4), { attentionMask: m([1, 1], 1, 2) }), 'SHAPE_MISMATCH', 'tokens has 3 rows');
    att.free();
  });
});

describe('TransformerEncoderLayer', () => {
  it('matches PyTorch float64 in the BERT post-LN layout and the pre-LN variant, forward and backward', () => {
    const problems: string[] = [];
    for (const c of loadTextCases('encoder_layer.json')) {
      const [n, h] = c.shapes.x;
      const [b, s] = c.shapes.mask;
      const p = c.params;
      const layer = new TransformerEncoderLayer({ hidden: h, heads: p.heads, intermediate: p.intermediate, eps: p.eps, norm: p.norm, dropout: 0.1 });
      const names = layer.namedParameters().map(([k]) => k);
      expect(names.sort()).toEqual(Object.keys(c.weights).sort());
      for (const [k, prm] of layer.namedParameters()) prm.set(f32a(c.weights[k]));
      // eval mode: dropout off
      const y = layer.forward(m(c.inputs.x, n, h), { attentionMask: m(c.inputs.mask, b, s) });
      problems.push(...within(c, 'outputs.y', y.data, c.outputs.y));
      problems.push(...within(c, 'grads.x', layer.backward(m(c.dy, n, h)).data, c.grads.x));
      for (const [k, prm] of layer.namedParameters()) problems.push(...within(c, `grads.${k}`, prm.grad(), c.grads[k]));
      layer.free();
    }
    expect(problems).toEqual([]);
  });

  it('dropout is seeded: two training passes from the same seed agree, and differ from eval', () => {
    const mk = () => new TransformerEncoderLayer({ hidden: 8, heads: 2, intermediate: 16, seed: 5, dropout: 0.3 });
    const [a, b] = [mk(), mk()];
    const x = m(
      Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)),
      3,
      8,
    );
    const ya = a.forward(x, { training: true });
    expect(Array.from(b.forward(x, { training: true }).data)).toEqual(Array.from(ya.data));
    expect(Array.from(a.forward(x).data)).not.toEqual(Array.from(ya.data));
    a.free();
    b.free();
  });
});
