// The engine-independent part of `pnpm bench:browser`: contrastive's ntXent (2N = 2048, 8192;
// D = 128; loss + gradients) and ct_gemm 1024³ (NN/NT/TN), simd128 vs relaxed build, in whatever
// engine imports this (headless Chromium via page.html, Deno via deno.mjs).
import { instantiateKernels, checkGemm, timeGemm, timeNtXent } from '../lib/gemm-core.mjs';

/**
 * pkg: the package's entry (index.browser.js or index.js); loadBytes(variant) -> the .wasm bytes.
 * Returns plain JSON.
 */
export async function runAll(pkg, loadBytes, { sizes = [2048, 8192], runs = 7, gemmRuns = 7, log = () => {} } = {}) {
  const variants = pkg.relaxedSimdSupported() ? ['simd128', 'relaxed'] : ['simd128'];
  const out = { relaxedSupported: pkg.relaxedSimdSupported(), ntxent: {}, gemm: {} };
  const bytes = {};
  for (const v of variants) bytes[v] = await loadBytes(v);
  // ntXent: variants interleaved per size, warm-up for each, then rounds so load hits both alike.
  for (const R of sizes) {
    const r = runs > 3 && R > 4096 ? Math.max(3, runs - 2) : runs;
    for (const v of variants) {
      await pkg.init({ variant: v, wasm: bytes[v] });
      out.ntxent[`${v}:${R}`] = timeNtXent(pkg.ntXent, R, { warmup: 1, runs: r });
      log(`ntXent 2N=${R} ${v}: ${out.ntxent[`${v}:${R}`].median.toFixed(1)} ms`);
    }
  }
  for (const v of variants) {
    const k = await instantiateKernels(bytes[v]);
    checkGemm(k);
    out.gemm[v] = timeGemm(k, { size: 1024, runs: gemmRuns });
    log(
      `gemm ${v}: ${Object.entries(out.gemm[v])
        .map(([m, x]) => `${m} ${x.gflops.toFixed(1)}`)
        .join(' ')} GFLOP/s`,
    );
  }
  return out;
}
