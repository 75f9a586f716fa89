// init({ threads }) in Chromium: Web Workers from a Blob URL, a shared memory, and the page
// cross-origin isolated by the COOP/COEP headers the Vitest browser server sends (vitest.config.ts).
import { describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.browser.js';
import { bits, linearRun as linearRunOf } from './util/bits.js';

const linearRun = () => linearRunOf(lib.Linear);

describe('init({ threads }) in Chromium', () => {
  it('the test page is cross-origin isolated (else SharedArrayBuffer is hidden)', () => {
    expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
  });

  for (const variant of ['simd128', 'relaxed'] as const) {
    it(`2 Web Workers: Linear forward/backward bit-identical to the single-threaded ${variant} build`, async () => {
      await lib.init({ threads: 1, variant });
      const one = bits(linearRun());
      // Chromium has relaxed SIMD, so 'auto' must pick the relaxed threads build
      await lib.init({ threads: 2, variant: variant === 'relaxed' ? 'auto' : variant });
      expect(lib.runtimeInfo()).toMatchObject({ variant, threads: 2 });
      const two = bits(linearRun());
      expect(two).toEqual(one);
      // many calls on the main thread, which may not block: the caller spins, never waits
      for (let i = 0; i < 50; i++) linearRun();
      expect(bits(linearRun())).toEqual(one);
      await lib.init({ threads: 1, variant: 'simd128' });
      expect(lib.runtimeInfo().threads).toBe(1);
    });
  }
});
