// The CLI's outputs under faults: outputs checked before training, model files checked before
// allocation, stale temporary files removed, and kill -9 at random points of a --checkpoint run:
// every file is absent, the old version or the complete new one, and --resume reaches the
// uninterrupted run's model byte for byte. RELIABILITY_LONG=1 runs many more kills.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTrainerState, readSafetensors, saveSafetensors, writeIdx } from '../../packages/contrastive/src/index.node.js';

const LONG = process.env.RELIABILITY_LONG === '1';
const bin = fileURLToPath(new URL('../../packages/cli/bin/contrastive.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'contrastive-faults-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
/** A small run: 96 hash-noise digits, MLP encoder, 4 epochs of 6 steps. */
const RUN = ['train', '--images', 'img-idx3-ubyte', '--encoder', 'mlp', '--epochs', '4', '--batch-size', '16', '--seed', '3', '--variant', 'simd128', '--json'];

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url)))) throw new Error('run `pnpm build` first');
  const n = 96;
  const img = new Uint8Array(n * 784);
  for (let i = 0; i < img.length; i++) img[i] = (Math.imul(i + 1, 2654435761) >>> 24) & 0xff;
  writeFileSync(join(dir, 'img-idx3-ubyte'), writeIdx([n, 28, 28], img));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tmpFiles = (d = dir) => readdirSync(d).filter((f) => f.includes('.tmp-'));

describe('CLI output handling', () => {
  it('an output folder that does not exist is reported before any training, in one line', () => {
    const t0 = Date.now();
    const r = cli(...RUN, '--out', 'missing/m.safetensors');
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/cannot write missing\/m\.safetensors/);
    expect(r.out).toBe('');
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('flag errors are one line on stderr too (the usage hint on the same line)', () => {
    for (const args of [['train', '--epochs', 'x'], ['train', '--bogus'], ['bogus'], ['embed']]) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.err, args.join(' ')).toMatch(/^contrastive: .*\(add --help for usage\)/);
    }
  });

  it('an output that is a folder, or a --checkpoint in a missing folder, is refused up front', () => {
    mkdirSync(join(dir, 'adir'), { recursive: true });
    expect(cli(...RUN, '--out', 'adir').err).toMatch(/cannot write adir: it is a folder/);
    expect(cli(...RUN, '--out', 'ok.safetensors', '--checkpoint', 'nope/c.ckpt').err).toMatch(/cannot write nope\/c\.ckpt/);
    expect(existsSync(join(dir, 'ok.safetensors'))).toBe(false);
  });

  it('temporary files of a killed run (their process gone) are removed at the next run; live ones are kept', () => {
    const stale = 'm1.safetensors.tmp-999999999-abc';
    const live = `m1.safetensors.tmp-${process.pid}-xyz`;
    writeFileSync(join(dir, stale), 'partial');
    writeFileSync(join(dir, live), 'partial');
    const r = cli(...RUN, '--epochs', '1', '--out', 'm1.safetensors');
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(dir, stale))).toBe(false);
    expect(existsSync(join(dir, live))).toBe(true);
    rmSync(join(dir, live));
  });
});

describe('model files are checked before they are trusted', () => {
  it('an edited spec (a huge MLP) is refused before allocation with a one-line reason', () => {
    const r0 = cli(...RUN, '--epochs', '1', '--out', 'spec.safetensors');
    expect(r0.code, r0.err).toBe(0);
    const { tensors, metadata } = readSafetensors(new Uint8Array(readFileSync(join(dir, 'spec.safetensors'))));
    const variants: [string, unknown, RegExp][] = [
      [
        'huge',
        { kind: 'mlp', input: [1, 28, 28], sizes: [784, 60000, 60000, 256], outDim: 256 },
        /tensor 0\.weight has shape \[512, 784\].*needs \[60000, 784\]/,
      ],
      ['kind', { kind: 'resnet', input: [1, 28, 28], outDim: 256 }, /arch must be one of resnet18/],
      ['kind', { kind: 'transformer', input: [1, 28, 28], outDim: 256 }, /kind must be mlp, conv, gap/],
      ['input', { kind: 'mlp', input: [1, 28], sizes: [784, 256], outDim: 256 }, /input must be 3 integers/],
      ['sizes', { kind: 'mlp', input: [1, 28, 28], sizes: [784, -1], outDim: 256 }, /sizes must be/],
      ['width', { kind: 'conv', input: [1, 28, 28], widths: [1e9, 1e9], outDim: 256 }, /widths must be/],
    ];
    for (const [name, spec, msg] of variants) {
      writeFileSync(join(dir, `${name}.safetensors`), saveSafetensors(tensors, { ...metadata, spec: JSON.stringify(spec) }));
      const t0 = Date.now();
      const r = cli('embed', '--model', `${name}.safetensors`, '--images', 'img-idx3-ubyte', '--out', `${name}.npy`);
      expect(r.code, name).toBe(1);
      expect(r.err.trim().split('\n'), name).toHaveLength(1);
      expect(r.err, name).toMatch(msg);
      expect(Date.now() - t0, name).toBeLessThan(15_000);
      expect(existsSync(join(dir, `${name}.npy`))).toBe(false);
    }
    writeFileSync(join(dir, 'json.safetensors'), saveSafetensors(tensors, { ...metadata, spec: '{"kind":' }));
    expect(cli('embed', '--model', 'json.safetensors', '--images', 'img-idx3-ubyte', '--out', 'j.npy').err).toMatch(/spec in its metadata is not valid JSON/);
  });
});

