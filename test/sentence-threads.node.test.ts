// The sentence-embedding kernels give the same bits on 1, 2 and 3 threads (the loss GEMMs split; search
// spreads its query blocks over the pool).
import { afterAll, describe, expect, it } from 'vitest';
import { init, mnrl, search } from '../packages/contrastive/src/index.node.js';

const rnd = (n: number, s: number) => Float32Array.from({ length: n }, (_, i) => (Math.sin(i * 12.9898 + s) * 43758.5453) % 1);
const m = (rows: number, cols: number, s: number) => ({ data: rnd(rows * cols, s), rows, cols });

function run(): Uint8Array[] {
  const s = search(m(300, 64, 1), m(5000, 64, 2), { k: 10 });
  const dot = search(m(301, 48, 6), m(2000, 48, 7), { k: 7, score: 'dot', chunkSize: 700 });
  const l = mnrl(m(256, 64, 3), m(256, 64, 4), { negatives: [m(256, 64, 5)], matryoshka: { dims: [64, 16] } });
  return [s.indices, s.scores, dot.indices, dot.scores, Float64Array.of(l.loss), l.grads.anchor.data, l.grads.negatives[0].data].map(
    (x) => new Uint8Array(x.buffer.slice(0)),
  );
}

afterAll(() => init({ threads: 1 }));

describe('sentence kernels on threads', () => {
  it('search (cosine and dot) and mnrl (hard negatives, Matryoshka) are bit-identical on 1, 2 and 3 threads', async () => {
    await init({ threads: 1 });
    const one = run();
    for (const threads of [2, 3]) {
      await init({ threads });
      const more = run();
      one.forEach((x, i) => expect(Buffer.from(x).equals(Buffer.from(more[i])), `output ${i}, ${threads} threads`).toBe(true));
    }
  }, 120_000);
});
