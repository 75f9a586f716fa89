// Browsers and bundlers: the module is fetched next to this file. Each URL is a static
// `new URL('...', import.meta.url)` so Vite, Rollup, webpack and esbuild emit the asset.
import { setDefaultLoader } from './runtime/init.js';

setDefaultLoader((variant) =>
  fetch(
    variant === 'relaxed'
      ? new URL('../wasm/contrastive-relaxed.wasm', import.meta.url)
      : new URL('../wasm/contrastive-simd128.wasm', import.meta.url),
  ),
);

export * from './index.js';
