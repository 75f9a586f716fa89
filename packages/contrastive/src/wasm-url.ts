// Where each packaged module lies, next to this file's folder. Every URL is a static
// `new URL('...', import.meta.url)` literal (not a template), so Vite, Rollup, webpack and
// esbuild emit the asset, and server bundlers that follow such literals can see the files.
import type { Build } from './runtime/init.js';

/** The URL of a build's packaged .wasm (for the node and browser entries' loaders). */
export function wasmUrl(build: Build): URL {
  switch (build) {
    case 'relaxed':
      return new URL('../wasm/contrastive-relaxed.wasm', import.meta.url);
    case 'relaxed-threads':
      return new URL('../wasm/contrastive-relaxed-threads.wasm', import.meta.url);
    case 'simd128-threads':
      return new URL('../wasm/contrastive-simd128-threads.wasm', import.meta.url);
    default:
      return new URL('../wasm/contrastive-simd128.wasm', import.meta.url);
  }
}
