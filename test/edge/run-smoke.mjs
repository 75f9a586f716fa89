// Runs smoke.mjs against the package's Node entry in any runtime with node:fs (Deno, Bun, Node):
//   deno run --allow-read test/edge/run-smoke.mjs [--cases test/edge/cases.json] [--entry <file>] [--expect-variant relaxed]
//   bun test/edge/run-smoke.mjs ...
// Prints the variant and one `EDGE_SMOKE {...}` JSON line; exits 1 on any failure. Then checks
// init({ threads: 2 }) (worker_threads through the node entry): `threads` in the line is
// { threads, variant, identical } with identical = a Linear forward bit for bit equal to 1 thread's,
// or { error } if threads failed.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { smoke, summaryLine } from './smoke.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};

const runtime = typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}` : typeof Bun !== 'undefined' ? `bun ${Bun.version}` : `node ${process.version}`;

try {
  const entry = resolve(opt('--entry', resolve(here, '../../packages/contrastive/dist/index.node.js')));
  const casesPath = resolve(opt('--cases', resolve(here, 'cases.json')));
  const expect = opt('--expect-variant', undefined);
  const lib = await import(pathToFileURL(entry).href);
  const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
  const summary = await smoke(lib, cases);
  console.log(`${runtime}: ${summaryLine(summary)}`);
  const threads = await threadsCheck(lib);
  console.log(
    `EDGE_SMOKE ${JSON.stringify({ runtime, variant: summary.variant, version: summary.version, cases: summary.cases, checks: summary.checks, worstRatio: summary.worstRatio, threads })}`,
  );
  if (expect !== undefined && summary.variant !== expect) {
    throw new Error(`expected variant ${expect}, the package picked ${summary.variant}`);
  }
  process.exit(0);
} catch (e) {
  console.error(`${runtime}: FAIL ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}

async function threadsCheck(lib) {
  // 256 x 512 x 512: big enough to be split over the threads
  const forward = () => {
    const lin = new lib.Linear(512, 512, { seed: 1 });
    const x = Float32Array.from({ length: 256 * 512 }, (_, i) => Math.sin(i * 0.1));
    const y = new Uint32Array(lin.forward({ data: x, rows: 256, cols: 512 }).data.slice().buffer);
    lin.free();
    return y;
  };
  try {
    // 'auto' both times: the threads build of the variant one thread runs (relaxed where the engine has it)
    await lib.init({ threads: 1 });
    const one = forward();
    await lib.init({ threads: 2 });
    const two = forward();
    const info = lib.runtimeInfo();
    await lib.init({ threads: 1 });
    return { threads: info.threads, variant: info.variant, identical: one.every((v, i) => v === two[i]) };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
}
