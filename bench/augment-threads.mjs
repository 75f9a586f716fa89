// Augmentation throughput with init({ threads: 1 }) vs ({ threads: 2 }): smallGrayscale, two views of
// 256 random 28x28 images, 3 alternating rounds of 40 calls. Usage: node bench/augment-threads.mjs
import * as lib from '../packages/contrastive/dist/index.node.js';
let x = 7;
const rand = (n) => Float32Array.from({ length: n }, () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0), x / 4294967296));
const gray = { data: rand(256 * 784), n: 256, channels: 1, height: 28, width: 28 };
const res = {};
for (let round = 0; round < 3; round++)
  for (const t of [1, 2]) {
    await lib.init({ threads: t, variant: 'simd128' });
    const p = lib.smallGrayscale();
    for (let i = 0; i < 5; i++) lib.twoViews(gray, p, { seed: i });
    const t0 = performance.now();
    for (let i = 0; i < 40; i++) lib.twoViews(gray, p, { seed: i });
    (res[t] ??= []).push((performance.now() - t0) / 40);
  }
for (const [t, v] of Object.entries(res)) console.log(`threads ${t}: ms per 2 views of 256 digits`, v.map((x) => x.toFixed(2)).join(' '));
await lib.init({ threads: 1 });
