// contrastive/tfjs: the losses as TF.js ops. Gradients equal the library's and finite
// differences, a tfjs-layers model trains with them, and no tensor leaks.
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ContrastiveError, infoNce, init, mnrl, ntXent, supCon } from '../../packages/contrastive/src/index.node.js';
import { infoNceLoss, mnrlLoss, ntXentLoss, supConLoss } from '../../packages/contrastive/src/tfjs.js';

beforeAll(async () => {
  await init();
  await tf.setBackend('cpu');
});

function rows(n: number, d: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n * d }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}
const m = (data: Float32Array, r: number, c: number) => ({ data, rows: r, cols: c });

describe('contrastive/tfjs', () => {
  it("ntXentLoss: value and gradients are the library's", () => {
    const a = rows(6, 4, 1);
    const b = rows(6, 4, 2);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => ntXentLoss(x as tf.Tensor2D, y as tf.Tensor2D, { temperature: 0.3 }))([
      tf.tensor2d(a, [6, 4]),
      tf.tensor2d(b, [6, 4]),
    ]);
    const want = ntXent(m(a, 6, 4), m(b, 6, 4), { temperature: 0.3 });
    expect(ntXentLoss(tf.tensor2d(a, [6, 4]), tf.tensor2d(b, [6, 4]), { temperature: 0.3 }).dataSync()[0]).toBeCloseTo(want.loss, 6);
    expect(Array.from(ga.dataSync())).toEqual(Array.from(want.grads.a.data));
    expect(Array.from(gb.dataSync())).toEqual(Array.from(want.grads.b.data));
  });

  it('ntXentLoss: gradients match central finite differences (and scale with dy)', () => {
    const a = rows(4, 3, 3);
    const b = rows(4, 3, 4);
    const loss = (x: Float32Array) => ntXent(m(x, 4, 3), m(b, 4, 3), { temperature: 0.5, grad: false }).loss;
    // d(3 L)/da = 3 dL/da: the upstream gradient is applied
    const [g] = tf.grads((x: tf.Tensor) => tf.mul(ntXentLoss(x as tf.Tensor2D, tf.tensor2d(b, [4, 3]), { temperature: 0.5 }), 3))([tf.tensor2d(a, [4, 3])]);
    const got = g.dataSync();
    for (let i = 0; i < a.length; i++) {
      const h = 1e-2;
      const p = a.slice();
      const q = a.slice();
      p[i] += h;
      q[i] -= h;
      expect(got[i] / 3).toBeCloseTo((loss(p) - loss(q)) / (2 * h), 3);
    }
  });

  it('infoNceLoss with hard negatives and symmetric CLIP, and supConLoss, give the library gradients', () => {
    const q = rows(5, 4, 5);
    const k = rows(5, 4, 6);
    const neg = rows(7, 4, 7);
    const [gq, gk, gn] = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
      infoNceLoss(x as tf.Tensor2D, y as tf.Tensor2D, { temperature: 0.2, negatives: z as tf.Tensor2D }),
    )([tf.tensor2d(q, [5, 4]), tf.tensor2d(k, [5, 4]), tf.tensor2d(neg, [7, 4])]);
    const want = infoNce(m(q, 5, 4), m(k, 5, 4), { temperature: 0.2, negatives: m(neg, 7, 4) });
    expect(Array.from(gq.dataSync())).toEqual(Array.from(want.grads.query.data));
    expect(Array.from(gk.dataSync())).toEqual(Array.from(want.grads.key.data));
    expect(Array.from(gn.dataSync())).toEqual(Array.from(want.grads.negatives!.data));
    const [cq] = tf.grads((x: tf.Tensor) => infoNceLoss(x as tf.Tensor2D, tf.tensor2d(k, [5, 4]), { temperature: 0.2, symmetric: true }))([
      tf.tensor2d(q, [5, 4]),
    ]);
    expect(Array.from(cq.dataSync())).toEqual(Array.from(infoNce(m(q, 5, 4), m(k, 5, 4), { temperature: 0.2, symmetric: true }).grads.query.data));
    const labels = [0, 1, 0, 2, 1, 2];
    const z = rows(6, 3, 8);
    const [gz] = tf.grads((x: tf.Tensor) => supConLoss(x as tf.Tensor2D, labels, { temperature: 0.1 }))([tf.tensor2d(z, [6, 3])]);
    expect(Array.from(gz.dataSync())).toEqual(Array.from(supCon(m(z, 6, 3), labels, { temperature: 0.1 }).grads.z.data));
  });

  it('a tfjs-layers model trained with ntXentLoss lowers its loss, and no tensor leaks', () => {
    tf.engine().startScope();
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tfl.layers.dense({ units: 4 })] });
    const opt = tf.train.adam(0.01);
    const base = tf.tensor2d(
      rows(32, 8, 9).map((v, i) => v + (Math.floor(i / 8) % 4)),
      [32, 8],
    );
    const losses: number[] = [];
    let counts: number[] = [];
    for (let step = 0; step < 60; step++) {
      const l = opt.minimize(
        () =>
          tf.tidy(() => {
            const v1 = tf.add(base, tf.mul(tf.randomNormal([32, 8], 0, 1, 'float32', step * 2), 0.1));
            const v2 = tf.add(base, tf.mul(tf.randomNormal([32, 8], 0, 1, 'float32', step * 2 + 1), 0.1));
            return ntXentLoss(model.apply(v1) as tf.Tensor2D, model.apply(v2) as tf.Tensor2D, { temperature: 0.5 });
          }),
        true,
      ) as tf.Scalar;
      losses.push(l.dataSync()[0]);
      l.dispose();
      counts.push(tf.memory().numTensors);
    }
    const mean = (v: number[]) => v.reduce((s, t) => s + t, 0) / v.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.1);
    counts = counts.slice(5);
    expect(Math.max(...counts)).toBe(Math.min(...counts));
    tf.engine().endScope();
  });

  it('a rank-1 or int32 input is a ContrastiveError naming the argument', () => {
    expect(() => ntXentLoss(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, tf.tensor2d([[1, 2]]), { temperature: 0.1 })).toThrowError(ContrastiveError);
    expect(() => ntXentLoss(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, tf.tensor2d([[1, 2]]), { temperature: 0.1 })).toThrowError(
      /a must be a rank-2 tensor/,
    );
    expect(() => supConLoss(tf.tensor2d([[1, 2]], [1, 2], 'int32'), [0], { temperature: 0.1 })).toThrowError(/z must be float32, got int32/);
  });
});

