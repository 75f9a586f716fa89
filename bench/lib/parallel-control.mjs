// A control for the thread benches: how much parallelism the machine gives right now. Two
// worker_threads run the same independent scalar loop, first one alone (all the work), then both
// at once (half each). On an idle 2-core machine the ratio is ~2; on a shared one it shows what
// any threaded code could gain at best, so a threaded result can be read against it.
import { Worker } from 'node:worker_threads';

const CODE = `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (n) => { let x = 0; for (let i = 0; i < n; i++) x = (x * 1.0000001 + 1) % 1e9; parentPort.postMessage(x); });`;

/** Median over `reps` of time(one worker, n) / time(two workers, n/2 each). */
export async function parallelControl(threads = 2, { n = 4e7, reps = 3 } = {}) {
  const ws = Array.from({ length: threads }, () => new Worker(CODE, { eval: true }));
  const run = (w, k) =>
    new Promise((r) => {
      w.once('message', r);
      w.postMessage(k);
    });
  const ratios = [];
  try {
    await Promise.all(ws.map((w) => run(w, 1e6))); // warm-up (JIT)
    for (let i = 0; i < reps; i++) {
      let t = performance.now();
      await run(ws[0], n);
      const one = performance.now() - t;
      t = performance.now();
      await Promise.all(ws.map((w) => run(w, n / threads)));
      ratios.push(one / (performance.now() - t));
    }
  } finally {
    await Promise.all(ws.map((w) => w.terminate()));
  }
  ratios.sort((a, b) => a - b);
  return ratios[ratios.length >> 1];
}
