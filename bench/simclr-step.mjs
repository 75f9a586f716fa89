// One SimCLR training step, this package only: two views (batch B each) through an MLP encoder
// 784-512-256 (BN + ReLU) and the SimCLR head 256-256-128, NT-Xent (tau 0.5), backward, AdamW.
// Reports samples/s and WASM memory after step 1 vs the last step.
// Usage: pnpm build && node --experimental-wasm-relaxed-simd bench/simclr-step.mjs [steps] [batch]
// (The tfjs-backend-wasm side of the comparison in issue #4 is not written yet.)
const pkg = await import('../packages/contrastive/dist/index.node.js');
const steps = Number(process.argv[2] ?? 200);
const B = Number(process.argv[3] ?? 256);
await pkg.init();
const enc = pkg.mlp([784, 512, 256], { seed: 1, batchNorm: true });
const head = pkg.simclrHead(256, { seed: 2 });
const model = new pkg.Sequential(...enc.layers, new pkg.ReLU(), ...head.layers);
const opt = new pkg.AdamW(model.namedParameters(), { lr: 1e-3 });
const rnd = (n, s) => Float32Array.from({ length: n }, (_, i) => ((Math.sin(i * 12.9898 + s * 78.233) * 43758.5453) % 1 + 1) % 1);
const views = [rnd(2 * B * 784, 1), rnd(2 * B * 784, 2)];
let memAfter1 = 0;
let t0 = 0;
for (let s = 0; s < steps; s++) {
  if (s === 1) t0 = performance.now();
  model.zeroGrad();
  // both views in one batch of 2B rows (BN statistics over both views, as SimCLR's global BN)
  const z = model.forward({ data: views[s % 2], rows: 2 * B, cols: 784 }, { training: true });
  const r = pkg.ntXent({ data: z.data.subarray(0, B * 128), rows: B, cols: 128 }, { data: z.data.subarray(B * 128), rows: B, cols: 128 }, { temperature: 0.5 });
  const g = new Float32Array(2 * B * 128);
  g.set(r.grads.a.data);
  g.set(r.grads.b.data, B * 128);
  model.backward({ data: g, rows: 2 * B, cols: 128 });
  opt.step();
  if (s === 0) memAfter1 = pkg.runtimeInfo().memoryBytes;
  if (process.env.TRACE_MEM) console.error(s, pkg.runtimeInfo().memoryBytes);
}
const secs = (performance.now() - t0) / 1000;
const info = pkg.runtimeInfo();
console.log(JSON.stringify({
  variant: info.variant, batch: B, steps, samplesPerSec: Math.round(((steps - 1) * B) / secs), msPerStep: +((secs * 1000) / (steps - 1)).toFixed(1),
  wasmMemoryAfterStep1: memAfter1, wasmMemoryAfterLastStep: info.memoryBytes,
}));
