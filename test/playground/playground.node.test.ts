// The playground (packages/playground) as a person uses it, in real headless Chromium: the site is
// built with `pnpm --filter playground build`, served by `vite preview` on 127.0.0.1, and driven
// with playwright. Needs `pnpm build` first (the contrastive package and its .wasm).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../packages/contrastive/src/index.node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../chromium.mjs';
import { assertBuilt, bin, explain, freePort, REPO, run, start, waitForHttp, type Background } from '../edge/proc.js';

const PLAY = join(REPO, 'packages/playground');
const SHOT = join(REPO, 'test-results/playground.png');

let server: Background | undefined;
let browser: Browser | undefined;
let url = '';
const errors: string[] = [];

beforeAll(async () => {
  assertBuilt();
  const t0 = performance.now();
  const build = await run('pnpm', ['--filter', 'playground', 'build'], { cwd: REPO, cleanEnv: true, timeoutMs: 150_000 });
  expect(build.code, explain('pnpm --filter playground build', build)).toBe(0);
  const assets = readdirSync(join(PLAY, 'dist/assets'));
  expect(
    assets.some((f) => f.endsWith('.wasm')),
    `a .wasm among ${assets.join(', ')}`,
  ).toBe(true);
  expect(existsSync(join(PLAY, 'dist/data/mnist.bin.gz')), 'the MNIST asset is in the site').toBe(true);
  console.log(`[playground] build ${Math.round(performance.now() - t0)} ms`);

  const port = await freePort();
  server = start(bin('vite'), ['preview', PLAY, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: PLAY, cleanEnv: true });
  url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, server);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000 });
}, 200_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop();
});

