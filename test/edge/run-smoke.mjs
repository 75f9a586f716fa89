// Runs smoke.mjs against the package's Node entry in any runtime with node:fs (Deno, Bun, Node):
//   deno run --allow-read test/edge/run-smoke.mjs [--cases test/edge/cases.json] [--entry <file>] [--expect-variant relaxed]
//   bun test/edge/run-smoke.mjs ...
// Prints the variant and one `EDGE_SMOKE {...}` JSON line; exits 1 on any failure.
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

const runtime = typeof Deno !== 'undefined' ? `deno ${Deno.version.deno}`
  : typeof Bun !== 'undefined' ? `bun ${Bun.version}`
  : `node ${process.version}`;

try {
  const entry = resolve(opt('--entry', resolve(here, '../../packages/contrastive/dist/index.node.js')));
  const casesPath = resolve(opt('--cases', resolve(here, 'cases.json')));
  const expect = opt('--expect-variant', undefined);
  const lib = await import(pathToFileURL(entry).href);
  const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
  const summary = await smoke(lib, cases);
  console.log(`${runtime}: ${summaryLine(summary)}`);
  console.log(`EDGE_SMOKE ${JSON.stringify({ runtime, variant: summary.variant, version: summary.version, cases: summary.cases, checks: summary.checks, worstRatio: summary.worstRatio })}`);
  if (expect !== undefined && summary.variant !== expect) {
    throw new Error(`expected variant ${expect}, the package picked ${summary.variant}`);
  }
  process.exit(0);
} catch (e) {
  console.error(`${runtime}: FAIL ${e && e.stack ? e.stack : e}`);
  process.exit(1);
}
