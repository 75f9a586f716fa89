import { defineConfig } from 'vite';

export default defineConfig({
  // relative asset URLs: the built site works from any path (a subfolder, a file server)
  base: './',
  // keep the `new URL('../wasm/…', import.meta.url)` of contrastive's browser entry intact in dev
  optimizeDeps: { exclude: ['contrastive'] },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 1024 },
});
