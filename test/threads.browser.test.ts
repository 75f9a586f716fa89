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

  it('2 Web Workers: Linear forward/backward bit-identical to the single-threaded simd128 build', async () => {
    await lib.init({ threads: 1, variant: 'simd128' });
    const one = bits(linearRun());
    await lib.init({ threads: 2 });
    expect(lib.runtimeInfo()).toMatchObject({ variant: 'simd128', threads: 2 });
    const two = bits(linearRun());
    expect(two).toEqual(one);
    // many calls on the main thread, which may not block: the caller spins, never waits
    for (let i = 0; i < 50; i++) linearRun();
    expect(bits(linearRun())).toEqual(one);
    await lib.init({ threads: 1, variant: 'simd128' });
    expect(lib.runtimeInfo().threads).toBe(1);
  });
});
