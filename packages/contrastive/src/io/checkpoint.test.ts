// Restores are validated completely, then applied all or nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import {
  AdamW,
  checkpointBytes,
  ContrastiveError,
  Dropout,
  init,
  Linear,
  mlp,
  readSafetensors,
  restoreCheckpoint,
  saveSafetensors,
  Sequential,
} from '../index.node.js';
import type { Module, StateDict } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { parseTrainerState, trainerStateBytes } from './checkpoint.js';
import { Trainer } from '../train/trainer.js';

beforeAll(() => init());

/** Everything a restore could change, as bytes. */
function snapshot(model: Module, opt: Optimizer): string {
  const o = opt.stateDict();
  const parts = [
    ...Object.entries(model.stateDict()).map(([k, t]) => `${k}=${Array.from(t.data).join(',')}`),
    ...Object.entries(o.tensors).map(([k, t]) => `${k}=${Array.from(t.data).join(',')}`),
    JSON.stringify(o.meta),
    JSON.stringify(model.rngState()),
  ];
  return parts.join('|');
}

function trained(): { model: Sequential; opt: AdamW } {
  const model = new Sequential(new Linear(4, 6, { seed: 1 }), new Dropout(0.2, 5), new Linear(6, 3, { seed: 2 }));
  const opt = new AdamW(model.namedParameters(), { lr: 1e-2 });
  for (let s = 0; s < 3; s++) {
    model.forward({ data: Float32Array.from({ length: 8 }, (_, i) => Math.sin(i + s)), rows: 2, cols: 4 }, { training: true });
    model.backward({ data: new Float32Array(6).fill(0.1), rows: 2, cols: 3 });
    opt.step();
    opt.zeroGrad();
  }
  return { model, opt };
}

/** Rewrites a checkpoint: edit(tensors, metadata) then re-serialize. */
function edited(bytes: Uint8Array, edit: (t: StateDict, m: Record<string, string>) => void): Uint8Array {
  const { tensors, metadata } = readSafetensors(bytes);
  edit(tensors, metadata);
  return saveSafetensors(tensors, metadata);
}

describe('restoreCheckpoint is validated and atomic', () => {
  const cases: [string, (t: Record<string, { shape: number[]; data: Float32Array }>, m: Record<string, string>) => void, string][] = [
    ['bad rng JSON', (_, m) => (m.rng = '{not json'), 'INVALID_ARGUMENT'],
    ['bad extra JSON', (_, m) => (m.extra = '[1,'), 'INVALID_ARGUMENT'],
    ['rng counter that is not an integer', (_, m) => (m.rng = JSON.stringify({ '1.dropout_counter': 1.5 })), 'INVALID_ARGUMENT'],
    ['rng of an unknown layer', (_, m) => (m.rng = JSON.stringify({ '7.dropout_counter': 1 })), 'INVALID_ARGUMENT'],
    ['NaN Adam moment', (t) => (t['optimizer.0.weight.exp_avg'].data[3] = NaN), 'NON_FINITE'],
    ['negative second moment', (t) => (t['optimizer.2.weight.exp_avg_sq'].data[0] = -1), 'INVALID_ARGUMENT'],
    ['string learning rate', (_, m) => (m.optimizer = JSON.stringify({ ...JSON.parse(m.optimizer), lr: '0.01' })), 'INVALID_ARGUMENT'],
    ['negative learning rate', (_, m) => (m.optimizer = JSON.stringify({ ...JSON.parse(m.optimizer), lr: -1 })), 'INVALID_ARGUMENT'],
    [
      'non-integer step count',
      (_, m) => {
        const o = JSON.parse(m.optimizer);
        o.steps['0.weight'] = 2.5;
        m.optimizer = JSON.stringify(o);
      },
      'INVALID_ARGUMENT',
    ],
    ['optimizer metadata that is not an object', (_, m) => (m.optimizer = '7'), 'INVALID_ARGUMENT'],
    ['a model weight of the wrong shape (after valid ones)', (t) => (t['2.weight'] = { shape: [2, 6], data: new Float32Array(12) }), 'SHAPE_MISMATCH'],
    ['a NaN weight in the last layer', (t) => (t['2.bias'].data[2] = NaN), 'NON_FINITE'],
  ];
  for (const [what, edit, code] of cases) {
    it(`a checkpoint with ${what} is refused and changes nothing`, () => {
      const src = trained();
      const bytes = edited(checkpointBytes({ model: src.model, optimizer: src.opt, extra: { epoch: 2 } }), edit);
      const { model, opt } = trained();
      // make the target differ from the source so a partial restore would show
      model.namedParameters()[0][1].set(new Float32Array(24).fill(0.25));
      const before = snapshot(model, opt);
      expectError(() => restoreCheckpoint(bytes, { model, optimizer: opt }), code, 'restoreCheckpoint');
      expect(snapshot(model, opt)).toBe(before);
    });
  }

  it('a valid checkpoint restores weights, moments, steps, lr and RNG counters exactly, and returns extra', () => {
    const src = trained();
    const bytes = checkpointBytes({ model: src.model, optimizer: src.opt, extra: { epoch: 2 } });
    const { model, opt } = trained();
    model.namedParameters()[0][1].set(new Float32Array(24).fill(0.25));
    opt.lr = 0.5;
    expect(restoreCheckpoint(bytes, { model, optimizer: opt })).toEqual({ epoch: 2 });
    expect(snapshot(model, opt)).toBe(snapshot(src.model, src.opt));
  });

  it('loadStateDict(null), BigInt data and arrays of null or numeric strings are typed errors that change nothing', () => {
    const model = mlp([3, 4]);
    const sd = model.stateDict();
    const before = JSON.stringify(Object.values(model.stateDict()).map((t) => Array.from(t.data)));
    expectError(() => model.loadStateDict(null as never), 'INVALID_ARGUMENT', 'loadStateDict');
    expectError(() => model.loadStateDict({ ...sd, '0.bias': { shape: [4], data: new BigInt64Array(4) as never } }), 'INVALID_ARGUMENT', 'BigInt');
    expectError(() => model.loadStateDict({ ...sd, '0.bias': { shape: [4], data: [null, 1, 2, 3] as never } }), 'INVALID_ARGUMENT', '0.bias[0]');
    expectError(() => model.loadStateDict({ ...sd, '0.bias': { shape: [4], data: ['1', 1, 2, 3] as never } }), 'INVALID_ARGUMENT', 'number');
    expectError(() => model.loadStateDict({ ...sd, '0.bias': { shape: [4], data: [true, 1, 2, 3] as never } }), 'INVALID_ARGUMENT');
    expect(JSON.stringify(Object.values(model.stateDict()).map((t) => Array.from(t.data)))).toBe(before);
    model.free();
  });

  it('a counter (num_batches_tracked) that is negative or fractional is refused', () => {
    const model = mlp([3, 4, 2], { batchNorm: true });
    const sd = model.stateDict();
    const key = Object.keys(sd).find((k) => k.endsWith('num_batches_tracked'))!;
    expectError(() => model.loadStateDict({ ...sd, [key]: { shape: [], data: Float32Array.of(-1), dtype: 'I64' } }), 'INVALID_ARGUMENT', key);
    expectError(() => model.loadStateDict({ ...sd, [key]: { shape: [], data: Float32Array.of(0.5), dtype: 'I64' } }), 'INVALID_ARGUMENT', key);
    model.free();
  });
});

