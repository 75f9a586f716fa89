import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/chromium.mjs';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.node.test.ts', 'packages/*/src/**/*.test.ts'],
          environment: 'node',
          // Node 20 runs relaxed SIMD only behind this flag; with it both builds are tested here.
          // Node >= 22 runs it by default and rejects the flag.
          execArgv: Number(process.versions.node.split('.')[0]) >= 22 ? [] : ['--experimental-wasm-relaxed-simd'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Cross-origin isolation, so SharedArrayBuffer exists and init({ threads }) can be tested.
        server: {
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
        test: {
          name: 'browser',
          include: ['test/**/*.browser.test.ts'],
          testTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
