// Mutation fuzzers for every parser and restore path, seeded from files the library writes.
// Oracles: the outcome is a value or a ContrastiveError (never another exception, a hang or a
// crash); a refused restore changes nothing and an accepted one leaves finite state; NPY is
// compared with numpy itself (Debian's python3-numpy, when /usr/bin/python3 has it); safetensors
// and IDX with the strict spec readers below. Budget: FUZZ_SECONDS (default 60 in all, split
// over the targets); RELIABILITY_LONG=1 runs ten times longer. Each run prints its table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../../packages/contrastive/src/index.node.js';
import {
  AdamW,
  checkpointBytes,
  ContrastiveError,
  Dropout,
  init,
  Linear,
  mlp,
  parseCsv,
  parseIdx,
  parseNpy,
  parseTrainerState,
  readIdx,
  readSafetensors,
  restoreCheckpoint,
  Sequential,
  trainerStateBytes,
  Trainer,
  writeCsv,
  writeIdx,
  writeNpy,
  saveSafetensors,
} from '../../packages/contrastive/src/index.node.js';

const LONG = process.env.RELIABILITY_LONG === '1';
const TOTAL = Number(process.env.FUZZ_SECONDS ?? 60) * (LONG ? 10 : 1);
/** Share of the budget per target. */
const SHARE = { npy: 0.18, safetensors: 0.18, idx: 0.14, csv: 0.08, checkpoint: 0.18, trainerState: 0.12, api: 0.12 };

type Kind = 'accepted' | 'refused' | 'untyped' | 'hang' | 'nonAtomic' | 'silentNaN' | 'lenient' | 'mismatch' | 'trap';
const table: Record<string, Record<Kind | 'cases', number>> = {};
const examples: Record<string, string[]> = {};
function count(target: string, kind: Kind, note?: string): void {
  const row = (table[target] ??= { cases: 0, accepted: 0, refused: 0, untyped: 0, hang: 0, nonAtomic: 0, silentNaN: 0, lenient: 0, mismatch: 0, trap: 0 });
  row[kind]++;
  if (note && !['accepted', 'refused'].includes(kind)) {
    const list = (examples[target] ??= []);
    const sig = `${kind}: ${note}`.replace(/[0-9.e+-]{3,}/g, 'N').slice(0, 160);
    if (list.length < 12 && !list.includes(sig)) list.push(sig);
  }
}
const bad = (target: string) => {
  const r = table[target];
  return r.untyped + r.hang + r.nonAtomic + r.silentNaN + r.lenient + r.mismatch + r.trap;
};

let seed = 0x2545f491;
const rnd = () => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
};
const ri = (n: number) => Math.floor(rnd() * n);
const INTERESTING = [0, 0xff, 0x7f, 0x80, 0x7b, 0x7d, 0x22, 0x27, 0x2c, 0x2d, 0x2e, 0x30, 0x31, 0x39, 0x20, 0x0a, 0x5b, 0x5d, 0x28, 0x29, 0x3a];

/** 1-4 random edits; `hot` bytes (a header) are hit more often. */
function mutate(src: Uint8Array, hot = src.length): Uint8Array {
  let b = src.slice();
  const edits = 1 + ri(4);
  for (let e = 0; e < edits; e++) {
    const at = () => (rnd() < 0.7 ? ri(Math.max(1, Math.min(hot, b.length))) : ri(Math.max(1, b.length)));
    switch (ri(8)) {
      case 0:
        if (b.length) b[at()] ^= 1 << ri(8);
        break;
      case 1:
        if (b.length) b[at()] = INTERESTING[ri(INTERESTING.length)];
        break;
      case 2:
        if (b.length) b[at()] = ri(256);
        break;
      case 3: {
        const i = at();
        const n = 1 + ri(8);
        b = Uint8Array.of(...b.subarray(0, i), ...b.subarray(i + n));
        break;
      }
      case 4: {
        const i = at();
        const ins = Array.from({ length: 1 + ri(6) }, () => (rnd() < 0.5 ? INTERESTING[ri(INTERESTING.length)] : ri(256)));
        b = Uint8Array.of(...b.subarray(0, i), ...ins, ...b.subarray(i));
        break;
      }
      case 5:
        b = b.subarray(0, ri(b.length + 1)).slice();
        break;
      case 6: {
        const extra = new Uint8Array(1 + ri(64)).map(() => ri(256));
        const o = new Uint8Array(b.length + extra.length);
        o.set(b);
        o.set(extra, b.length);
        b = o;
        break;
      }
      default: {
        if (b.length > 8) {
          const i = ri(b.length - 4);
          const j = ri(b.length - 4);
          b.copyWithin(j, i, i + 1 + ri(4));
        }
      }
    }
  }
  return b;
}

