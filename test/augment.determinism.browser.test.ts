// Same seed, same views in Chromium as in Node: the hashes of test/augment/determinism.mjs computed
// in the browser must equal the fixture generated in Node (and rechecked by the Node test).
import { describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.browser.js';
import { computeViewHashes } from './augment/determinism.mjs';
import fixture from './reference/augment/views-hashes.json';

describe('augmentation determinism (Chromium)', () => {
  for (const variant of ['simd128', 'relaxed'] as const) {
    it(`views hash to the Node-generated fixture on the ${variant} build`, async () => {
      await lib.init({ variant });
      expect(computeViewHashes(lib)).toEqual(fixture.hashes);
    });
  }
});
