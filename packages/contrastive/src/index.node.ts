// Node (and Deno, Bun through the "node" condition): the packaged .wasm is read from disk.
// Static `new URL` literals (not a template) so server bundlers that follow them can see the files;
// bundlers that do not should keep this package external, or pass init({ wasm }).
import { setDefaultLoader } from './runtime/init.js';

setDefaultLoader(async (variant) => {
  const { readFile } = await import('node:fs/promises');
  return readFile(
    variant === 'relaxed'
      ? new URL('../wasm/contrastive-relaxed.wasm', import.meta.url)
      : new URL('../wasm/contrastive-simd128.wasm', import.meta.url),
  );
});

export * from './index.js';
export { loadCheckpoint, saveCheckpoint } from './io/node.js';