/** Runs `fn` on mutants of `seeds` for `seconds`; `check` classifies each outcome. */
async function campaign(
  target: string,
  seconds: number,
  seeds: Uint8Array[],
  hot: (s: Uint8Array) => number,
  run: (b: Uint8Array) => unknown | Promise<unknown>,
  check?: (b: Uint8Array, r: unknown) => Kind | undefined,
): Promise<void> {
  const end = performance.now() + seconds * 1000;
  count(target, 'accepted');
  table[target].accepted--; // create the row
  while (performance.now() < end) {
    const s = seeds[ri(seeds.length)];
    const b = mutate(s, hot(s));
    table[target].cases++;
    const t0 = performance.now();
    let r: unknown;
    let err: unknown;
    try {
      r = await run(b);
    } catch (e) {
      err = e;
    }
    const ms = performance.now() - t0;
    if (ms > 2000) count(target, 'hang', `${ms.toFixed(0)} ms`);
    else if (err !== undefined) {
      if (err instanceof ContrastiveError) count(target, 'refused');
      else count(target, 'untyped', `${(err as Error)?.name}: ${(err as Error)?.message}`);
    } else {
      const kind = check?.(b, r) ?? 'accepted';
      count(target, kind, kind === 'accepted' ? undefined : JSON.stringify(new TextDecoder().decode(b.subarray(0, 200))));
    }
  }
}

let dir: string;
beforeAll(async () => {
  await init({ variant: 'simd128' });
  dir = mkdtempSync(join(tmpdir(), 'contrastive-fuzz-'));
});
afterAll(() => {
  const kinds: (Kind | 'cases')[] = ['cases', 'accepted', 'refused', 'untyped', 'trap', 'hang', 'nonAtomic', 'silentNaN', 'lenient', 'mismatch'];
  const lines = [`| target | ${kinds.join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`];
  for (const [t, r] of Object.entries(table)) lines.push(`| ${t} | ${kinds.map((k) => r[k]).join(' | ')} |`);
  console.log(`fuzz (${TOTAL} s budget):\n${lines.join('\n')}\n${JSON.stringify(examples, null, 1)}`);
  rmSync(dir, { recursive: true, force: true });
});

const npyHot = (b: Uint8Array) => 10 + (b[8] | (b[9] << 8));

