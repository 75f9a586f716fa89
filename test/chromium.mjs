// How every headless Chromium here starts (the browser tests, the consumer and playground tests,
// bench/browser): Debian's Chromium on a closed network, kept from reaching out (see
// ../shared/TOOLCHAIN.md). One list, imported by vitest.config.ts, the tests and the benches.

/** The Chromium binary: CHROMIUM_PATH, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The launch flags. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];
