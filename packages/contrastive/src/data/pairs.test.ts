// Pairs and triplets for two-tower training: CSV column groups, aligned rows with hard negatives,
// and the CLIP step that scores every anchor against the batch's positives and negatives.
import { beforeAll, describe, expect, it } from 'vitest';
import { ContrastiveError, csvPairs, fit, init, jsonlPairs, mlp, pairTrainData, SGD, Trainer } from '../index.node.js';
import type { Matrix } from '../types.js';

beforeAll(() => init());

const throwsCode = (f: () => unknown, code: string, ...words: string[]) => {
  let e: unknown;
  try {
    f();
  } catch (err) {
    e = err;
  }
  expect(e, 'expected a ContrastiveError').toBeInstanceOf(ContrastiveError);
  expect((e as ContrastiveError).code).toBe(code);
  for (const w of words) expect((e as Error).message).toContain(w);
};

describe('csvPairs', () => {
  const text = 'id,q_0,q_1,q_2,d_0,d_1,n_0,n_1,note\n7,1,2,3,4,5,6,7,"a, b"\n8,-1,-2,-3,-4,-5,-6,-7,c\n';

  it('column groups by name and by prefix* become anchor, positive and negative matrices; other columns are ignored', () => {
    const p = csvPairs(text, { anchor: ['q_*'], positive: ['d_0', 'd_1'], negative: ['n_*'], name: 'pairs.csv' });
    expect([p.anchor.rows, p.anchor.cols, p.positive.cols, p.negative!.cols]).toEqual([2, 3, 2, 2]);
    expect(Array.from(p.anchor.data)).toEqual([1, 2, 3, -1, -2, -3]);
    expect(Array.from(p.positive.data)).toEqual([4, 5, -4, -5]);
    expect(Array.from(p.negative!.data)).toEqual([6, 7, -6, -7]);
    expect(p.columns).toEqual({ anchor: ['q_0', 'q_1', 'q_2'], positive: ['d_0', 'd_1'], negative: ['n_0', 'n_1'] });
    expect(csvPairs(text, { anchor: ['q_*'], positive: ['d_*'] }).negative).toBeUndefined();
  });

  it('a missing column or a pattern that matches none is an error naming the file and the column', () => {
    throwsCode(() => csvPairs(text, { anchor: ['q_*'], positive: ['d_9'], name: 'pairs.csv' }), 'INVALID_ARGUMENT', 'pairs.csv', '"d_9"', 'positive');
    throwsCode(() => csvPairs(text, { anchor: ['x_*'], positive: ['d_*'], name: 'pairs.csv' }), 'INVALID_ARGUMENT', 'pairs.csv', '"x_*"', 'matches no column');
    throwsCode(() => csvPairs(text, { anchor: [], positive: ['d_*'] }), 'INVALID_ARGUMENT', 'anchor');
  });

  it('ragged groups (negatives not as many as positives), a column in two groups and ragged rows are errors', () => {
    throwsCode(
      () => csvPairs(text, { anchor: ['q_*'], positive: ['d_*'], negative: ['n_0'], name: 'pairs.csv' }),
      'SHAPE_MISMATCH',
      'pairs.csv',
      '1 negative columns and 2 positive',
    );
    throwsCode(() => csvPairs(text, { anchor: ['q_*'], positive: ['q_0', 'd_0'], name: 'pairs.csv' }), 'INVALID_ARGUMENT', '"q_0"', 'both');
    throwsCode(() => csvPairs('a,b\n1,2\n3\n', { anchor: ['a'], positive: ['b'], name: 'r.csv' }), 'SHAPE_MISMATCH', 'r.csv', 'line 3');
  });

  it('an empty or non-numeric cell is an error naming the file, line and column', () => {
    throwsCode(() => csvPairs('a,b\n1,2\n3,\n', { anchor: ['a'], positive: ['b'], name: 'e.csv' }), 'INVALID_ARGUMENT', 'e.csv line 3', '"b"', 'empty');
    throwsCode(() => csvPairs('a,b\n1,x\n', { anchor: ['a'], positive: ['b'], name: 'e.csv' }), 'INVALID_ARGUMENT', 'e.csv line 2', '"b"');
    throwsCode(() => csvPairs('a,b\n1,NaN\n', { anchor: ['a'], positive: ['b'], name: 'e.csv' }), 'NON_FINITE', 'e.csv line 2');
  });
});

describe('pairTrainData with hard negatives', () => {
  it('gives a third view of the negative rows; negatives of the wrong shape are refused', () => {
    const a = { data: [1, 2, 3, 4, 5, 6], rows: 3, cols: 2 };
    const b = { data: [7, 8, 9], rows: 3, cols: 1 };
    const views = pairTrainData(a, b, { negatives: { data: [10, 11, 12], rows: 3, cols: 1 } }).views(Int32Array.from([2, 0]), 0);
    expect(views.length).toBe(3);
    expect(Array.from(views[2]!.data)).toEqual([12, 10]);
    expect(pairTrainData(a, b).views(Int32Array.from([1]), 0).length).toBe(2);
    throwsCode(() => pairTrainData(a, b, { negatives: { data: [1, 2, 3, 4, 5, 6], rows: 3, cols: 2 } }), 'SHAPE_MISMATCH', 'negatives', '3 x 1');
  });

  it('JSONL triplets parse their negative column', () => {
    const p = jsonlPairs('{"anchor":[1,2],"positive":[3],"negative":[4]}\n{"anchor":[5,6],"positive":[7],"negative":[8]}\n');
    expect(Array.from(p.negative!.data)).toEqual([4, 8]);
  });
});