describe('mutation fuzzers', () => {
  it(
    'NPY: typed outcomes, and never accepts what numpy rejects (differential)',
    async () => {
      const seeds = [
        writeNpy(
          [3, 4],
          Float32Array.from({ length: 12 }, (_, i) => i - 5.5),
        ),
        writeNpy([5], Float64Array.of(1, -2, NaN, Infinity, 1e300)),
        writeNpy([2, 2, 2], Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)),
        writeNpy([1, 3], Int32Array.of(-1, 0, 7)),
        writeNpy([0, 4], new Float32Array(0)),
      ];
      const files: { b: Uint8Array; ours: string }[] = [];
      await campaign(
        'npy',
        TOTAL * SHARE.npy,
        seeds,
        npyHot,
        (b) => parseNpy(b),
        (b, r) => {
          const a = r as ReturnType<typeof parseNpy>;
          if (a.data.length !== a.shape.reduce((x, y) => x * y, 1)) return 'mismatch';
          if (files.length < (LONG ? 20_000 : 3000)) files.push({ b, ours: `${a.descr}|${a.shape.join(',')}|${f64hex(a.data as ArrayLike<number>)}` });
          return 'accepted';
        },
      );
      // a sample of refused files too: numpy accepting them is fine (stricter), but is counted
      const py = '/usr/bin/python3';
      const hasNumpy = spawnSync(py, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
      if (!hasNumpy) {
        console.warn('fuzz NPY: skipping the numpy differential: /usr/bin/python3 has no numpy (apt-get install python3-numpy)');
        return;
      }
      files.forEach((f, i) => writeFileSync(join(dir, `${i}.npy`), f.b));
      const script = [
        'import sys, io, numpy as np',
        'for i in range(int(sys.argv[2])):',
        '  try:',
        "    a = np.load(f'{sys.argv[1]}/{i}.npy', allow_pickle=False)",
        "    d = a.dtype.str.replace('<u1', '|u1')",
        "    x = a.astype('<f8').ravel().copy()",
        '    x[np.isnan(x)] = np.nan',
        "    print(f'{d}|' + ','.join(map(str, a.shape)) + '|' + x.tobytes().hex())",
        '  except Exception as e:',
        "    print('ERR ' + type(e).__name__ + ' ' + str(e).replace(chr(10), ' ')[:100])",
      ].join('\n');
      const r = spawnSync(py, ['-c', script, dir, String(files.length)], { encoding: 'utf8', maxBuffer: 1 << 28 });
      expect(r.status, r.stderr).toBe(0);
      const out = r.stdout.trim().split('\n');
      files.forEach((f, i) => {
        const theirs = out[i] ?? 'ERR none';
        if (theirs.startsWith('ERR'))
          count(
            'npy vs numpy',
            'lenient',
            `numpy ${theirs}; we read ${f.ours.slice(0, 60)}; file ${JSON.stringify(new TextDecoder().decode(f.b.subarray(0, 140)))}`,
          );
        else if (theirs !== f.ours) count('npy vs numpy', 'mismatch', `numpy ${theirs.slice(0, 60)} / ours ${f.ours.slice(0, 60)}`);
        else count('npy vs numpy', 'accepted');
      });
      table['npy vs numpy'] && (table['npy vs numpy'].cases = files.length);
      expect(bad('npy') + (table['npy vs numpy'] ? bad('npy vs numpy') : 0), JSON.stringify(examples)).toBe(0);
    },
    (TOTAL * SHARE.npy + 120) * 1000,
  );

  it(
    'safetensors: typed outcomes, and what we read the strict spec reader reads the same',
    async () => {
      const seeds = [
        saveSafetensors(
          {
            w: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
            b: { shape: [3], data: Float32Array.of(-1, 0, 1) },
            n: { shape: [], data: Float32Array.of(7), dtype: 'I64' },
          },
          { format: 'x', k: 'v' },
        ),
        saveSafetensors({
          h: { shape: [4], data: Float32Array.of(1, 0.5, -2, 65504), dtype: 'F16' },
          d: { shape: [2], data: Float32Array.of(1.5, 2), dtype: 'F64' },
          e: { shape: [0, 3], data: new Float32Array(0) },
        }),
        saveSafetensors({}),
      ];
      const hot = (b: Uint8Array) => 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      await campaign(
        'safetensors',
        TOTAL * SHARE.safetensors,
        seeds,
        hot,
        (b) => readSafetensors(b),
        (b, r) => {
          const ref = strictSafetensors(b);
          if (ref === undefined) return 'lenient';
          const ours = r as ReturnType<typeof readSafetensors>;
          return sameTensors(ours.tensors, ref) ? 'accepted' : 'mismatch';
        },
      );
      expect(bad('safetensors'), JSON.stringify(examples.safetensors)).toBe(0);
    },
    (TOTAL * SHARE.safetensors + 60) * 1000,
  );

  it(
    'IDX (plain and gzip): typed outcomes, and what we read the strict reader reads the same',
    async () => {
      const plain = [
        writeIdx(
          [3, 2, 2],
          Uint8Array.from({ length: 12 }, (_, i) => i * 20),
        ),
        writeIdx([5], Uint8Array.of(0, 1, 2, 3, 4)),
      ];
      const f32 = new Uint8Array(4 + 8 + 8);
      f32.set([0, 0, 0x0d, 2, 0, 0, 0, 1, 0, 0, 0, 2]);
      new DataView(f32.buffer).setFloat32(12, 1.5, false);
      plain.push(f32);
      const gz = plain.map((p) => new Uint8Array(gzipSync(p)));
      await campaign(
        'idx',
        TOTAL * SHARE.idx * 0.6,
        plain,
        () => 24,
        (b) => parseIdx(b),
        (b, r) => {
          const ref = strictIdx(b);
          if (!ref) return 'lenient';
          const ours = r as ReturnType<typeof parseIdx>;
          return ref.shape.join() === ours.shape.join() && ref.data.join() === Array.from(ours.data as ArrayLike<number>).join() ? 'accepted' : 'mismatch';
        },
      );
      await campaign(
        'idx.gz',
        TOTAL * SHARE.idx * 0.4,
        gz,
        () => 24,
        (b) => readIdx(b, 'f.gz', { maxBytes: 1 << 24 }),
      );
      expect(bad('idx') + bad('idx.gz'), JSON.stringify(examples)).toBe(0);
    },
    (TOTAL * SHARE.idx + 60) * 1000,
  );

  it(
    'CSV: typed outcomes and finite values only',
    async () => {
      const enc = new TextEncoder();
      const seeds = [
        enc.encode(writeCsv({ data: Float32Array.of(1, 2.5, -3, 4e-3, 5, 6), rows: 2, cols: 3 }, ['a', 'b', 'c'])),
        enc.encode('1,2\n3,4\r\n5,6\n'),
        enc.encode('"x",y\n1,"2"\n'),
      ];
      const dec = new TextDecoder();
      await campaign(
        'csv',
        TOTAL * SHARE.csv,
        seeds,
        (b) => b.length,
        (b) => parseCsv(dec.decode(b)),
        (_, r) => {
          const m = r as ReturnType<typeof parseCsv>;
          if (m.data.length !== m.rows * m.cols) return 'mismatch';
          return Array.from(m.data).every(Number.isFinite) ? 'accepted' : 'silentNaN';
        },
      );
      expect(bad('csv'), JSON.stringify(examples.csv)).toBe(0);
    },
    (TOTAL * SHARE.csv + 60) * 1000,
  );

  it(
    'restoreCheckpoint: a refused file changes nothing, an accepted one leaves finite state',
    async () => {
      const make = () => {
        const model = new Sequential(new Linear(3, 4, { seed: 1 }), new Dropout(0.1, 2), new Linear(4, 2, { seed: 2 }));
        const opt = new AdamW(model.namedParameters(), { lr: 1e-2 });
        model.forward({ data: Float32Array.of(1, 2, 3, 4, 5, 6), rows: 2, cols: 3 }, { training: true });
        model.backward({ data: Float32Array.of(1, -1, 0.5, 2), rows: 2, cols: 2 });
        opt.step();
        return { model, opt };
      };
      const src = make();
      const seeds = [checkpointBytes({ model: src.model, optimizer: src.opt, extra: { epoch: 1, note: 'x' } }), checkpointBytes({ model: src.model })];
      const target = make();
      const snap = () =>
        JSON.stringify([Object.values(target.model.stateDict()).map((t) => Array.from(t.data)), target.opt.stateDict(), target.model.rngState()], (_, v) =>
          ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v,
        );
      const hot = (b: Uint8Array) => 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      let before = snap();
      await campaign(
        'restoreCheckpoint',
        TOTAL * SHARE.checkpoint,
        seeds,
        hot,
        (b) => {
          before = snap();
          try {
            return restoreCheckpoint(b, { model: target.model, optimizer: target.opt });
          } catch (e) {
            if (snap() !== before) count('restoreCheckpoint', 'nonAtomic', (e as Error).message);
            throw e;
          }
        },
        () => {
          const sd = target.model.stateDict();
          const o = target.opt.stateDict();
          const finite = [...Object.values(sd), ...Object.values(o.tensors)].every((t) => Array.from(t.data).every(Number.isFinite));
          const sq = Object.entries(o.tensors)
            .filter(([k]) => k.endsWith('exp_avg_sq'))
            .every(([, t]) => Array.from(t.data).every((v) => v >= 0));
          const meta = Number.isFinite(o.meta.lr) && o.meta.lr >= 0 && Object.values(o.meta.steps).every((s) => Number.isSafeInteger(s) && s >= 0);
          return finite && sq && meta ? 'accepted' : 'silentNaN';
        },
      );
      expect(bad('restoreCheckpoint'), JSON.stringify(examples.restoreCheckpoint)).toBe(0);
    },
    (TOTAL * SHARE.checkpoint + 60) * 1000,
  );

  it(
    'training state (parseTrainerState + Trainer.restore): refused states change nothing',
    async () => {
      const make = () => {
        const model = mlp([4, 6, 3], { seed: 3, batchNorm: true });
        return new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters(), { lr: 1e-2 }), temperature: 0.2 });
      };
      const v = (s: number): [{ data: Float32Array; shape: number[] }, { data: Float32Array; shape: number[] }] => [
        { data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i + s)), shape: [4, 4] },
        { data: Float32Array.from({ length: 16 }, (_, i) => Math.cos(i + s)), shape: [4, 4] },
      ];
      const a = make();
      a.step(v(0));
      a.step(v(1));
      const seeds = [trainerStateBytes(a.state(), { run: '{"x":1}' })];
      const t = make();
      const snap = () =>
        JSON.stringify([Object.values(t.model.stateDict()).map((x) => Array.from(x.data)), t.optimizer.stateDict(), t.stepCount], (_, x) =>
          ArrayBuffer.isView(x) ? Array.from(x as Float32Array) : x,
        );
      const hot = (b: Uint8Array) => 8 + Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
      await campaign(
        'trainerState',
        TOTAL * SHARE.trainerState,
        seeds,
        hot,
        (b) => {
          const before = snap();
          try {
            t.restore(parseTrainerState(b).state);
          } catch (e) {
            if (snap() !== before) count('trainerState', 'nonAtomic', (e as Error).message);
            throw e;
          }
          return t;
        },
        () =>
          Object.values(t.model.stateDict()).every((x) => Array.from(x.data).every(Number.isFinite)) && Number.isSafeInteger(t.stepCount)
            ? 'accepted'
            : 'silentNaN',
      );
      expect(bad('trainerState'), JSON.stringify(examples.trainerState)).toBe(0);
    },
    (TOTAL * SHARE.trainerState + 60) * 1000,
  );

  it(
    'the public API: junk arguments give a value or a ContrastiveError, never a TypeError, a trap or a silent NaN',
    async () => {
      const junkScalars: unknown[] = [
        null,
        undefined,
        NaN,
        -1,
        0,
        1,
        2,
        1.5,
        1e308,
        -Infinity,
        Number.MAX_VALUE,
        '1',
        '',
        true,
        {},
        [],
        Symbol('s'),
        () => 1,
        10n,
      ];
      const junkArrays: unknown[] = [
        [null, 1],
        [NaN, 1],
        ['1', '2'],
        [true, false],
        new BigInt64Array(2),
        new Float32Array(0),
        Float32Array.of(NaN, 1),
        Float32Array.of(1e38, -1e38),
        new Uint8Array(4),
        { length: 2 },
        { length: 1e12 },
      ];
      const pick = <T>(a: T[]) => a[ri(a.length)];
      const num = () => (rnd() < 0.6 ? 1 + ri(5) : pick(junkScalars));
      const arr = (n: number) => (rnd() < 0.6 ? Float32Array.from({ length: n }, () => rnd() * 2 - 1) : pick(junkArrays));
      const matrix = (): unknown => {
        if (rnd() < 0.1) return pick(junkScalars);
        const r = num();
        const c = num();
        const n = typeof r === 'number' && typeof c === 'number' && Number.isFinite(r * c) && r * c < 1e6 ? r * c : 4;
        return { data: arr(rnd() < 0.8 ? n : ri(8)), rows: r, cols: c };
      };
      const tensor = (): unknown => (rnd() < 0.1 ? pick(junkScalars) : { data: arr(16), shape: rnd() < 0.7 ? [4, 4] : [num(), num()] });
      const opts = (): unknown =>
        rnd() < 0.15
          ? pick(junkScalars)
          : {
              temperature: rnd() < 0.7 ? 0.1 + rnd() : pick(junkScalars),
              ...(rnd() < 0.3 ? { grad: pick([true, false, 1, 'yes', null]) } : {}),
              ...(rnd() < 0.2 ? { symmetric: pick([true, false, 0]) } : {}),
            };
      const bytes = (): unknown => (rnd() < 0.5 ? pick([...junkScalars, ...junkArrays]) : new Uint8Array(ri(64)).map(() => ri(256)));
      const calls: [string, () => unknown][] = [
        ['ntXent', () => lib.ntXent(matrix() as never, matrix() as never, opts() as never)],
        ['infoNce', () => lib.infoNce(matrix() as never, matrix() as never, opts() as never)],
        ['supCon', () => lib.supCon(matrix() as never, (rnd() < 0.5 ? [0, 1, 0, 1] : pick(junkArrays)) as never, opts() as never)],
        ['cosineSimilarity', () => lib.cosineSimilarity(matrix() as never, (rnd() < 0.5 ? undefined : matrix()) as never)],
        ['Linear', () => new lib.Linear(num() as never, num() as never).forward(matrix() as never)],
        [
          'mlp',
          () =>
            lib
              .mlp([num(), num()] as never, pick([undefined, {}, { batchNorm: true }, null, { activation: 'x' }]) as never)
              .forward(matrix() as never, pick([undefined, { training: true }, null, 5]) as never),
        ],
        ['Parameter.set', () => new lib.Linear(2, 2).weight.set(arr(4) as never)],
        ['loadStateDict', () => lib.mlp([2, 2]).loadStateDict((rnd() < 0.5 ? pick(junkScalars) : { '0.weight': tensor(), '0.bias': tensor() }) as never)],
        [
          'AdamW',
          () =>
            new lib.AdamW(
              (rnd() < 0.5 ? lib.mlp([2, 2]).namedParameters() : pick(junkScalars)) as never,
              { lr: num(), betas: pick([undefined, [0.9, 0.999], [2, 1], 'x']), eps: num() } as never,
            ),
        ],
        [
          'Trainer',
          () => {
            const m = lib.mlp([4, 4]);
            const t = new lib.Trainer({
              method: pick(['simclr', 'supcon', 'moco', 'clip', 'x', null]),
              model: m,
              optimizer: new lib.AdamW(m.namedParameters()),
              temperature: rnd() < 0.6 ? 0.1 : pick(junkScalars),
            } as never);
            return t.step([tensor(), tensor()] as never, (rnd() < 0.5 ? undefined : pick([[0, 1, 0, 1], ...junkArrays])) as never);
          },
        ],
        ['parseNpy', () => lib.parseNpy(bytes() as never)],
        ['parseIdx', () => lib.parseIdx(bytes() as never)],
        ['readSafetensors', () => lib.readSafetensors(bytes() as never)],
        ['parseCsv', () => lib.parseCsv(pick(['1,2\n3,4', 'a,b\n1,2', ...junkScalars]) as never)],
        ['writeNpy', () => lib.writeNpy([num(), num()] as never, arr(4) as never)],
        ['writeIdx', () => lib.writeIdx([num(), num()] as never, (rnd() < 0.5 ? new Uint8Array(4) : arr(4)) as never)],
        [
          'saveSafetensors',
          () => lib.saveSafetensors({ x: tensor() } as never, (rnd() < 0.5 ? undefined : pick([{ a: 'b' }, { a: 1 }, ...junkScalars])) as never),
        ],
        ['restoreCheckpoint', () => lib.restoreCheckpoint(bytes() as never, (rnd() < 0.5 ? { model: lib.mlp([2, 2]) } : pick(junkScalars)) as never)],
        [
          'knnAccuracy',
          () => lib.knnAccuracy(matrix() as never, [0, 1, 0, 1] as never, matrix() as never, [0, 1] as never, pick([undefined, { k: num() }, null]) as never),
        ],
        ['runtime', () => lib.setTileCache(num() as never)],
      ];
      const end = performance.now() + TOTAL * SHARE.api * 1000;
      count('public API', 'accepted');
      table['public API'].accepted--;
      const finite = (v: unknown, depth = 0): boolean => {
        if (typeof v === 'number') return Number.isFinite(v);
        if (v instanceof Float32Array) return v.every(Number.isFinite);
        if (v && typeof v === 'object' && depth < 3 && !(v instanceof lib.Trainer)) return Object.values(v).every((x) => finite(x, depth + 1));
        return true;
      };
      while (performance.now() < end) {
        const [name, call] = calls[ri(calls.length)];
        table['public API'].cases++;
        try {
          const r = call();
          count('public API', name === 'parseNpy' || name === 'readSafetensors' || name === 'parseIdx' || finite(r) ? 'accepted' : 'silentNaN', name);
        } catch (e) {
          if (e instanceof ContrastiveError && /trapped/.test(e.message)) {
            count('public API', 'trap', `${name}: ${e.message}`);
            await init({ variant: 'simd128' });
          } else if (e instanceof ContrastiveError) count('public API', 'refused');
          else count('public API', 'untyped', `${name}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
        }
      }
      expect(bad('public API'), JSON.stringify(examples['public API'])).toBe(0);
    },
    (TOTAL * SHARE.api + 60) * 1000,
  );
});

/** The values as little-endian float64 bytes in hex, NaN canonical (what the numpy side prints). */
function f64hex(data: ArrayLike<number>): string {
  const f = Float64Array.from(data, (v) => (Number.isNaN(v) ? NaN : v));
  return Buffer.from(f.buffer).toString('hex');
}

type RefTensor = { shape: number[]; data: number[] };
/** A literal reading of the safetensors spec, written independently of the library's reader. */
function strictSafetensors(b: Uint8Array): Record<string, RefTensor> | undefined {
  if (b.length < 8) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const n = dv.getBigUint64(0, true);
  if (n > BigInt(b.length - 8) || n > 100_000_000n) return undefined;
  const hb = b.subarray(8, 8 + Number(n));
  if (hb[0] !== 0x7b) return undefined;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hb);
  } catch {
    return undefined;
  }
  const trimmed = text.replace(/ +$/, '');
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  // duplicate keys at the top level (JSON.parse keeps the last): a scan outside strings
  const keysInText = new Set<string>();
  let depth = 0;
  for (let c = 0; c < trimmed.length; c++) {
    const ch = trimmed[c];
    if (ch === '"') {
      let e = c + 1;
      while (trimmed[e] !== '"') e += trimmed[e] === '\\' ? 2 : 1;
      const after = trimmed.slice(e + 1).match(/^\s*:/);
      if (after && depth === 1) {
        const k = JSON.parse(trimmed.slice(c, e + 1)) as string;
        if (keysInText.has(k)) return undefined;
        keysInText.add(k);
      }
      c = e;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') depth--;
  }
  if (h === null || typeof h !== 'object' || Array.isArray(h)) return undefined;
  const sizes: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4 };
  const data = b.subarray(8 + Number(n));
  const spans: [number, number][] = [];
  const out: Record<string, RefTensor> = {};
  for (const [k, e] of Object.entries(h)) {
    if (k === '__metadata__') {
      if (e === null || typeof e !== 'object' || Array.isArray(e) || !Object.values(e).every((x) => typeof x === 'string')) return undefined;
      continue;
    }
    if (e === null || typeof e !== 'object' || Array.isArray(e)) return undefined;
    const { dtype, shape, data_offsets: off } = e as { dtype: unknown; shape: unknown; data_offsets: unknown };
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(sizes, dtype)) return undefined;
    if (!Array.isArray(shape) || !shape.every((x) => Number.isSafeInteger(x) && x >= 0)) return undefined;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0) || off[0] > off[1] || off[1] > data.length)
      return undefined;
    const count = (shape as number[]).reduce((x, y) => x * y, 1);
    if (off[1] - off[0] !== count * sizes[dtype]) return undefined;
    spans.push([off[0], off[1]]);
    const vals: number[] = [];
    const ddv = new DataView(data.buffer, data.byteOffset + off[0], off[1] - off[0]);
    for (let i = 0; i < count; i++) {
      if (dtype === 'F32') vals.push(ddv.getFloat32(4 * i, true));
      else if (dtype === 'F64') vals.push(Math.fround(ddv.getFloat64(8 * i, true)));
      else if (dtype === 'I64') vals.push(Math.fround(Number(ddv.getBigInt64(8 * i, true))));
      else if (dtype === 'I32') vals.push(Math.fround(ddv.getInt32(4 * i, true)));
      else if (dtype === 'BF16') vals.push(new Float32Array(new Uint32Array([ddv.getUint16(2 * i, true) << 16]).buffer)[0]);
      else {
        const x = ddv.getUint16(2 * i, true);
        const e5 = (x >> 10) & 31;
        const mant = x & 1023;
        const sgn = x & 0x8000 ? -1 : 1;
        vals.push(e5 === 0 ? sgn * mant * 2 ** -24 : e5 === 31 ? (mant ? NaN : sgn * Infinity) : sgn * (1 + mant / 1024) * 2 ** (e5 - 15));
      }
    }
    out[`k:${k}`] = { shape: shape as number[], data: vals };
  }
  spans.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let end = 0;
  for (const [s0, s1] of spans) {
    if (s0 !== end) return undefined;
    end = s1;
  }
  if (end !== data.length) return undefined;
  return out;
}

function sameTensors(ours: Record<string, { shape: number[]; data: Float32Array }>, ref: Record<string, RefTensor>): boolean {
  const ok = Object.keys(ours);
  if (ok.length !== Object.keys(ref).length) return false;
  return ok.every((k) => {
    const r = ref[`k:${k}`];
    return (
      r &&
      r.shape.join() === ours[k].shape.join() &&
      r.data.length === ours[k].data.length &&
      r.data.every((v, i) => Object.is(v, ours[k].data[i]) || (Number.isNaN(v) && Number.isNaN(ours[k].data[i])))
    );
  });
}

/** A literal IDX reader: magic 0 0, known type, n big-endian dims, exactly the announced bytes. */
function strictIdx(b: Uint8Array): { shape: number[]; data: number[] } | undefined {
  if (b.length < 4 || b[0] !== 0 || b[1] !== 0 || b[3] === 0) return undefined;
  const size = ({ 8: 1, 9: 1, 11: 2, 12: 4, 13: 4, 14: 8 } as Record<number, number>)[b[2]];
  if (!size) return undefined;
  const nd = b[3];
  if (b.length < 4 + 4 * nd) return undefined;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const shape = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i));
  const count = shape.reduce((x, y) => x * y, 1);
  if (b.length !== 4 + 4 * nd + count * size) return undefined;
  const o = 4 + 4 * nd;
  const data = Array.from({ length: count }, (_, i) => {
    switch (b[2]) {
      case 8:
        return dv.getUint8(o + i);
      case 9:
        return dv.getInt8(o + i);
      case 11:
        return dv.getInt16(o + 2 * i);
      case 12:
        return dv.getInt32(o + 4 * i);
      case 13:
        return dv.getFloat32(o + 4 * i);
      default:
        return dv.getFloat64(o + 8 * i);
    }
  });
  return { shape, data };
}
