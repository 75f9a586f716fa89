// Cross-runtime smoke: the built package (packages/contrastive, `pnpm build` first) runs the same
// reference cases (smoke.mjs) in workerd, Deno and Bun, each spawned from node_modules/.bin.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCases } from './make-cases.mjs';
import { assertBuilt, bin, explain, PKG_DIR, REPO, run, smokeLine } from './proc.js';
import { writeWorkerdConfig } from './workerd.js';

const TIMEOUT = 60_000;
const CHILD_TIMEOUT = 50_000; // the child is killed before vitest gives up on the test
const SMOKE = join(REPO, 'test/edge/smoke.mjs');
const RUNNER = join(REPO, 'test/edge/run-smoke.mjs');
const QUIET_ENV = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1', DO_NOT_TRACK: '1' };

let tmp: string;
let casesPath: string;

beforeAll(() => {
  assertBuilt();
  casesPath = makeCases(join(REPO, 'test/edge/cases.json'));
  tmp = mkdtempSync(join(tmpdir(), 'contrastive-edge-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function report(name: string, r: { ms: number }, s: Record<string, unknown> | undefined): void {
  console.log(`[edge] ${name}: variant=${String(s?.variant)} worst=${Number(s?.worstRatio).toFixed(3)}x tol, ${Math.round(r.ms)} ms`);
}

describe('edge runtimes run the package on the reference cases', () => {
  it(
    'workerd: reference smoke parity with a precompiled module',
    async () => {
      const dir = mkdtempSync(join(tmp, 'workerd-'));
      const cfg = writeWorkerdConfig(dir, { pkgDir: PKG_DIR, entry: 'dist/index.workerd.js', smokePath: SMOKE, casesPath, expectVariant: 'relaxed' });
      const r = await run(bin('workerd'), ['test', cfg], { cwd: dir, env: QUIET_ENV, timeoutMs: CHILD_TIMEOUT });
      const s = smokeLine(r);
      report('workerd', r, s);
      expect(r.code, explain('workerd test', r)).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/\[ PASS \] main/);
      expect(s, explain('workerd test', r)).toBeDefined();
      expect(s!.variant).toBe('relaxed'); // workerd has relaxed SIMD
      expect(s!.codegenRefused).toBe(true); // the hazard is real here: bytes would not compile
      expect(s!.threadsError).toMatch(/^WASM_UNSUPPORTED: init: threads: 2 asked for, but .*workerd/);
    },
    TIMEOUT,
  );

  it(
    'workerd: a failing smoke fails the run (harness self-check)',
    async () => {
      // Expecting the wrong variant makes test() throw: `workerd test` must then exit non-zero.
      const dir = mkdtempSync(join(tmp, 'workerd-neg-'));
      const cfg = writeWorkerdConfig(dir, { pkgDir: PKG_DIR, entry: 'dist/index.workerd.js', smokePath: SMOKE, casesPath, expectVariant: 'simd128' });
      const r = await run(bin('workerd'), ['test', cfg], { cwd: dir, env: QUIET_ENV, timeoutMs: CHILD_TIMEOUT });
      expect(r.timedOut).toBe(false);
      expect(r.code, explain('workerd test', r)).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/expected variant simd128/);
    },
    TIMEOUT,
  );

  it(
    'deno: reference smoke parity through the node entry (packaged .wasm read with node:fs), and init({ threads: 2 })',
    async () => {
      const args = ['run', '--no-lock', '--no-config', '--no-prompt', `--allow-read=${REPO}`, RUNNER, '--cases', casesPath, '--expect-variant', 'relaxed'];
      const r = await run(bin('deno'), args, { env: QUIET_ENV, timeoutMs: CHILD_TIMEOUT });
      const s = smokeLine(r);
      report('deno', r, s);
      expect(r.code, explain('deno run', r)).toBe(0);
      expect(s, explain('deno run', r)).toBeDefined();
      expect(s!.runtime).toMatch(/^deno /);
      expect(s!.variant).toBe('relaxed');
      // init({ threads: 2 }) through the node entry's worker_threads, bit-identical to 1 thread
      expect(s!.threads).toEqual({ threads: 2, variant: 'relaxed', identical: true });
    },
    TIMEOUT,
  );

  it(
    'bun: reference smoke parity through the node entry (packaged .wasm read with node:fs), and init({ threads: 2 })',
    async () => {
      const r = await run(bin('bun'), ['--no-install', RUNNER, '--cases', casesPath, '--expect-variant', 'relaxed'], {
        env: QUIET_ENV,
        timeoutMs: CHILD_TIMEOUT,
      });
      const s = smokeLine(r);
      report('bun', r, s);
      expect(r.code, explain('bun', r)).toBe(0);
      expect(s, explain('bun', r)).toBeDefined();
      expect(s!.runtime).toMatch(/^bun /);
      expect(s!.variant).toBe('relaxed');
      // init({ threads: 2 }) through the node entry's worker_threads, bit-identical to 1 thread
      expect(s!.threads).toEqual({ threads: 2, variant: 'relaxed', identical: true });
    },
    TIMEOUT,
  );
});
