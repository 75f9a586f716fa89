// Browsers and bundlers: the module is fetched from the package's wasm/ folder. Each URL is a
// static `new URL('...', import.meta.url)` (wasm-url.ts) so Vite, Rollup, webpack and esbuild emit the asset.
import { setDefaultLoader } from './runtime/init.js';
import { setWorkerFactory } from './runtime/threads.js';
import { wasmUrl } from './wasm-url.js';

setDefaultLoader((build) => fetch(wasmUrl(build)));

// init({ threads }): Web Workers from a Blob URL of inline source, so bundlers need no extra file.
if (typeof Worker === 'function' && typeof Blob === 'function' && typeof URL.createObjectURL === 'function') {
  setWorkerFactory((body) => {
    const prelude = 'const ctPost = (m) => postMessage(m);\n' + 'const ctOnMessage = (cb) => { self.onmessage = (e) => cb(e.data); };\n';
    const url = URL.createObjectURL(new Blob([prelude + body], { type: 'text/javascript' }));
    const w = new Worker(url);
    let revoked = false;
    const revoke = () => {
      if (!revoked) URL.revokeObjectURL(url);
      revoked = true;
    };
    return {
      postMessage: (m, transfer) => w.postMessage(m, transfer ?? []),
      unref: () => {},
      onMessage: (l) =>
        w.addEventListener('message', (e) => {
          revoke();
          l(e.data);
        }),
      onError: (l) =>
        w.addEventListener('error', (e) => {
          revoke();
          l(e.message);
        }),
      terminate: () => {
        revoke();
        w.terminate();
      },
    };
  });
}

export * from './index.js';
