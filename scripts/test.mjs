#!/usr/bin/env node
// `pnpm test`: builds everything, then runs every suite (Rust kernels natively; Vitest in Node
// and headless Chromium, including the edge-runtime and consumer checks) and ends with one line
// "N passed, N failed" summing them all. Exit code is non-zero if anything failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let passed = 0;
let failed = 0;
const failures = [];

function run(label, cmd, args, opts = {}) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    env: opts.env ?? process.env,
  });
  if (opts.capture) process.stdout.write(r.stdout ?? '');
  if (r.error) console.error(r.error.message);
  return r;
}

function step(label, cmd, args) {
  const r = run(label, cmd, args);
  if (r.status === 0) passed++;
  else {
    failed++;
    failures.push(label);
  }
  return r.status === 0;
}

// 1. builds (each counts as one check: a broken build is a failure, not a crash of this script)
const built =
  step('build wasm', 'bash', ['scripts/build-wasm.sh']) &&
  step('build package', 'pnpm', ['--filter', 'contrastive', 'build']) &&
  step('build CLI', 'pnpm', ['--filter', 'contrastive-cli', 'build']); // the CLI tests run its dist
step('typecheck', 'pnpm', ['exec', 'tsc', '-p', 'tsconfig.json']);
step('cargo clippy -D warnings', 'cargo', ['clippy', '--release', '--offline', '-p', 'contrastive-kernels', '--', '-D', 'warnings']);
step('typecheck the docs examples', 'pnpm', ['exec', 'tsc', '-p', 'examples/tsconfig.json', '--noEmit']);
// Biome (biome.jsonc): the lint rules, then the formatting (`pnpm format` rewrites what differs)
step('lint (biome lint)', 'pnpm', ['exec', 'biome', 'lint', '.']);
step('formatting (biome format; `pnpm format` fixes it)', 'pnpm', ['exec', 'biome', 'format', '.']);
step('API reference builds from the doc comments', 'pnpm', ['docs:api']) &&
  step('API reference is a static site (docs/api/index.html)', 'test', ['-s', `${root}docs/api/index.html`]);

// 2. Rust kernels, native, against the scalar and float64 oracles
{
  const r = run('cargo test', 'cargo', ['test', '--release', '--offline', '-p', 'contrastive-kernels'], { capture: true });
  let seen = false;
  for (const m of (r.stdout ?? '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
    seen = true;
  }
  if (r.status !== 0 && (!seen || !/[1-9]\d* failed/.test(r.stdout ?? ''))) {
    failed++;
    failures.push('cargo test (did not run)');
  } else if (r.status !== 0) failures.push('cargo test');
}

// 3. Vitest: Node + Chromium projects
/** Runs vitest with `node` (a path to a Node binary) and adds its JSON results to the totals. */
function vitest(label, node, args) {
  const out = `${root}.vitest-results-${label.replace(/\W+/g, '-')}.json`;
  rmSync(out, { force: true });
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${root}scripts/node20-polyfills.mjs`.trim() };
  const r = run(label, node, [`${root}node_modules/vitest/vitest.mjs`, 'run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${out}`], {
    env,
  });
  try {
    const j = JSON.parse(readFileSync(out, 'utf8'));
    passed += j.numPassedTests;
    failed += j.numFailedTests;
    if (j.numFailedTests > 0) failures.push(label);
    // a suite that crashed before running its tests is a failure too
    const broken = j.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0);
    if (broken.length) {
      failed += broken.length;
      failures.push(...broken.map((f) => `${label} file ${f.name}`));
    }
  } catch (e) {
    failed++;
    failures.push(`${label} (no results: exit ${r.status})`);
  }
}

// The supported Node versions (README): 20 runs everything; 22 and 24 (registry binaries,
// tools/node-versions) run the Node-side checks a user meets: the packed tarball as a consumer
// installs it, reference parity, the threads build and the CLI end to end.
const OTHER_NODES = ['22', '24'];
const NODE_SUBSET = ['--project', 'node', 'test/consumer', 'test/parity.node.test.ts', 'test/threads.node.test.ts', 'test/cli'];
if (built) {
  vitest('vitest', process.execPath, []);
  for (const v of OTHER_NODES) {
    const node = `${root}tools/node-versions/node_modules/node${v}/bin/node`;
    if (existsSync(node)) vitest(`vitest on Node ${v}`, node, NODE_SUBSET);
    else {
      failed++;
      failures.push(`Node ${v} (missing ${node}: run pnpm install)`);
    }
  }
} else {
  failed++;
  failures.push('vitest (skipped: build failed)');
}

if (failures.length) console.log(`\nfailed: ${failures.join(', ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