describe('training-state checkpoints', () => {
  const views = (s: number): [{ data: Float32Array; shape: number[] }, { data: Float32Array; shape: number[] }] => [
    { data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i * 0.7 + s)), shape: [4, 8] },
    { data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i * 0.3 + s)), shape: [4, 8] },
  ];
  const make = () => {
    const model = mlp([8, 16, 4], { seed: 4, batchNorm: true });
    return new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters(), { lr: 1e-2 }), temperature: 0.2 });
  };

  it('a state written and parsed back continues bit for bit', () => {
    const a = make();
    for (let s = 0; s < 3; s++) a.step(views(s));
    const { state, info } = parseTrainerState(trainerStateBytes(a.state(), { run: 'x' }));
    expect(info).toEqual({ run: 'x' });
    const b = make();
    b.restore(state);
    expect(b.stepCount).toBe(3);
    for (let s = 3; s < 5; s++) expect(b.step(views(s)).loss).toBe(a.step(views(s)).loss);
    expect(Array.from(b.model.stateDict()['0.weight'].data)).toEqual(Array.from(a.model.stateDict()['0.weight'].data));
  });

  it('a state with a bad tensor late in the list is refused and the trainer is unchanged', () => {
    const a = make();
    for (let s = 0; s < 2; s++) a.step(views(s));
    const state = a.state();
    const b = make();
    b.step(views(9));
    const before = JSON.stringify({ sd: Object.values(b.model.stateDict()).map((t) => Array.from(t.data)), o: b.optimizer.stateDict().meta, s: b.stepCount });
    const bad = { ...state, optimizer: { ...state.optimizer, tensors: { ...state.optimizer.tensors } } };
    const key = Object.keys(bad.optimizer.tensors).at(-1)!;
    bad.optimizer.tensors[key] = { shape: bad.optimizer.tensors[key].shape, data: bad.optimizer.tensors[key].data.map(() => NaN) };
    expectError(() => b.restore(bad), 'NON_FINITE', 'Trainer.restore');
    expectError(() => b.restore({ ...state, step: -1 }), 'INVALID_ARGUMENT', 'state.step');
    expectError(
      () => b.restore({ ...state, tensors: { ...state.tensors, 'other.x': { shape: [1], data: new Float32Array(1) } } }),
      'SHAPE_MISMATCH',
      'other.x',
    );
    expectError(() => b.restore(null as never), 'INVALID_ARGUMENT');
    const after = JSON.stringify({ sd: Object.values(b.model.stateDict()).map((t) => Array.from(t.data)), o: b.optimizer.stateDict().meta, s: b.stepCount });
    expect(after).toBe(before);
  });

  it('parseTrainerState refuses other files and bad scalars with a ContrastiveError', () => {
    const a = make();
    const good = trainerStateBytes(a.state());
    const withMeta = (m: Record<string, string>) => edited(good, (_, meta) => Object.assign(meta, m));
    for (const m of [{ format: 'other' }, { step: '1.5' }, { step: '-1' }, { rng: '{' }, { optimizer: 'null' }, { rng: '{"model": 3}' }] as Record<
      string,
      string
    >[]) {
      expect(() => parseTrainerState(withMeta(m))).toThrow(ContrastiveError);
    }
    expect(() => parseTrainerState(checkpointBytes({ model: a.model }))).toThrow(/not a training-state checkpoint/);
  });
});
