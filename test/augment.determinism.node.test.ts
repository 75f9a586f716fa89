// Same seed, same views, everywhere: the hashes of test/augment/determinism.mjs are recomputed here
// from the sources, on both kernel builds, and must equal the committed fixture (which the
// Chromium test checks too). A change that moves any view fails here first; regenerate the fixture
// with `node test/augment/make-determinism.mjs` only when the change is meant.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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

  // The generator itself (on the built package) must still reproduce the fixture byte for byte.
  const dist = new URL('../packages/contrastive/dist/index.node.js', import.meta.url);
  it.skipIf(!existsSync(dist))('the fixture generator reruns to the identical file (--check)', () => {
    const script = fileURLToPath(new URL('./augment/make-determinism.mjs', import.meta.url));
    const r = spawnSync(process.execPath, [script, '--check'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('views-hashes.json: identical');
    expect(r.status).toBe(0);
  });

  it('the fixture is not degenerate: views differ between views, presets and seeds', () => {
    const all = Object.values(fixture.hashes).flat();
    expect(new Set(all).size).toBe(all.length);
  });
});