/** Every file of the run is absent, or a complete file of its kind (never a partial one). */
function checkFiles(d: string): void {
  const ckpt = join(d, 'c.ckpt');
  if (existsSync(ckpt)) expect(() => parseTrainerState(new Uint8Array(readFileSync(ckpt)))).not.toThrow();
  const model = join(d, 'm.safetensors');
  if (existsSync(model)) expect(readSafetensors(new Uint8Array(readFileSync(model))).metadata.format).toBe('contrastive-encoder-1');
}

describe('kill -9 fault injection', () => {
  it(
    `killed at random points ${LONG ? 40 : 4} times, --resume still gives the uninterrupted model byte for byte`,
    async () => {
      const run = join(dir, 'run');
      mkdirSync(run);
      // the long mode trains longer, so that its 40 kills find a run still going
      const epochs = LONG ? '40' : '4';
      const args = [
        ...RUN.map((a) => (a === 'img-idx3-ubyte' ? '../img-idx3-ubyte' : a)),
        '--epochs',
        epochs,
        '--out',
        'm.safetensors',
        '--checkpoint',
        'c.ckpt',
      ];
      // the uninterrupted run, with the same flags (the model file records them) in a folder of its own
      const refDir = join(dir, 'ref');
      mkdirSync(refDir);
      const ref = spawnSync(process.execPath, [bin, ...args], { cwd: refDir, encoding: 'utf8', timeout: 120_000 });
      expect(ref.status, ref.stderr).toBe(0);
      const want = readFileSync(join(refDir, 'm.safetensors'));
      const kills = LONG ? 40 : 4;
      let resumed = 0;
      let done = 0;
      let checked = 0;
      let s = 12345;
      const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
      const cwdRun = (a: string[]) => spawnSync(process.execPath, [bin, ...a], { cwd: run, encoding: 'utf8', timeout: 120_000 });
      const stamp = () => (existsSync(join(run, 'c.ckpt')) ? readFileSync(join(run, 'c.ckpt')).subarray(-64).toString('hex') : '');
      for (let i = 0; i < kills; i++) {
        const resume = existsSync(join(run, 'c.ckpt')) ? ['--resume', 'c.ckpt'] : [];
        if (resume.length) resumed++;
        // three ways to pick the moment: a random time; just after a new checkpoint lands (plus a
        // random delay, so kills fall inside training steps and inside the next writes); the
        // instant a temporary file appears (a kill in the middle of writing a file)
        const mode = i % 3;
        const before = stamp();
        await new Promise<void>((resolve) => {
          const p = spawn(process.execPath, [bin, ...args, ...resume], { cwd: run, stdio: 'ignore' });
          const t0 = Date.now();
          const limit = 300 + rnd() * 3000;
          const poll = setInterval(() => {
            const due =
              mode === 0
                ? Date.now() - t0 > limit
                : mode === 1
                  ? stamp() !== before && Date.now() - t0 > rnd() * 300
                  : tmpFiles(run).length > 0 || Date.now() - t0 > 20_000;
            if (due) p.kill('SIGKILL');
          }, 3);
          p.on('exit', () => {
            clearInterval(poll);
            resolve();
          });
        });
        done++;
        checkFiles(run);
        checked += ['c.ckpt', 'm.safetensors'].filter((f) => existsSync(join(run, f))).length;
        if (existsSync(join(run, 'm.safetensors'))) break; // finished before the kill
      }
      const resume = existsSync(join(run, 'c.ckpt')) ? ['--resume', 'c.ckpt'] : [];
      const last = cwdRun([...args, ...resume]);
      expect(last.status, last.stderr).toBe(0);
      expect(Buffer.compare(readFileSync(join(run, 'm.safetensors')), want)).toBe(0);
      expect(tmpFiles(run)).toEqual([]);
      expect(resumed + resume.length).toBeGreaterThan(0);
      console.log(
        `kill -9: ${done} kills, ${resumed + resume.length} resumes, ${checked} files found complete after a kill, 0 partial; final model identical to the uninterrupted run`,
      );
    },
    LONG ? 1_200_000 : 240_000,
  );

  it('a --resume of another run (different flags) is refused, naming what differs', () => {
    const r0 = cli(...RUN, '--epochs', '1', '--out', 'a.safetensors', '--checkpoint', 'a.ckpt');
    expect(r0.code, r0.err).toBe(0);
    const r = cli(...RUN, '--epochs', '1', '--lr', '0.5', '--out', 'b.safetensors', '--resume', 'a.ckpt');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/another run \(lr: 0\.001 in the checkpoint, 0\.5 now\)/);
    writeFileSync(join(dir, 'junk.ckpt'), 'not a checkpoint');
    expect(cli(...RUN, '--out', 'c.safetensors', '--resume', 'junk.ckpt').err).toMatch(/--resume junk\.ckpt: loadSafetensors/);
  });
});