/** cos(x_i, y_j) of rows, in float64. */
const cos = (x: Matrix, i: number, y: Matrix, j: number) => {
  let d = 0;
  let nx = 0;
  let ny = 0;
  for (let k = 0; k < x.cols; k++) {
    d += x.data[i * x.cols + k] * y.data[j * y.cols + k];
    nx += x.data[i * x.cols + k] ** 2;
    ny += y.data[j * y.cols + k] ** 2;
  }
  return d / Math.max(Math.sqrt(nx), 1e-8) / Math.max(Math.sqrt(ny), 1e-8);
};
/** 1/N sum_i [log sum_{c in cands} exp(cos(q_i, c) / tau) - cos(q_i, pos_i) / tau]. */
const ce = (q: Matrix, pos: Matrix, cands: Matrix[], tau: number) => {
  let total = 0;
  for (let i = 0; i < q.rows; i++) {
    const logits = cands.flatMap((c) => Array.from({ length: c.rows }, (_, j) => cos(q, i, c, j) / tau));
    const m = Math.max(...logits);
    total += m + Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0)) - cos(q, i, pos, i) / tau;
  }
  return total / q.rows;
};
/** Symmetric CLIP loss with hard negatives: anchors against [positives; negatives], positives against anchors. */
const tripletClip = (a: Matrix, p: Matrix, n: Matrix, tau: number) => 0.5 * (ce(a, p, [p, n], tau) + ce(p, a, [a], tau));

describe("Trainer 'clip' with hard negatives", () => {
  const rnd = (seed: number, rows: number, cols: number): Matrix => {
    let s = seed;
    return {
      data: Float32Array.from({ length: rows * cols }, () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1),
      rows,
      cols,
    };
  };
  const A = rnd(1, 6, 5);
  const P = rnd(2, 6, 4);
  const N = rnd(3, 6, 4);
  const tau = 0.3;
  const setup = () => {
    const model = mlp([5, 8, 3], { seed: 1 });
    const modelB = mlp([4, 8, 3], { seed: 2 });
    const params = [...model.namedParameters().map(([k, v]) => [`a.${k}`, v] as const), ...modelB.namedParameters().map(([k, v]) => [`b.${k}`, v] as const)];
    // plain SGD at lr 1: a step moves each weight by minus its gradient
    const trainer = new Trainer({ method: 'clip', model, modelB, optimizer: new SGD(params as never, { lr: 1 }), temperature: tau });
    return { model, modelB, trainer };
  };
  const lossAt = (model: ReturnType<typeof mlp>, modelB: ReturnType<typeof mlp>) => tripletClip(model.forward(A), modelB.forward(P), modelB.forward(N), tau);

  it('the step loss is the formula over the batch: anchors against every positive and every negative', () => {
    const { model, modelB, trainer } = setup();
    const want = lossAt(model, modelB);
    const got = trainer.step([A, P, N]).loss;
    expect(Math.abs(got - want)).toBeLessThan(1e-5);
    // without the negatives the loss is CLIP's (the negatives were used, not dropped)
    const plain = setup();
    const [a, p] = [plain.model.forward(A), plain.modelB.forward(P)];
    const two = plain.trainer.step([A, P]).loss;
    expect(Math.abs(two - 0.5 * (ce(a, p, [p], tau) + ce(p, a, [a], tau)))).toBeLessThan(1e-5);
    expect(Math.abs(two - got)).toBeGreaterThan(1e-3);
  });

  it('the gradient reaching both towers matches finite differences of the formula, negatives included', () => {
    const { model, modelB, trainer } = setup();
    const before = { a: model.stateDict(), b: modelB.stateDict() };
    const copy = (sd: ReturnType<typeof model.stateDict>) =>
      Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, { shape: t.shape, data: t.data.slice() }]));
    const a0 = copy(before.a);
    const b0 = copy(before.b);
    trainer.step([A, P, N]);
    const after = { a: model.stateDict(), b: modelB.stateDict() };
    const h = 1e-3;
    for (const [which, sd0, m] of [
      ['b', b0, modelB],
      ['a', a0, model],
    ] as const) {
      for (const [name, idx] of [
        ['0.weight', 3],
        ['2.weight', 5],
        ['0.bias', 1],
      ] as const) {
        const grad = sd0[name].data[idx] - (which === 'a' ? after.a : after.b)[name].data[idx];
        const at = (delta: number) => {
          const sd = copy(sd0);
          sd[name].data[idx] += delta;
          m.loadStateDict(sd);
          const other = which === 'a' ? modelB : model;
          other.loadStateDict(which === 'a' ? b0 : a0);
          return which === 'a' ? lossAt(m, other) : lossAt(other, m);
        };
        const fd = (at(h) - at(-h)) / (2 * h);
        expect(Math.abs(grad - fd), `${which}.${name}[${idx}]: step ${grad}, finite difference ${fd}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
      }
    }
  });

  it('fit trains on triplets from pairTrainData, and a third view with another method is refused', async () => {
    const { trainer } = setup();
    const r = await fit(trainer, pairTrainData(A, P, { negatives: N }), { epochs: 3, batchSize: 3 });
    expect(r.steps).toBe(6);
    const simclr = mlp([4, 3], { seed: 1 });
    const t = new Trainer({ method: 'simclr', model: simclr, optimizer: new SGD(simclr.namedParameters(), { lr: 0.1 }), temperature: 0.5 });
    throwsCode(() => t.step([P, P, N]), 'INVALID_ARGUMENT', "method 'clip'");
    throwsCode(() => setup().trainer.step([A, P, rnd(4, 6, 3)]), 'SHAPE_MISMATCH', 'negatives');
  });
});