async function open(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1360, height: 900 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (req) => errors.push(`requestfailed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
  await page.goto(url, { timeout: 20_000 });
  await page.locator('[data-testid="train"]:enabled').waitFor({ timeout: 30_000 });
  return page;
}

/** A cheap fingerprint of a canvas's pixels, and how many are not the background. */
const canvasStats = (page: Page, selector: string, background: [number, number, number]) =>
  page.$eval(
    selector,
    (c, bg) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let hash = 0;
      let ink = 0;
      for (let i = 0; i < d.length; i += 4) {
        hash = (Math.imul(hash, 31) + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
        if (Math.abs(d[i] - bg[0]) + Math.abs(d[i + 1] - bg[1]) + Math.abs(d[i + 2] - bg[2]) > 30) ink++;
      }
      return { hash, ink, width: cv.width, height: cv.height };
    },
    background,
  );

/** A zip of 40 x 40 PNGs, dark shapes on white, in two class folders: rings/ and bars/. */
async function shapesZip(perClass: number): Promise<Buffer> {
  const fflate = (await import(createRequire(join(PLAY, 'package.json')).resolve('fflate'))) as { zipSync(files: Record<string, Uint8Array>): Uint8Array };
  const files: Record<string, Uint8Array> = {};
  const S = 40;
  for (const cls of ['rings', 'bars']) {
    for (let i = 0; i < perClass; i++) {
      const data = new Uint8Array(S * S * 4).fill(255);
      const cx = 14 + (i % 12);
      const cy = 14 + ((i * 5) % 12);
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const r = Math.hypot(x - cx, y - cy);
          const on = cls === 'rings' ? Math.abs(r - 9) < 2.5 : Math.abs(x - cx) < 3 && Math.abs(y - cy) < 13;
          if (on) data.fill(20, (y * S + x) * 4, (y * S + x) * 4 + 3);
        }
      }
      files[`shapes/${cls}/${String(i).padStart(3, '0')}.png`] = encodePng({ width: S, height: S, data });
    }
  }
  files['shapes/readme.txt'] = new TextEncoder().encode('not an image');
  return Buffer.from(fflate.zipSync(files));
}

const num = async (page: Page, testid: string) => Number(await page.locator(`[data-testid="${testid}"]`).textContent());

describe('playground in headless Chromium', () => {
  it('loads the MNIST subset and redraws the augmentation pairs when a parameter changes', async () => {
    const page = await open();
    try {
      expect(await page.locator('#data-status').textContent()).toContain('5,000 train / 1,000 test');
      const before = await canvasStats(page, '#grid canvas', [48, 48, 48]);
      expect(before.width).toBeGreaterThan(28 * 3); // original | view 1 | view 2
      expect(before.ink).toBeGreaterThan(500);
      // crop scale min 0.3 -> 0.08: new views of the same digits
      await page.locator('#scaleMin').fill('0.08');
      await page.waitForFunction(() => (document.querySelector('output[data-for="scaleMin"]') as HTMLOutputElement).value === '0.08');
      await page.waitForTimeout(200);
      const after = await canvasStats(page, '#grid canvas', [48, 48, 48]);
      expect(after.hash).not.toBe(before.hash);
      await page.locator('#jitter').fill('0.9');
      await page.waitForTimeout(200);
      expect((await canvasStats(page, '#grid canvas', [48, 48, 48])).hash).not.toBe(after.hash);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('trains an MLP in a worker: steps advance, pause holds, the loss goes down, the scatter is drawn, exports download', async () => {
    const page = await open();
    try {
      await page.locator('#encoder').selectOption('mlp');
      await page.locator('#batchSize').fill('64');
      await page.locator('#epochs').fill('1');
      await page.locator('#lr').fill('0.001');
      await page.locator('#temperature').fill('0.5');
      const t0 = performance.now();
      await page.locator('[data-testid="train"]').click();

      const seen: { step: number; loss: number }[] = [];
      const poll = async (until: () => boolean | Promise<boolean>, ms: number, what: string) => {
        const deadline = Date.now() + ms;
        for (;;) {
          const step = await num(page, 'step');
          const loss = await num(page, 'loss');
          if (step > 0 && Number.isFinite(loss) && seen.at(-1)?.step !== step) seen.push({ step, loss });
          if (await until()) return;
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; seen ${JSON.stringify(seen.slice(-5))}; errors ${errors.join('\n')}`);
          await page.waitForTimeout(100);
        }
      };
      await poll(async () => (seen.at(-1)?.step ?? 0) >= 10, 60_000, '10 steps');

      // training runs in the worker: the page still paints frames promptly
      const frameMs = await page.evaluate(
        () =>
          new Promise<number>((r) => {
            const t = performance.now();
            requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - t)));
          }),
      );
      expect(frameMs).toBeLessThan(500);

      // pause: the worker stops between steps, the page stays responsive, resume continues
      await page.locator('#pause').click();
      await page.locator('#train-state', { hasText: 'paused' }).waitFor({ timeout: 10_000 });
      const held = await num(page, 'step');
      await page.waitForTimeout(600);
      expect(await num(page, 'step')).toBe(held);
      expect(await page.evaluate(() => 1 + 1)).toBe(2);
      await page.locator('#pause').click();

      // one epoch of 5,000 / 64 = 78 steps, then the epoch's scatter
      const scatterEpoch = () => page.locator('[data-testid="scatter"]').getAttribute('data-epoch');
      await poll(async () => (await scatterEpoch()) === '1' && (await page.locator('#train-state').textContent()) === 'done', 120_000, 'the end of epoch 1');
      const ms = performance.now() - t0;
      expect(await num(page, 'step')).toBe(78);
      // reads are sparse when the machine is busy: compare the reads of the first 30 steps with the last 3
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
      const early = seen.filter((s) => s.step <= 30);
      const late = seen.slice(-3);
      console.log(
        `[playground] 78 MLP steps (batch 64) in ${Math.round(ms)} ms; loss ${mean(early.map((s) => s.loss)).toFixed(3)} (${early.length} reads, steps ${early.map((s) => s.step).join(',')}) -> ${mean(late.map((s) => s.loss)).toFixed(3)} (steps ${late.map((s) => s.step).join(',')}); ${seen.length} reads; kNN ${await page.locator('#knn').textContent()}`,
      );
      expect(early.length, `reads in the first 30 steps: ${JSON.stringify(seen)}`).toBeGreaterThan(0);
      expect(late[late.length - 1].step).toBe(78);
      expect(mean(late.map((s) => s.loss))).toBeLessThan(mean(early.map((s) => s.loss)) - 0.15);

      const sc = await canvasStats(page, '[data-testid="scatter"]', [255, 255, 255]);
      expect(sc.ink, 'coloured dots on the scatter').toBeGreaterThan(1000);
      const knn = parseFloat((await page.locator('#knn').textContent()) ?? '');
      expect(knn).toBeGreaterThan(30); // percent; chance is 10

      // hovering a dot shows its image
      const box = (await page.locator('[data-testid="scatter"]').boundingBox())!;
      const dot = await page.$eval('[data-testid="scatter"]', (c) => {
        const cv = c as HTMLCanvasElement;
        const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        for (let i = 0; i < d.length; i += 4 * 7)
          if (d[i] + d[i + 1] + d[i + 2] < 600) {
            const p = i / 4;
            return { x: (p % cv.width) / cv.width, y: Math.floor(p / cv.width) / cv.height };
          }
        return undefined;
      });
      expect(dot).toBeDefined();
      await page.mouse.move(box.x + dot!.x * box.width, box.y + dot!.y * box.height);
      await page.locator('#tip').waitFor({ state: 'visible', timeout: 5_000 });

      // exports: Blob URLs of the encoder (safetensors) and the test embeddings (NPY, CSV)
      await page.locator('#export').click();
      await page.locator('#dl-npy').waitFor({ state: 'visible', timeout: 20_000 });
      const files = await page.evaluate(async () => {
        const get = async (id: string) => new Uint8Array(await (await fetch((document.getElementById(id) as HTMLAnchorElement).href)).arrayBuffer());
        const st = await get('dl-safetensors');
        const npy = await get('dl-npy');
        const csv = new TextDecoder().decode(await get('dl-csv'));
        return {
          st: st.length,
          stHeader: new TextDecoder().decode(st.subarray(8, 40)),
          npyMagic: new TextDecoder().decode(npy.subarray(1, 6)),
          csvLines: csv.trim().split('\n').length,
          csvHead: csv.slice(0, 12),
        };
      });
      expect(files.st).toBeGreaterThan(784 * 512 * 4);
      expect(files.stHeader).toContain('"0.weight"');
      expect(files.npyMagic).toBe('NUMPY');
      expect(files.csvLines).toBe(1001);
      expect(files.csvHead).toBe('label,e0,e1,');

      await page.mouse.move(0, 0);
      mkdirSync(join(REPO, 'test-results'), { recursive: true });
      await page.screenshot({ path: SHOT });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 200_000);

  it('trains on uploaded images: a zip of PNGs in class folders, decoded and resized to 28 x 28', async () => {
    const page = await open();
    try {
      await page.locator('#upload-files').setInputFiles({ name: 'shapes.zip', mimeType: 'application/zip', buffer: await shapesZip(30) });
      await page.locator('#data-status', { hasText: 'your images (48 train / 12 test, 2 classes)' }).waitFor({ timeout: 20_000 });
      expect(await page.locator('#legend').textContent()).toBe('barsrings');
      // light background inverted to MNIST's light-on-dark: the originals are mostly dark
      const grid = await canvasStats(page, '#grid canvas', [48, 48, 48]);
      expect(grid.ink).toBeGreaterThan(50);
      await page.locator('#batchSize').fill('16');
      await page.locator('#epochs').fill('2');
      await page.locator('[data-testid="train"]').click();
      await page.locator('#train-state', { hasText: 'done' }).waitFor({ timeout: 60_000 });
      expect(await num(page, 'step')).toBe(6); // 2 epochs of floor(48 / 16)
      expect(Number.isFinite(await num(page, 'loss'))).toBe(true);
      expect(await page.locator('[data-testid="scatter"]').getAttribute('data-epoch')).toBe('2');
      expect((await canvasStats(page, '[data-testid="scatter"]', [255, 255, 255])).ink).toBeGreaterThan(50);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it("text tab: pairs train a static model in the worker while the query's nearest neighbours change, ending on its translation", async () => {
    const page = await open();
    try {
      await page.locator('[data-testid="tab-text"]').click();
      expect(await page.locator('#images-tab').isHidden()).toBe(true);
      expect(await page.locator('[data-testid="pairs"]').inputValue()).toContain('a red car\tvoiture rouge');
      // record every neighbour list the page shows, with the step it belongs to
      await page.evaluate(() => {
        const w = window as unknown as { seen: { step: string; top: string[] }[] };
        w.seen = [];
        const ol = document.querySelector('[data-testid="neighbours"]')!;
        new MutationObserver(() =>
          w.seen.push({ step: (ol as HTMLElement).dataset.step!, top: [...ol.querySelectorAll('li')].map((li) => li.firstChild!.textContent!) }),
        ).observe(ol, { childList: true });
      });
      await page.locator('[data-testid="text-train"]').click();
      await page.locator('[data-testid="text-state"]', { hasText: 'done' }).waitFor({ timeout: 60_000 });
      expect(await num(page, 'text-step')).toBe(48); // 12 epochs of ceil(64 / 16)
      expect(Number.isFinite(await num(page, 'text-loss'))).toBe(true);
      const seen = (await page.evaluate(() => (window as unknown as { seen: { step: string; top: string[] }[] }).seen)) as { step: string; top: string[] }[];
      expect(seen[0].step).toBe('0'); // the untrained model's answer first
      expect(new Set(seen.map((s) => s.step)).size).toBeGreaterThan(10); // redrawn as training ran
      expect(new Set(seen.map((s) => s.top.join('|'))).size).toBeGreaterThan(1); // and the neighbours changed
      const last = seen[seen.length - 1];
      expect(last.step).toBe('48');
      expect(last.top).toHaveLength(5);
      expect(last.top[0]).toBe('voiture rouge');
      // a new query is answered by the trained model
      await page.locator('[data-testid="query"]').fill('a blue bird');
      await page.locator('[data-testid="neighbours"] li').first().filter({ hasText: 'oiseau bleu' }).waitFor({ timeout: 10_000 });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 120_000);
});
