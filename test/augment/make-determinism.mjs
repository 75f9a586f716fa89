#!/usr/bin/env node
// Regenerates test/reference/augment/views-hashes.json from the built package (pnpm build first):
//   node test/augment/make-determinism.mjs           # rewrite the fixture
//   node test/augment/make-determinism.mjs --check   # exit 1 if the fixture differs
// The Node test recomputes the same hashes from the sources (both kernel builds) and the Chromium
// test in the browser, both against this fixture.
import { readFileSync, writeFileSync } from 'node:fs';
import * as lib from '../../packages/contrastive/dist/index.node.js';
import { computeViewHashes } from './determinism.mjs';

const file = new URL('../reference/augment/views-hashes.json', import.meta.url);
await lib.init({ variant: 'simd128' });
const doc = {
  note: 'FNV-1a of the float32 bits of twoViews(...) for test/augment/determinism.mjs; regenerate with node test/augment/make-determinism.mjs',
  hashes: computeViewHashes(lib),
};
const text = JSON.stringify(doc, null, 2) + '\n';
if (process.argv.includes('--check')) {
  const same = readFileSync(file, 'utf8') === text;
  console.log(same ? 'views-hashes.json: identical' : 'views-hashes.json: DIFFERS');
  process.exit(same ? 0 : 1);
}
writeFileSync(file, text);
console.log(text);
