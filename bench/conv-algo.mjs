#!/usr/bin/env node
// One Conv2d layer (3x3, stride 1, padding 1, no bias) forward + backward (dx and dW) by im2col,
// by Winograd F(2x2, 3x3) and by Winograd F(4x4, 3x3), on the layer shapes of the demo CNN and of a
// ResNet-18 at 32x32: median of 3 timed runs after one untimed, the ratios im2col / each Winograd
// (> 1: Winograd faster), and what 'auto' picks.
//
// Usage: node [--experimental-wasm-relaxed-simd] bench/conv-algo.mjs [simd128|relaxed] ['[[cin, cout, size, batch], ...]']
const C = await import(new URL('../packages/contrastive/dist/index.node.js', import.meta.url).href);
await C.init({ variant: process.argv[2] ?? 'simd128' });
// [cin, cout, height = width, batch]
const shapes = process.argv[3]
  ? JSON.parse(process.argv[3])
  : [
      [1, 32, 28, 256],
      [32, 64, 14, 256],
      [64, 64, 32, 32],
      [128, 128, 16, 32],
      [256, 256, 8, 32],
      [512, 512, 4, 32],
      [8, 8, 28, 64],
      [4, 16, 28, 64],
      [16, 16, 28, 64],
      [32, 32, 8, 64],
      [64, 64, 7, 64],
    ];
console.log('| layer | im2col ms | F(2x2) ms | F(4x4) ms | im2col / F(2x2) | im2col / F(4x4) | auto |');
console.log('|---|---:|---:|---:|---:|---:|---|');
console.log(`# Conv2d 3x3 forward + backward, ${C.runtimeInfo().variant}, ${new Date().toISOString()}`);
for (const [cin, cout, hw, n] of shapes) {
  const conv = new C.Conv2d(cin, cout, 3, { padding: 1, bias: false });
  const x = { data: new Float32Array(n * cin * hw * hw).map((_, i) => Math.sin(i)), shape: [n, cin, hw, hw] };
  const row = [];
  for (const algo of ['im2col', 'winograd', 'winograd4', 'auto']) {
    C.setConvAlgorithm(algo);
    const y = conv.forwardTensor(x, { training: true });
    const dy = { data: y.data, shape: y.shape };
    conv.backwardTensor(dy);
    const ts = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      conv.forwardTensor(x, { training: true });
      conv.backwardTensor(dy);
      ts.push(performance.now() - t);
    }
    ts.sort((a, b) => a - b);
    row.push(ts[1]);
  }
  // 'auto' took the time of one of the three: name the nearest
  const pick = ['im2col', 'F(2x2)', 'F(4x4)'][[0, 1, 2].reduce((b, i) => (Math.abs(row[i] - row[3]) < Math.abs(row[b] - row[3]) ? i : b), 0)];
  console.log(
    `| ${cin} -> ${cout}, ${hw}x${hw}, batch ${n} | ${row[0].toFixed(1)} | ${row[1].toFixed(1)} | ${row[2].toFixed(1)} | ${(row[0] / row[1]).toFixed(2)}x | ${(row[0] / row[2]).toFixed(2)}x | ${pick} |`,
  );
  conv.free();
}
C.setConvAlgorithm('auto');
