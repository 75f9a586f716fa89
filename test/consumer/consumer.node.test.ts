// Consumer check: what a user gets from `npm install contrastive`. The built package is packed
// with `pnpm pack` (so only what package.json "files" ships is there), installed with npm into a
// scratch project outside the workspace (os.tmpdir()), and used from there by plain Node, by a
// Vite build served to headless Chromium, and by workerd with the package's own module graph.
// Needs `pnpm build` first.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.mjs';
import { makeCases } from '../edge/make-cases.mjs';
import { assertBuilt, bin, explain, freePort, PKG_DIR, REPO, run, smokeLine, start, waitForHttp, type Background } from '../edge/proc.js';
import { resolveExport, WORKERD_CONDITIONS, writeWorkerdConfig } from '../edge/workerd.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const TIMEOUT = 60_000;
const CHILD_TIMEOUT = 50_000;
// The worked example: a = [[1,0,0],[0,2,0]], b = [[1,1,0],[0,1,-1]], tau = 0.5.
const LOSS = 0.706676;
const DTAU = 0.521588;

let tmp: string;
let scratch: string;
let installed: string;
let tarball: string;

function consumerLine(out: string): Record<string, unknown> | undefined {
  const m = /^CONSUMER (\{.*\})$/m.exec(out);
  return m ? (JSON.parse(m[1]) as Record<string, unknown>) : undefined;
}

