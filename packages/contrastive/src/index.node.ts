// Node (and Deno, Bun through the "node" condition): the packaged .wasm is read from disk.
import { setDefaultLoader } from './runtime/init.js';

setDefaultLoader(async (variant) => {
  const { readFile } = await import('node:fs/promises');
  return readFile(new URL(`../wasm/contrastive-${variant}.wasm`, import.meta.url));
});

export * from './index.js';
