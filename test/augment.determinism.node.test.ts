// Same seed, same views, everywhere: the hashes of test/augment/determinism.mjs are recomputed here
// from the sources, on both kernel builds, and must equal the committed fixture (which the
// Chromium test checks too). A change that moves any view fails here first; regenerate the fixture
// with `node test/augment/make-determinism.mjs` only when the change is meant.
import { describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { computeViewHashes } from './augment/determinism.mjs';
import fixture from './reference/augment/views-hashes.json';

describe('augmentation determinism (Node)', () => {
  for (const variant of ['simd128', 'relaxed'] as const) {
    it(`views hash to the committed fixture on the ${variant} build`, async () => {
      await lib.init({ variant });
      expect(computeViewHashes(lib)).toEqual(fixture.hashes);
    });
  }

  it('the fixture is not degenerate: views differ between views, presets and seeds', () => {
    const all = Object.values(fixture.hashes).flat();
    expect(new Set(all).size).toBe(all.length);
  });
});