beforeAll(async () => {
  assertBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'contrastive-consumer-'));
  const packDir = join(tmp, 'pack');
  scratch = join(tmp, 'scratch');
  mkdirSync(packDir);
  mkdirSync(scratch);

  const pack = await run('pnpm', ['pack', '--pack-destination', packDir], { cwd: PKG_DIR, cleanEnv: true, timeoutMs: CHILD_TIMEOUT });
  expect(pack.code, explain('pnpm pack', pack)).toBe(0);
  const tgz = readdirSync(packDir).filter((f) => f.endsWith('.tgz'));
  expect(tgz, 'pnpm pack wrote one tarball').toHaveLength(1);
  tarball = join(packDir, tgz[0]);

  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'contrastive-consumer-scratch', private: true, type: 'module' }, null, 2));
  // The package has no dependencies, so the install needs no registry.
  const npmArgs = ['install', tarball, '--no-audit', '--no-fund', '--offline', '--no-package-lock', '--loglevel=error'];
  const inst = await run('npm', npmArgs, { cwd: scratch, cleanEnv: true, timeoutMs: CHILD_TIMEOUT });
  expect(inst.code, explain('npm install', inst)).toBe(0);
  installed = join(scratch, 'node_modules/contrastive');
  expect(existsSync(join(installed, 'package.json')), `${installed} after npm install`).toBe(true);
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('consumer of the packed tarball (npm install into a scratch project)', () => {
  it('the tarball ships every module the entries import and the four .wasm builds', () => {
    // dist/**/*.js of the build all present in the install, plus the wasm builds (init({ threads }) loads the *-threads ones).
    const walk = (d: string, root = d): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name), root) : [join(d, e.name).slice(root.length + 1)]));
    const built = walk(join(PKG_DIR, 'dist'))
      .filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))
      .sort();
    const shipped = walk(join(installed, 'dist')).sort();
    expect(shipped).toEqual(expect.arrayContaining(built));
    for (const v of ['simd128', 'relaxed', 'simd128-threads', 'relaxed-threads']) {
      expect(readFileSync(join(installed, `wasm/contrastive-${v}.wasm`))).toEqual(readFileSync(join(PKG_DIR, `wasm/contrastive-${v}.wasm`)));
    }
  });

  it(
    'node ESM: `import { init, ntXent } from "contrastive"` resolves the node entry and computes the worked example',
    async () => {
      copyFileSync(join(FIXTURES, 'node-consumer.mjs'), join(scratch, 'node-consumer.mjs'));
      // Plain node, no flags: what a consumer runs (on Node 20 that means the simd128 build).
      const r = await run(process.execPath, ['node-consumer.mjs'], { cwd: scratch, cleanEnv: true, timeoutMs: CHILD_TIMEOUT });
      expect(r.code, explain('node node-consumer.mjs', r)).toBe(0);
      const s = consumerLine(r.stdout);
      expect(s, explain('node node-consumer.mjs', r)).toBeDefined();
      console.log(`[consumer] node ${process.version}: variant=${String(s!.variant)} loss=${String(s!.loss)}, ${Math.round(r.ms)} ms`);
      expect(s!.loss as number).toBeCloseTo(LOSS, 5);
      expect(s!.dTemperature as number).toBeCloseTo(DTAU, 5);
    },
    TIMEOUT,
  );

  it(
    'node-images without its optional peer sharp installed: a MISSING_DEPENDENCY error naming sharp, and the package installs with zero dependencies',
    async () => {
      const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
        dependencies?: object;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      };
      expect(pkg.dependencies ?? {}).toEqual({});
      expect(pkg.peerDependenciesMeta?.sharp?.optional).toBe(true);
      writeFileSync(
        join(scratch, 'no-sharp.mjs'),
        [
          "import { loadImageFolder } from 'contrastive/node-images';",
          "try { await loadImageFolder('.'); console.log('loaded?!'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }",
          '',
        ].join('\n'),
      );
      const r = await run(process.execPath, ['no-sharp.mjs'], { cwd: scratch, cleanEnv: true, timeoutMs: CHILD_TIMEOUT });
      expect(r.code, explain('node no-sharp.mjs', r)).toBe(0);
      const e = JSON.parse(r.stdout.trim().split('\n').pop()!) as { name: string; code: string; message: string };
      expect(e.name).toBe('ContrastiveError');
      expect(e.code).toBe('MISSING_DEPENDENCY');
      expect(e.message).toContain('npm install sharp');
    },
    TIMEOUT,
  );

  it(
    'types: a strict TypeScript consumer typechecks against the shipped declarations (bundler and nodenext resolution)',
    async () => {
      writeFileSync(
        join(scratch, 'typed.ts'),
        [
          `import { init, ntXent, infoNce, supCon, runtimeInfo, ContrastiveError, type Matrix, type ContrastiveErrorCode } from 'contrastive';`,
          `await init();`,
          `const m: Matrix = { data: new Float32Array(6), rows: 2, cols: 3 };`,
          `const g: Float32Array = ntXent(m, m, { temperature: 0.5 }).grads.a.data;`,
          `const l: number = ntXent(m, m, { temperature: 0.5, grad: false }).loss;`,
          `const q: Matrix = infoNce(m, m, { temperature: 0.1, symmetric: true }).grads.query;`,
          `const z: Matrix = supCon(m, [0, 1], { temperature: 0.1 }).grads.z;`,
          `const v: 'simd128' | 'relaxed' = runtimeInfo().variant;`,
          `const c: ContrastiveErrorCode = new ContrastiveError('NON_FINITE', 'x').code;`,
          `export { g, l, q, z, v, c };`,
          '',
        ].join('\n'),
      );
      for (const [module, resolution] of [
        ['esnext', 'bundler'],
        ['nodenext', 'nodenext'],
      ]) {
        const args = [
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          'false',
          '--target',
          'es2022',
          '--module',
          module,
          '--moduleResolution',
          resolution,
          '--lib',
          'es2022,dom',
          '--types',
          '',
          'typed.ts',
        ];
        const r = await run(bin('tsc'), args, { cwd: scratch, cleanEnv: true, timeoutMs: CHILD_TIMEOUT });
        expect(r.code, explain(`tsc --moduleResolution ${resolution}`, r)).toBe(0);
      }
    },
    TIMEOUT,
  );

  it(
    'types: the Node-only exports (saveCheckpoint, loadCheckpoint) typecheck in a Node TypeScript project (the `node` condition has its own types)',
    async () => {
      writeFileSync(
        join(scratch, 'typed-node.mts'),
        [
          `import { init, loadCheckpoint, saveCheckpoint, mlp, type CheckpointParts } from 'contrastive';`,
          `await init();`,
          `const save: (path: string, parts: CheckpointParts) => Promise<void> = saveCheckpoint;`,
          `const load: typeof loadCheckpoint = loadCheckpoint;`,
          `export { save, load, mlp };`,
          '',
        ].join('\n'),
      );
      const args = [
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--target',
        'es2022',
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--lib',
        'es2022,dom',
        '--types',
        '',
        'typed-node.mts',
      ];
      const r = await run(bin('tsc'), args, { cwd: scratch, cleanEnv: true, timeoutMs: CHILD_TIMEOUT });
      expect(r.code, explain('tsc --moduleResolution nodenext typed-node.mts', r)).toBe(0);
    },
    TIMEOUT,
  );

  it('the packed package.json links the repository, homepage and issues, and its README documents the whole library', () => {
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, { url?: string } | string>;
    expect(pkg.repository).toMatchObject({ url: expect.stringMatching(/^git\+https:/) });
    expect(String(pkg.homepage)).toMatch(/^https:/);
    expect(pkg.bugs).toMatchObject({ url: expect.stringMatching(/^https:/) });
    const readme = readFileSync(join(installed, 'README.md'), 'utf8');
    for (const name of [
      'init(',
      'ntXent',
      'infoNce',
      'supCon',
      'mlp(',
      'lenet28',
      'simclrHead',
      'simclrCifar10',
      'smallGrayscale',
      'twoViews',
      'Trainer',
      'fit(',
      'linearProbe',
      'knnAccuracy',
      'saveSafetensors',
      'readIdx',
      'writeNpy',
      'saveCheckpoint',
      'threads',
      'workerd',
      'RECIPES',
      'contrastive-cli',
    ]) {
      expect(readme, `README mentions ${name}`).toContain(name);
    }
    expect(readme).toMatch(/API reference/);
  });

  it(
    'vite: a bundled browser app emits the .wasm assets and computes the worked example in headless Chromium',
    async () => {
      const app = join(scratch, 'vite-app');
      mkdirSync(app, { recursive: true });
      for (const f of ['index.html', 'main.js']) copyFileSync(join(FIXTURES, 'vite-app', f), join(app, f));
      // The app lives in scratch/vite-app, so 'contrastive' resolves from scratch/node_modules.
      const outDir = join(app, 'dist');
      const vite = bin('vite');
      const t0 = performance.now();
      const build = await run(vite, ['build', app, '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], {
        cwd: scratch,
        cleanEnv: true,
        timeoutMs: CHILD_TIMEOUT,
      });
      expect(build.code, explain('vite build', build)).toBe(0);
      const assets = readdirSync(join(outDir, 'assets'));
      const wasm = assets.filter((f) => f.endsWith('.wasm'));
      expect(
        wasm.some((f) => f.startsWith('contrastive-relaxed')),
        `relaxed .wasm emitted among ${assets.join(', ')}`,
      ).toBe(true);
      expect(
        wasm.some((f) => f.startsWith('contrastive-simd128')),
        `simd128 .wasm emitted among ${assets.join(', ')}`,
      ).toBe(true);

      const port = await freePort();
      let server: Background | undefined;
      let browser: Browser | undefined;
      try {
        server = start(vite, ['preview', app, '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
          cwd: scratch,
          cleanEnv: true,
        });
        const url = `http://127.0.0.1:${port}/`;
        await waitForHttp(url, server);

        browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
        const page = await browser.newPage();
        const errors: string[] = [];
        const wasmResponses: string[] = [];
        page.on('console', (msg) => {
          if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
        });
        page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
        page.on('requestfailed', (req) => errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
        page.on('response', (res) => {
          if (res.url().endsWith('.wasm')) wasmResponses.push(`${res.status()} ${res.headers()['content-type'] ?? '-'} ${res.url().replace(url, '/')}`);
        });
        await page.goto(url, { timeout: 20_000 });
        const el = page.locator('#result[data-status]');
        await el.waitFor({ timeout: 20_000 });
        const status = await el.getAttribute('data-status');
        const text = (await el.textContent()) ?? '';
        expect(status, `page result: ${text}\n${errors.join('\n')}`).toBe('ok');
        const result = JSON.parse(text) as { loss: number; dTemperature: number; variant: string };
        console.log(
          `[consumer] vite+chromium: variant=${result.variant} loss=${result.loss} wasm=[${wasmResponses.join('; ')}], ${Math.round(performance.now() - t0)} ms`,
        );
        expect(result.loss).toBeCloseTo(LOSS, 5);
        expect(result.dTemperature).toBeCloseTo(DTAU, 5);
        expect(result.variant).toBe('relaxed'); // Chromium has relaxed SIMD: the relaxed asset is the one fetched
        expect(wasmResponses.length).toBeGreaterThan(0);
        expect(wasmResponses.every((r) => r.startsWith('200 '))).toBe(true);
        expect(errors).toEqual([]);
      } finally {
        await browser?.close().catch(() => undefined);
        await server?.stop();
      }
    },
    TIMEOUT,
  );

  it(
    "workerd: the installed package's workerd export runs the reference smoke with precompiled wasm modules",
    async () => {
      // The entry comes from the installed package.json's exports under workerd's conditions.
      const entry = resolveExport(installed, WORKERD_CONDITIONS);
      expect(entry).toBe('dist/index.workerd.js');
      const dir = mkdtempSync(join(tmp, 'workerd-'));
      const casesPath = makeCases(join(dir, 'cases.src.json'));
      const cfg = writeWorkerdConfig(dir, { pkgDir: installed, smokePath: join(REPO, 'test/edge/smoke.mjs'), casesPath, expectVariant: 'relaxed' });
      const r = await run(bin('workerd'), ['test', cfg], { cwd: dir, timeoutMs: CHILD_TIMEOUT });
      const s = smokeLine(r);
      console.log(`[consumer] workerd: variant=${String(s?.variant)}, ${Math.round(r.ms)} ms`);
      expect(r.code, explain('workerd test', r)).toBe(0);
      expect(s, explain('workerd test', r)).toBeDefined();
      expect(s!.variant).toBe('relaxed');
    },
    TIMEOUT,
  );
});