describe('contrastive/tfjs mnrlLoss', () => {
  const t = (data: Float32Array, r: number, c: number) => tf.tensor2d(data, [r, c]);
  const [a, p, n1, n2] = [rows(5, 4, 11), rows(5, 4, 12), rows(5, 4, 13), rows(5, 4, 14)];

  for (const symmetric of [false, true]) {
    it(`with two hard-negative columns, scale 10${symmetric ? ', symmetric' : ''}: value and gradients are the library's mnrl`, () => {
      const opts = { scale: 10, symmetric };
      const [ga, gp, g1, g2] = tf.grads((x: tf.Tensor, y: tf.Tensor, u: tf.Tensor, v: tf.Tensor) =>
        mnrlLoss(x as tf.Tensor2D, y as tf.Tensor2D, { ...opts, negatives: [u as tf.Tensor2D, v as tf.Tensor2D] }),
      )([t(a, 5, 4), t(p, 5, 4), t(n1, 5, 4), t(n2, 5, 4)]);
      const want = mnrl(m(a, 5, 4), m(p, 5, 4), { ...opts, negatives: [m(n1, 5, 4), m(n2, 5, 4)] });
      expect(mnrlLoss(t(a, 5, 4), t(p, 5, 4), { ...opts, negatives: [t(n1, 5, 4), t(n2, 5, 4)] }).dataSync()[0]).toBeCloseTo(want.loss, 6);
      expect(Array.from(ga.dataSync())).toEqual(Array.from(want.grads.anchor.data));
      expect(Array.from(gp.dataSync())).toEqual(Array.from(want.grads.positive.data));
      expect(Array.from(g1.dataSync())).toEqual(Array.from(want.grads.negatives[0].data));
      expect(Array.from(g2.dataSync())).toEqual(Array.from(want.grads.negatives[1].data));
    });
  }

  it('gradients of the anchor and of a hard negative match central finite differences (and scale with dy)', () => {
    const loss = (x: Float32Array, neg: Float32Array) => mnrl(m(x, 5, 4), m(p, 5, 4), { scale: 5, negatives: [m(neg, 5, 4)], grad: false }).loss;
    const [ga, gn] = tf.grads((x: tf.Tensor, u: tf.Tensor) => tf.mul(mnrlLoss(x as tf.Tensor2D, t(p, 5, 4), { scale: 5, negatives: [u as tf.Tensor2D] }), 2))([
      t(a, 5, 4),
      t(n1, 5, 4),
    ]);
    // a smaller step than NT-Xent's test: scale 5 curves the loss more (float32 forward: ~1e-7 / h rounding)
    const h = 3e-3;
    const fd = (which: 0 | 1, i: number) => {
      const plus = [a.slice(), n1.slice()];
      const minus = [a.slice(), n1.slice()];
      plus[which][i] += h;
      minus[which][i] -= h;
      return (loss(plus[0], plus[1]) - loss(minus[0], minus[1])) / (2 * h);
    };
    for (let i = 0; i < 20; i++) {
      expect(ga.dataSync()[i] / 2).toBeCloseTo(fd(0, i), 3);
      expect(gn.dataSync()[i] / 2).toBeCloseTo(fd(1, i), 3);
    }
  });

  it('a tfjs-layers two-tower model trained with mnrlLoss (hard negatives, symmetric) lowers its loss, and no tensor leaks', () => {
    tf.engine().startScope();
    const tower = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [8], units: 16, activation: 'relu' }), tfl.layers.dense({ units: 8 })] });
    const opt = tf.train.adam(0.01);
    const base = rows(16, 8, 21);
    const anchors = t(base, 16, 8);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 60; step++) {
      const l = opt.minimize(
        () =>
          tf.tidy(() => {
            const pos = tf.add(anchors, tf.mul(tf.randomNormal([16, 8], 0, 1, 'float32', step), 0.1));
            // a hard negative: another row's anchor, lightly perturbed
            const neg = tf.add(tf.reverse(anchors, 0), tf.mul(tf.randomNormal([16, 8], 0, 1, 'float32', 1000 + step), 0.1));
            const e = (x: tf.Tensor) => tower.apply(x) as tf.Tensor2D;
            return mnrlLoss(e(anchors), e(pos), { negatives: [e(neg)], symmetric: true });
          }),
        true,
      ) as tf.Scalar;
      losses.push(l.dataSync()[0]);
      l.dispose();
      counts.push(tf.memory().numTensors);
    }
    const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) - 0.1);
    const steady = counts.slice(5);
    expect(Math.max(...steady)).toBe(Math.min(...steady));
    tf.engine().endScope();
  });

  it('a hard negative of the wrong shape or type is a ContrastiveError naming it', () => {
    expect(() => mnrlLoss(t(a, 5, 4), t(p, 5, 4), { negatives: [t(n1, 5, 4), tf.tensor2d([[1, 2]], [1, 2], 'int32')] })).toThrowError(
      /negatives\[1\] must be float32, got int32/,
    );
    expect(() => mnrlLoss(t(a, 5, 4), t(p, 5, 4), { negatives: [t(rows(3, 4, 1), 3, 4)] })).toThrowError(ContrastiveError);
  });
});
