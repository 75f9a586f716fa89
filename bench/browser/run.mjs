#!/usr/bin/env node
// `pnpm bench:browser`: contrastive simd128 vs relaxed (ntXent 2N = 2048 / 8192, ct_gemm 1024³)
// in headless Chromium (playwright driving /usr/bin/chromium, files served by a tiny HTTP server
// on 127.0.0.1) and in Deno (node_modules/.bin/deno). Needs `pnpm build` first.
// Usage: node bench/browser/run.mjs [--runs 7] [--engines chromium,deno] [--chromium /usr/bin/chromium]
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test/chromium.mjs';
import { benchArgs } from '../args.mjs';
import { machine } from '../lib/machine.mjs';

const { values: args } = benchArgs({
  options: {
    runs: { type: 'string', default: '7' },
    engines: { type: 'string', default: 'chromium,deno' },
    chromium: { type: 'string', default: CHROMIUM_PATH },
  },
});
const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const engines = new Set(args.engines.split(','));
const runs = Number(args.runs);
const results = {};

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const rel = path.normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    const file = path.join(root, rel);
    const allowed = ['bench' + path.sep, path.join('packages', 'contrastive') + path.sep].some((p) => rel.startsWith(p));
    if (!allowed || !file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

if (engines.has('chromium')) {
  const { chromium } = await import('playwright');
  const server = await serve();
  const port = server.address().port;
  const browser = await chromium.launch({
    executablePath: args.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`  [chromium] ${m.text()}\n`));
    await page.goto(`http://127.0.0.1:${port}/bench/browser/page.html?runs=${runs}&gemmRuns=${runs}`);
    await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 15 * 60 * 1000, polling: 500 });
    const r = await page.evaluate(() => window.__result);
    if (!r.ok) throw new Error(`chromium page failed: ${r.error}`);
    results[`Chromium ${browser.version()}`] = r;
  } finally {
    await browser.close();
    server.close();
  }
}

if (engines.has('deno')) {
  const deno = path.join(root, 'node_modules', '.bin', 'deno');
  const r = spawnSync(deno, ['run', '--allow-read', path.join(root, 'bench', 'browser', 'deno.mjs'), String(runs)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`deno exited with ${r.status}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop());
  results[`Deno ${j.deno.deno} (V8 ${j.deno.v8})`] = j;
}

const f = (x) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(`# simd128 vs relaxed SIMD outside Node — ${new Date().toISOString()}, ${machine()}`);
console.log('');
console.log('| engine | workload | simd128 | relaxed | simd128 / relaxed |');
console.log('| --- | --- | --- | --- | --- |');
for (const [engine, r] of Object.entries(results)) {
  if (!r.relaxedSupported) console.log(`| ${engine} | — | relaxed SIMD not supported | | |`);
  for (const R of [2048, 8192]) {
    const s = r.ntxent[`simd128:${R}`];
    const x = r.ntxent[`relaxed:${R}`];
    if (!s) continue;
    const cell = (m) => (m ? `${f(m.median)} ms [${f(m.min)}–${f(m.max)}] (n=${m.runs})` : '—');
    console.log(`| ${engine} | ntXent 2N=${R} fwd+bwd | ${cell(s)} | ${cell(x)} | ${x ? (s.median / x.median).toFixed(2) + '×' : '—'} |`);
  }
  for (const mode of ['NN', 'NT', 'TN']) {
    const s = r.gemm.simd128?.[mode];
    const x = r.gemm.relaxed?.[mode];
    const cell = (m) => (m ? `${m.gflops.toFixed(1)} GFLOP/s (best ${m.gflopsBest.toFixed(1)})` : '—');
    console.log(`| ${engine} | ct_gemm 1024³ ${mode} | ${cell(s)} | ${cell(x)} | ${x ? (x.gflops / s.gflops).toFixed(2) + '×' : '—'} |`);
  }
}
console.log('');
console.log('ntXent: median wall time per call (loss + gradients, copies included). ct_gemm: 2·1024³ / median time of the kernel call alone.');
