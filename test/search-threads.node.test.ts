// Exact search on the threads builds: query blocks are spread over the pool, and every hit and
// score must be bit-identical to one thread.
import { afterAll, describe, expect, it } from 'vitest';
import * as lib from '../packages/contrastive/src/index.node.js';
import { bits, rand } from './util/bits.js';

const { init, runtimeInfo, search } = lib;

function run(): [Uint32Array, Float32Array[]] {
  const [nq, nc, d] = [300, 2000, 48];
  const q = { data: rand(nq * d, 1), rows: nq, cols: d };
  const c = { data: rand(nc * d, 2), rows: nc, cols: d };
  const cos = search(q, c, { k: 10, chunkSize: 700 });
  const dot = search(q, c, { k: 10, score: 'dot' });
  return [Uint32Array.from([...cos.indices, ...dot.indices]), [cos.scores, dot.scores]];
}

afterAll(() => init({ threads: 1, variant: 'simd128' }));

describe('search on threads', () => {
  it('2 and 3 threads give the hits and scores of one thread, bit for bit', async () => {
    await init({ threads: 1, variant: 'simd128' });
    const [i1, s1] = run();
    await init({ threads: 2, variant: 'simd128' });
    expect(runtimeInfo()).toMatchObject({ threads: 2 });
    const [i2, s2] = run();
    await init({ threads: 3, variant: 'simd128' });
    const [i3, s3] = run();
    expect(Array.from(i2)).toEqual(Array.from(i1));
    expect(Array.from(i3)).toEqual(Array.from(i1));
    expect(bits(s2)).toEqual(bits(s1));
    expect(bits(s3)).toEqual(bits(s1));
  });
});
