// Node (and Deno, Bun through the "node" condition): the packaged .wasm is read from disk
// (wasm-url.ts: static `new URL` literals, so server bundlers that follow them can see the files;
// bundlers that do not should keep this package external, or pass init({ wasm })).
import * as os from 'node:os';
import { setCoreCount, setDefaultLoader } from './runtime/init.js';
import { setWorkerFactory } from './runtime/threads.js';
import { setFolderReader } from './text/sentence.js';
import { wasmUrl } from './wasm-url.js';

setDefaultLoader(async (build) => {
  const { readFile } = await import('node:fs/promises');
  return readFile(wasmUrl(build));
});

// init({ threads: 'auto' }): Node 20 has no navigator.hardwareConcurrency
setCoreCount(() => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length));

// init({ threads }): worker_threads from inline source, so no extra file has to be found.
setWorkerFactory(async (body) => {
  const { Worker } = await import('node:worker_threads');
  const prelude =
    "const { parentPort } = require('node:worker_threads');\n" +
    'const ctPost = (m) => parentPort.postMessage(m);\n' +
    "const ctOnMessage = (cb) => parentPort.once('message', cb);\n";
  const w = new Worker(prelude + body, { eval: true });
  return {
    postMessage: (m, transfer) => w.postMessage(m, transfer as never),
    onMessage: (l) => void w.on('message', l),
    onError: (l) => void w.on('error', l),
    onExit: (l) => void w.on('exit', l),
    // once parked in atomic.wait, idle workers must not keep the process alive
    unref: () => void w.unref(),
    terminate: () => void w.terminate(),
  };
});

// loadSentenceTransformer(dir): model folders from disk
setFolderReader((dir) => async (file) => {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  try {
    return new Uint8Array(await readFile(join(dir, file)));
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') return undefined;
    throw e;
  }
});

export * from './index.js';
export { loadCheckpoint, saveCheckpoint } from './io/node.js';
